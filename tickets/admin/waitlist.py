"""The waiting list in admin: who is waiting for each event, in order, and
the offers made to them.

Entries change only through tickets.services.waitlist: the page is
read-only, and the actions send an offer now (never beyond capacity) or
take people off the list (a live offer is withdrawn and passed on).
"""

from django.contrib import admin, messages
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..models import WaitlistEntry, WaitlistOffer
from ..services.waitlist import WaitlistError, entry_remove, offer_send_now
from .common import _order_link

Entry = WaitlistEntry


class OfferInline(admin.TabularInline):
    model = WaitlistOffer
    extra = 0
    can_delete = False
    fields = ["created_at", "expires_at", "status", "ended_at", "booking", "sent_by"]
    readonly_fields = fields
    ordering = ["-created_at"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("booking"))
    def booking(self, offer):
        return _order_link(offer.order) if offer.order else "-"


def _ahead():
    """How many people still waiting joined before this entry."""
    earlier = Entry.objects.filter(
        event=OuterRef("event"), status=Entry.Status.WAITING
    ).filter(
        Q(joined_at__lt=OuterRef("joined_at"))
        | Q(joined_at=OuterRef("joined_at"), pk__lt=OuterRef("pk"))
    )
    return Subquery(
        earlier.order_by()
        .values("event")
        .annotate(count=Count("pk"))
        .values("count")[:1],
        output_field=IntegerField(),
    )


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "email",
        "organisation",
        "event",
        "position",
        "status",
        "joined_at",
    ]
    list_filter = ["event", "status"]
    search_fields = ["name", "email", "organisation"]
    list_select_related = ["event"]
    ordering = ["event", "joined_at", "id"]
    fields = [
        "event",
        "name",
        "email",
        "organisation",
        "status",
        "position",
        "joined_at",
        "updated_at",
    ]
    readonly_fields = fields
    inlines = [OfferInline]
    actions = ["send_offer_now", "remove_from_list"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(ahead=_ahead())

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        if obj is not None:
            return False
        return super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("place in the queue"))
    def position(self, entry):
        if entry.status != Entry.Status.WAITING:
            return "-"
        return (getattr(entry, "ahead", None) or 0) + 1

    def _allowed(self, request) -> bool:
        if super().has_change_permission(request):
            return True
        self.message_user(
            request, _("You do not have permission to do that."), messages.ERROR
        )
        return False

    @admin.action(description=_("Send an offer now to the selected people"))
    def send_offer_now(self, request, queryset):
        if not self._allowed(request):
            return
        sent = 0
        for entry in queryset.order_by("joined_at", "id"):
            try:
                offer_send_now(entry_id=entry.pk, user=request.user)
            except WaitlistError as exc:
                self.message_user(request, exc.message, messages.WARNING)
            else:
                sent += 1
        if sent:
            self.message_user(
                request,
                ngettext(
                    "Sent an offer of a place to %(count)d person.",
                    "Sent offers of a place to %(count)d people.",
                    sent,
                )
                % {"count": sent},
                messages.SUCCESS,
            )

    @admin.action(description=_("Remove the selected people from the list"))
    def remove_from_list(self, request, queryset):
        if not self._allowed(request):
            return
        removed = sum(entry_remove(entry_id=entry.pk) for entry in queryset)
        self.message_user(
            request,
            ngettext(
                "Removed %(count)d person from the waiting list; any place "
                "offered to them goes to the next person.",
                "Removed %(count)d people from the waiting list; any places "
                "offered to them go to the next people.",
                removed,
            )
            % {"count": removed},
            messages.SUCCESS,
        )
