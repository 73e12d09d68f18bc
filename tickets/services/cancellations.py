"""Cancelling confirmed places: by the buyer before the deadline, or by the
organiser at any time. The places go back to the pool; money paid is
refunded (card through Stripe, invoices by the organiser); unpaid invoices
are cancelled."""

from django.db import OperationalError, transaction
from django.db.models import Sum
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..models import Order, RevokedSecret, Ticket
from .badge_codes import ticket_code_revoke
from .errors import BookingBusy, ChangeNotAllowed
from .history import Actor, order_change_record
from .notify import tickets_cancelled_notify
from .places import is_lock_timeout, lock_timeout_set, pool_lock, tickets_release
from .refunds import refund_request


def order_cancel(
    *,
    order_id: int,
    actor: Actor,
    ticket_ids: list[int] | None = None,
    by_organiser: bool = False,
    reason: str = "",
) -> Order:
    """Cancel the whole order, or only the tickets in `ticket_ids`.

    Buyers may cancel until the event's cancellation deadline; organisers at
    any time. Raises ChangeNotAllowed with a message to show otherwise.
    """
    event_id = Order.objects.values_list("event_id", flat=True).get(pk=order_id)
    try:
        return _order_cancel(
            order_id, event_id, actor, ticket_ids, by_organiser, reason
        )
    except OperationalError as exc:
        if is_lock_timeout(exc):
            raise BookingBusy(
                _("Lots of people are booking right now. Please try again.")
            ) from exc
        raise


def _order_cancel(order_id, event_id, actor, ticket_ids, by_organiser, reason):
    with transaction.atomic():
        lock_timeout_set()
        pool_lock(event_id)
        order = (
            Order.objects.select_related("event").select_for_update().get(pk=order_id)
        )
        if order.status != Order.Status.CONFIRMED:
            raise ChangeNotAllowed(
                _("This booking is not confirmed, so it cannot be cancelled.")
            )
        if not by_organiser and not order.event.allows_cancellation():
            raise ChangeNotAllowed(
                _(
                    "The deadline for cancelling has passed. Contact the "
                    "organiser if you can no longer come."
                )
            )
        live = order.tickets.exclude(status=Ticket.Status.CANCELLED)
        if ticket_ids is not None:
            live = live.filter(pk__in=ticket_ids)
        tickets = list(live.select_for_update())
        if not tickets or (
            ticket_ids is not None and len(tickets) != len(set(ticket_ids))
        ):
            raise ChangeNotAllowed(_("That place has already been cancelled."))
        tickets_cancel(
            order=order,
            tickets=tickets,
            actor=actor,
            reason=reason or _("cancelled by %(who)s") % {"who": actor.label},
        )
        return order


def tickets_cancel(
    *,
    order: Order,
    tickets: list[Ticket],
    actor: Actor,
    reason: str,
    refund: bool = True,
) -> None:
    """Cancel tickets of a locked, confirmed order (the pool is locked too)."""
    tickets_release(order=order, tickets=tickets)
    whole = not order.tickets.exclude(status=Ticket.Status.CANCELLED).exists()
    price = sum(ticket.price_pence for ticket in tickets)
    names = ", ".join(ticket.full_name for ticket in tickets)
    if whole:
        order.status = Order.Status.CANCELLED
        message = _("Cancelled the booking (%(names)s): %(reason)s.")
    else:
        message = ngettext(
            "Cancelled %(count)d place (%(names)s): %(reason)s.",
            "Cancelled %(count)d places (%(names)s): %(reason)s.",
            len(tickets),
        )
    order_change_record(
        order=order,
        actor=actor,
        action="cancelled",
        message=message % {"count": len(tickets), "names": names, "reason": reason},
    )
    if order.payment_status == Order.PaymentStatus.AWAITING and whole:
        # An unpaid invoice is cancelled: nothing is owed any more.
        order.payment_status = Order.PaymentStatus.VOID
    order.save(update_fields=["status", "payment_status", "updated_at"])
    for ticket in tickets:
        ticket_code_revoke(ticket=ticket, reason=RevokedSecret.Reason.CANCELLED)
    made = None
    if refund and order.paid_pence and price:
        made = refund_request(
            order=order,
            amount_pence=price,
            reason=_("Places cancelled"),
            actor=actor,
        )
    tickets_cancelled_notify(order=order, tickets=tickets, whole=whole, refund=made)


def order_amount_due(*, order: Order) -> int:
    """What is still owed on an order: its live places less what was paid."""
    live = (
        order.tickets.exclude(status=Ticket.Status.CANCELLED).aggregate(
            total=Sum("price_pence")
        )["total"]
        or 0
    )
    return max(live - order.paid_pence, 0)
