"""The e-mail outbox and messages to attendees in admin.

E-mails are read-only: the organiser sees what was sent, what is waiting
and what failed (and why), and can send failed ones again. A message to all
attendees is written on the "Message attendees" add page and sent through
the outbox once; it cannot be edited afterwards.
"""

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from events.models import Event

from ..models import Broadcast, Email, Ticket
from ..services.outbox import email_retry
from ..services.reminders import broadcast_send
from .common import _order_link


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        if obj is not None:
            return False
        return super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Email)
class EmailAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "kind",
        "to_email",
        "order_link",
        "status",
        "attempts",
        "sent_at",
        "last_error",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["to_email", "to_name", "order__reference", "subject"]
    list_select_related = ["order"]
    date_hierarchy = "created_at"
    fields = [
        "kind",
        "to_name",
        "to_email",
        "subject",
        "order_link",
        "status",
        "attempts",
        "created_at",
        "next_attempt_at",
        "sent_at",
        "last_error",
        "message_id",
    ]
    readonly_fields = fields
    actions = ["send_again"]

    @admin.display(description=_("order"), ordering="order__reference")
    def order_link(self, email):
        return _order_link(email.order) if email.order else "-"

    @admin.display(description=_("Message-ID"))
    def message_id(self, email):
        return email.message_id

    @admin.action(description=_("Send the selected failed e-mails again"))
    def send_again(self, request, queryset):
        if not super().has_change_permission(request):
            self.message_user(request, _("You cannot do that."), messages.ERROR)
            return
        count = sum(
            email_retry(email_id=pk) for pk in queryset.values_list("pk", flat=True)
        )
        skipped = queryset.count() - count
        if count:
            self.message_user(
                request,
                ngettext(
                    "%(count)d e-mail will be sent again.",
                    "%(count)d e-mails will be sent again.",
                    count,
                )
                % {"count": count},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d e-mail had not failed, so it was left alone.",
                    "%(count)d e-mails had not failed, so they were left alone.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )


class BroadcastForm(forms.ModelForm):
    class Meta:
        model = Broadcast
        fields = ["event", "subject", "body"]
        help_texts = {
            "body": _(
                "Plain text. Web addresses become links. It is sent once to "
                "each person with a confirmed place, with the event's time "
                "and place added at the end."
            ),
        }

    def clean_event(self):
        event = self.cleaned_data["event"]
        if not Ticket.objects.filter(
            event=event, status=Ticket.Status.CONFIRMED
        ).exists():
            raise forms.ValidationError(
                _("Nobody has a confirmed place at this event yet.")
            )
        return event


@admin.register(Broadcast)
class BroadcastAdmin(admin.ModelAdmin):
    form = BroadcastForm
    list_display = [
        "subject",
        "event",
        "created_at",
        "created_by",
        "recipient_count",
        "sent",
    ]
    list_filter = ["event"]
    search_fields = ["subject", "body"]
    list_select_related = ["event", "created_by"]

    def get_queryset(self, request):
        # Delivery counts for every row in one query, not two per row.
        return (
            super()
            .get_queryset(request)
            .annotate(
                sent_count=Count("emails", filter=Q(emails__status=Email.Status.SENT)),
                failed_count=Count(
                    "emails", filter=Q(emails__status=Email.Status.FAILED)
                ),
            )
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [
            "event",
            "subject",
            "body",
            "created_at",
            "created_by",
            "recipient_count",
            "sent",
        ]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["event", "subject", "body"]
        return self.get_readonly_fields(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "event":
            kwargs["queryset"] = Event.objects.order_by("-starts_at")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        return False if obj is not None else super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("delivered"))
    def sent(self, broadcast):
        failed = broadcast.failed_count
        text = _("%(sent)d of %(total)d sent") % {
            "sent": broadcast.sent_count,
            "total": broadcast.recipient_count,
        }
        if failed:
            return format_html("{} <strong>({} {})</strong>", text, failed, _("failed"))
        return text

    def save_model(self, request, obj, form, change):
        # Sending is a service: it writes the message and one outbox row per
        # person in one transaction. The admin's own save is not used.
        sent = broadcast_send(
            event_id=obj.event_id,
            subject=obj.subject,
            body=obj.body,
            user=request.user,
        )
        obj.pk = sent.pk
        obj.recipient_count = sent.recipient_count
        obj._state.adding = False

    def response_add(self, request, obj, post_url_continue=None):
        self.message_user(
            request,
            ngettext(
                "Your message is being sent to %(count)d person.",
                "Your message is being sent to %(count)d people.",
                obj.recipient_count,
            )
            % {"count": obj.recipient_count},
            messages.SUCCESS,
        )
        return self.response_post_save_add(request, obj)
