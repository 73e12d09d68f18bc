"""Reservations in admin: places chosen at the first step of a booking and
held while the buyer types, with when they run out. Read-only: they change
only through tickets.services.reservations (the one action releases them)."""

from django.contrib import admin, messages
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..models import Reservation, ReservationLine
from ..services.reservations import reservation_release
from .common import _order_link


class LiveFilter(admin.SimpleListFilter):
    title = _("holding places now")
    parameter_name = "live"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        live = {"status": Reservation.Status.ACTIVE, "expires_at__gt": timezone.now()}
        if self.value() == "yes":
            return queryset.filter(**live)
        if self.value() == "no":
            return queryset.exclude(**live)
        return queryset


@admin.register(Reservation)
class ReservationAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "event",
        "places_held",
        "status",
        "holding",
        "expires_at",
        "booking",
    ]
    list_filter = [LiveFilter, "status", "event"]
    list_select_related = ["event", "order", "code"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]
    fields = [
        "event",
        "places_held",
        "status",
        "holding",
        "created_at",
        "expires_at",
        "ended_at",
        "code",
        "code_uses",
        "offer",
        "booking",
    ]
    readonly_fields = fields
    actions = ["release"]

    def get_queryset(self, request):
        lines = ReservationLine.objects.select_related("ticket_type")
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("lines", queryset=lines))
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        if obj is not None:
            return False
        return super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("places"))
    def places_held(self, reservation):
        return ", ".join(
            f"{line.quantity} × {line.ticket_type.name}"
            for line in reservation.lines.all()
        )

    @admin.display(description=_("counts now"), boolean=True)
    def holding(self, reservation):
        return reservation.is_live()

    @admin.display(description=_("booking"))
    def booking(self, reservation):
        return _order_link(reservation.order) if reservation.order_id else "-"

    @admin.action(description=_("Release the selected reservations' places now"))
    def release(self, request, queryset):
        if not super().has_change_permission(request):
            self.message_user(
                request, _("You do not have permission to do that."), messages.ERROR
            )
            return
        released = sum(
            reservation_release(reservation_id=pk)
            for pk in queryset.values_list("pk", flat=True)
        )
        self.message_user(
            request,
            ngettext(
                "Released %(count)d reservation: its places can be booked again.",
                "Released %(count)d reservations: their places can be booked again.",
                released,
            )
            % {"count": released},
            messages.SUCCESS,
        )
