from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from .admin_labels import LabelledInputsAdminMixin, RowLabelledForm
from .admin_mixins import CounterSafeAdminMixin
from .extensions import places_added
from .forms import CheckedImageField
from .models import SPEAKERS_IN_SESSION_ORDER, Event, Session, SessionSpeaker, Speaker
from .services import speaker_photo_update


class SpeakerInline(admin.TabularInline):
    model = Speaker
    form = RowLabelledForm
    extra = 0
    fields = ["name", "slug", "role", "organisation", "position"]
    prepopulated_fields = {"slug": ["name"]}
    show_change_link = True


@admin.register(Event)
class EventAdmin(CounterSafeAdminMixin, LabelledInputsAdminMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "starts_at",
        "venue_name",
        "capacity",
        "places_taken",
        "places_left",
        "is_published",
    ]
    list_filter = ["is_published", "starts_at"]
    search_fields = ["name", "slug", "venue_name"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["places_taken", "attendee_tools", "created_at", "updated_at"]
    date_hierarchy = "starts_at"
    inlines = [SpeakerInline]
    fieldsets = [
        (None, {"fields": ["name", "slug", "summary", "description", "aims"]}),
        (
            _("When and where"),
            {"fields": ["starts_at", "ends_at", "venue_name", "venue_address"]},
        ),
        (
            _("Places and booking"),
            {
                "fields": [
                    "capacity",
                    "places_taken",
                    "few_places_threshold",
                    "sales_open_at",
                    "sales_close_at",
                    "is_published",
                ]
            },
        ),
        (
            _("Changes and cancellations"),
            {"fields": ["changes_deadline", "cancellation_deadline"]},
        ),
        (_("At the door"), {"fields": ["entry_requires_payment"]}),
        (
            _("Attendees: e-mails and badges"),
            {"fields": ["reminder_days_before", "attendee_tools"]},
        ),
        (
            _("Invoices"),
            {
                "fields": [
                    "invoice_payment_enabled",
                    "invoice_payment_until",
                    "vat_rate_percent",
                    "vat_number",
                    "invoice_issuer",
                    "invoice_payment_details",
                ]
            },
        ),
        (
            _("Record"),
            {"fields": ["created_at", "updated_at"], "classes": ["collapse"]},
        ),
    ]

    @admin.display(description=_("tools"))
    def attendee_tools(self, event):
        if event.pk is None:
            return "-"
        tools = format_html(
            '<a href="{}?event={}">{}</a> · <a href="{}?event={}">{}</a>',
            reverse("admin:tickets_broadcast_add"),
            event.pk,
            _("Message everyone with a place"),
            reverse("admin:tickets_badgesheet_print"),
            event.pk,
            _("Print all badges"),
        )
        exports = format_html_join(
            " · ",
            '<a href="{}?{}">{}</a>',
            [
                (
                    reverse("admin:tickets_ticket_exports"),
                    f"event={event.pk}&list={kind}",
                    label,
                )
                for kind, label in [
                    ("attendees", _("Attendee list (CSV)")),
                    ("needs", _("Dietary and access needs (CSV)")),
                    ("sign-in", _("Sign-in sheet (CSV)")),
                ]
            ],
        )
        return format_html("{}<br>{}", tools, exports)

    @admin.display(description=_("places left"))
    def places_left(self, event):
        return event.capacity - event.places_taken

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # More capacity (or booking reopened) may leave places free while
        # people wait: they are offered in the same transaction as the save.
        if change:
            places_added(event_id=obj.pk)


@admin.register(Speaker)
class SpeakerAdmin(LabelledInputsAdminMixin, admin.ModelAdmin):
    list_display = ["name", "role", "organisation", "event", "position"]
    list_editable = ["position"]
    list_filter = ["event"]
    search_fields = ["name", "organisation", "role", "event__name"]
    prepopulated_fields = {"slug": ["name"]}
    list_select_related = ["event"]
    fields = [
        "event",
        "name",
        "slug",
        "role",
        "organisation",
        "bio",
        "photo",
        "photo_preview",
        "position",
        "speaking_at",
    ]
    readonly_fields = ["photo_preview", "speaking_at"]
    formfield_overrides = {models.ImageField: {"form_class": CheckedImageField}}

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if "photo" in form.changed_data:
            speaker_photo_update(speaker=obj)

    @admin.display(description=_("as shown on the site"))
    def photo_preview(self, speaker):
        if not speaker.photo:
            return "-"
        return format_html(
            '<img src="{}" alt="" width="120" height="120">', speaker.photo_url
        )

    @admin.display(description=_("speaking at"))
    def speaking_at(self, speaker):
        if speaker.pk is None:
            return "-"
        sessions = speaker.sessions.all()
        if not sessions:
            return _("No sessions yet: add the speaker from a session's page.")
        return format_html_join(
            mark_safe("<br>"),
            '<a href="{}">{}</a> ({}{})',
            [
                (
                    reverse("admin:events_session_change", args=[session.pk]),
                    session.title,
                    timezone.localtime(session.starts_at).strftime("%H:%M"),
                    f", {session.room}" if session.room else "",
                )
                for session in sessions
            ],
        )


class SessionSpeakerForm(RowLabelledForm):
    def clean(self):
        cleaned = super().clean()
        speaker, session = cleaned.get("speaker"), cleaned.get("session")
        if speaker and session and speaker.event_id != session.event_id:
            raise ValidationError(
                _("%(name)s speaks at another event.") % {"name": speaker.name}
            )
        return cleaned


class SessionSpeakerInline(admin.TabularInline):
    """The session's speakers, listed and numbered in speaking order."""

    model = SessionSpeaker
    form = SessionSpeakerForm
    extra = 1
    fields = ["speaker", "position"]

    def get_formset(self, request, obj=None, **kwargs):
        """Offer only the session's event's speakers once it has one (a
        plain select: Django's autocomplete box has no accessible name)."""
        formset = super().get_formset(request, obj, **kwargs)
        if obj is not None:
            speaker = formset.form.base_fields["speaker"]
            speaker.queryset = speaker.queryset.filter(event=obj.event_id)
        return formset


@admin.register(Session)
class SessionAdmin(LabelledInputsAdminMixin, admin.ModelAdmin):
    list_display = ["title", "starts_at", "ends_at", "room", "event", "speaker_names"]
    list_filter = ["event", "room"]
    search_fields = ["title", "description", "speakers__name"]
    list_select_related = ["event"]
    date_hierarchy = "starts_at"
    fields = ["event", "title", "description", "starts_at", "ends_at", "room"]
    inlines = [SessionSpeakerInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related(
                Prefetch(
                    "speakers",
                    queryset=Speaker.objects.order_by(*SPEAKERS_IN_SESSION_ORDER),
                )
            )
        )

    @admin.display(description=_("speakers"))
    def speaker_names(self, session):
        return ", ".join(speaker.name for speaker in session.speakers.all())
