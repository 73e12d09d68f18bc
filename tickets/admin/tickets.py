"""Places (tickets) in admin."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.utils.translation import gettext_lazy as _

from ..models import (
    Order,
    Ticket,
)
from ..money import format_pence
from ..services import (
    Actor,
    AttendeeDetails,
    BookingError,
    ticket_attendee_change,
)
from .badges import PrintBadgesAction
from .common import (
    ATTENDEE_FIELDS,
    CANCEL_NOTES,
    REASON_FIELD,
    _can,
    _cancel_and_report,
    _cancel_rows,
    _code_used,
    _confirmation,
    _confirmed,
    _order_link,
)
from .exports import ExportActions
from .filters import CheckedInFilter
from .moves import MoveTicketTypeAction


class OrderPaymentFilter(admin.ChoicesFieldListFilter):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.title = _("order's payment")


@admin.register(Ticket)
class TicketAdmin(
    ExportActions, MoveTicketTypeAction, PrintBadgesAction, admin.ModelAdmin
):
    list_display = [
        "last_name",
        "first_name",
        "organisation",
        "sector",
        "ticket_type",
        "status",
        "order",
    ]
    list_filter = [
        "event",
        "ticket_type",
        "status",
        "sector",
        ("order__payment_status", OrderPaymentFilter),
        CheckedInFilter,
    ]
    search_fields = [
        "first_name",
        "last_name",
        "email",
        "organisation",
        "order__reference",
    ]
    fields = [
        "order_link",
        "event",
        "ticket_type",
        "price",
        "code_used",
        "status",
        "created_at",
        "cancelled_at",
        "checked_in_at",
        "checked_in_by",
        "checked_in_door",
        *ATTENDEE_FIELDS,
    ]
    readonly_fields = [
        "order_link",
        "event",
        "ticket_type",
        "price",
        "code_used",
        "status",
        "created_at",
        "cancelled_at",
        "checked_in_at",
        "checked_in_by",
        "checked_in_door",
    ]
    list_select_related = ["order", "ticket_type__event"]
    actions = [
        "cancel_places",
        "move_places",
        "print_badges",
        "export_attendees",
        "export_needs",
        "export_sign_in",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # Only a confirmed place's attendee can be changed (the service says
        # so too); other places are shown read-only.
        if obj is not None and obj.status != Ticket.Status.CONFIRMED:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # cancel the place instead, which gives it back

    def has_change_order_permission(self, request):
        return self.has_change_permission(request) and _can(request, "change")

    @admin.display(description=_("order"))
    def order_link(self, ticket):
        return _order_link(ticket.order)

    @admin.display(description=_("price"))
    def price(self, ticket):
        return format_pence(ticket.price_pence, ticket.order.currency)

    @admin.display(description=_("code used"))
    def code_used(self, ticket):
        return _code_used(ticket, ticket.order.currency)

    def save_model(self, request, obj, form, change):
        """Attendee details change through the service, which records them
        in the order's history."""
        if not change:  # pragma: no cover - adding is not allowed
            raise PermissionDenied
        details = AttendeeDetails(
            **{name: form.cleaned_data.get(name, "") or "" for name in ATTENDEE_FIELDS}
        )
        ticket_attendee_change(
            order_id=obj.order_id,
            ticket_id=obj.pk,
            details=details,
            actor=Actor.user(request.user),
            by_organiser=True,
        )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:  # Django's changeform_view runs in a transaction of its own
            return super().changeform_view(request, object_id, form_url, extra_context)
        except BookingError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.path)

    @admin.action(
        description=_("Cancel and refund selected places"),
        permissions=["change_order"],
    )
    def cancel_places(self, request, queryset):
        groups: dict[int, tuple[Order, list[Ticket]]] = {}
        for ticket in queryset.select_related("order").order_by("order_id", "pk"):
            groups.setdefault(ticket.order_id, (ticket.order, []))[1].append(ticket)
        if _confirmed(request):
            _cancel_and_report(
                self,
                request,
                [
                    (order, [t.pk for t in tickets])
                    for order, tickets in groups.values()
                ],
                reason=request.POST.get("reason", "").strip()[:150],
            )
            return None
        return _confirmation(
            self,
            request,
            title=_("Cancel and refund these places?"),
            intro=_(
                "These places will be cancelled; others in the same bookings stay:"
            ),
            rows=_cancel_rows(list(groups.values())),
            notes=CANCEL_NOTES,
            confirm_label=_("Yes, cancel and refund"),
            back_url=request.get_full_path(),
            action="cancel_places",
            selected=[t.pk for _order, tickets in groups.values() for t in tickets],
            text_field=REASON_FIELD,
        )


# -- refunds ----------------------------------------------------------------
