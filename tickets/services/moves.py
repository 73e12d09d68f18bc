"""Moving a confirmed place to another ticket type of the same event (a
guest who turns out to be a speaker, a supplier booked as public sector).

The place stays in the event's pool, so only the two types' counters change:
the new type's cap is respected, the old type gets its place back. Money is
not touched: the place keeps the price paid, and any difference is for the
organiser to settle by hand.
"""

from django.db import OperationalError, transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from ..models import Order, Ticket, TicketType
from ..money import format_pence
from .errors import BookingBusy, ChangeNotAllowed
from .history import Actor, order_change_record
from .places import holds_release_expired, is_lock_timeout, lock_timeout_set, pool_lock


def ticket_move(*, ticket_id: int, ticket_type_id: int, actor: Actor) -> Ticket:
    """Move a confirmed place to `ticket_type_id`, or raise ChangeNotAllowed
    (nothing changed) if that type is full, of another event or the same."""
    event_id = (
        Ticket.objects.filter(pk=ticket_id).values_list("event_id", flat=True).first()
    )
    if event_id is None:
        raise ChangeNotAllowed(_("That place does not exist."))
    try:
        return _ticket_move(ticket_id, ticket_type_id, event_id, actor)
    except OperationalError as exc:
        if is_lock_timeout(exc):
            raise BookingBusy(
                _("Lots of people are booking right now. Please try again.")
            ) from exc
        raise


def _ticket_move(ticket_id, ticket_type_id, event_id, actor) -> Ticket:
    with transaction.atomic():
        lock_timeout_set()
        # The fixed lock order: the event (pool), the order, then types.
        pool_lock(event_id)
        order_id = Ticket.objects.values_list("order_id", flat=True).get(pk=ticket_id)
        order = Order.objects.select_for_update().get(pk=order_id)
        ticket = (
            Ticket.objects.select_for_update()
            .select_related("ticket_type")
            .get(pk=ticket_id)
        )
        if order.status != Order.Status.CONFIRMED or (
            ticket.status != Ticket.Status.CONFIRMED
        ):
            raise ChangeNotAllowed(
                _("Only a confirmed place can be moved to another ticket type.")
            )
        target = TicketType.objects.filter(pk=ticket_type_id).first()
        if target is None or target.event_id != ticket.event_id:
            raise ChangeNotAllowed(
                _("A place can only move to a ticket type of its own event.")
            )
        old = ticket.ticket_type
        if target.pk == old.pk:
            raise ChangeNotAllowed(
                _("%(name)s already has a %(type)s place.")
                % {"name": ticket.full_name, "type": old.name}
            )
        if target.quota is not None and target.places_taken >= target.quota:
            holds_release_expired(event_id=event_id)  # may free a place
        locked = {
            t.pk: t
            for t in TicketType.objects.select_for_update()
            .filter(pk__in=[old.pk, target.pk])
            .order_by("pk")
        }
        target = locked[target.pk]
        taken = (
            TicketType.objects.filter(pk=target.pk)
            .filter(Q(quota__isnull=True) | Q(places_taken__lt=F("quota")))
            .update(places_taken=F("places_taken") + 1)
        )
        if not taken:
            raise ChangeNotAllowed(
                _("%(type)s is full: all %(quota)d places are taken.")
                % {"type": target.name, "quota": target.quota}
            )
        TicketType.objects.filter(pk=old.pk, places_taken__gte=1).update(
            places_taken=F("places_taken") - 1
        )
        ticket.ticket_type = target
        ticket.save(update_fields=["ticket_type"])
        order_change_record(
            order=order,
            ticket=ticket,
            actor=actor,
            action="ticket_type_changed",
            message=_(
                "Moved %(name)s from %(old)s (%(old_price)s) to %(new)s "
                "(%(new_price)s). The place keeps its price of %(paid)s: "
                "nothing was charged or refunded."
            )
            % {
                "name": ticket.full_name,
                "old": old.name,
                "old_price": format_pence(old.price_pence, old.currency),
                "new": target.name,
                "new_price": format_pence(target.price_pence, target.currency),
                "paid": format_pence(ticket.price_pence, order.currency),
            },
        )
        return ticket
