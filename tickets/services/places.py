"""The counters of places: take them, give them back, and let go of holds
whose time ran out.

Everything here runs inside the caller's transaction. Locks are taken in one
fixed order (the event's row, which is the pool; then orders; then ticket
types in id order; then codes in id order) so writers for one event queue and
never deadlock.
"""

from collections import Counter
from collections.abc import Mapping

from django.conf import settings
from django.db import OperationalError, connection
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from events.models import Event
from events.services import event_places_release, event_places_take

from ..models import Order, Ticket, TicketType
from .codes import code_uses_release, ticket_code_uses
from .history import Actor, order_change_record


class PoolFull(Exception):
    """Too few places left in the event's pool."""


class TicketTypeFull(Exception):
    def __init__(self, ticket_type_id: int):
        super().__init__(ticket_type_id)
        self.ticket_type_id = ticket_type_id


def pool_lock(event_id: int) -> Event:
    """Lock the event's row (the pool) until the transaction ends."""
    return Event.objects.select_for_update().get(pk=event_id)


def places_take(*, event_id: int, quantities: Mapping[int, int]) -> None:
    """Take places from the pool and from each ticket type's cap, or raise
    PoolFull / TicketTypeFull (the caller rolls back).

    Holds whose time ran out stop counting at once, but their places are
    still in the counters until released: when the counters say no, release
    them (under the pool's lock) and try once more.
    """
    total = sum(quantities.values())
    if not event_places_take(event_id=event_id, quantity=total):
        if not (
            _expired_release(event_id)
            and event_places_take(event_id=event_id, quantity=total)
        ):
            raise PoolFull
    for ticket_type_id in sorted(quantities):
        quantity = quantities[ticket_type_id]
        if not _ticket_type_take(ticket_type_id, quantity):
            if not (
                _expired_release(event_id)
                and _ticket_type_take(ticket_type_id, quantity)
            ):
                raise TicketTypeFull(ticket_type_id)


def _expired_release(event_id: int) -> bool:
    """Release expired reservations and holds and end expired waiting-list
    offers (whose places go to the next people waiting first); True if any
    place moved."""
    from .reservations import reservations_release_expired
    from .waitlist import offers_release_expired

    reservations = reservations_release_expired(event_id=event_id)
    holds = holds_release_expired(event_id=event_id)
    offers = offers_release_expired(event_id=event_id)
    return bool(reservations or holds or offers)


def places_release(*, event_id: int, quantities: Mapping[int, int]) -> None:
    """Give places back to the pool and to their ticket types' caps. The
    pool's places go first to the people on the waiting list, if any: they
    are offered in the same transaction (offers_make never calls back here)."""
    from .waitlist import offers_make

    total = sum(quantities.values())
    if not total:
        return
    event_places_release(event_id=event_id, quantity=total)
    for ticket_type_id in sorted(quantities):
        if quantities[ticket_type_id]:
            TicketType.objects.filter(
                pk=ticket_type_id, places_taken__gte=quantities[ticket_type_id]
            ).update(places_taken=F("places_taken") - quantities[ticket_type_id])
    offers_make(event_id=event_id)


def _ticket_type_take(ticket_type_id: int, quantity: int) -> bool:
    updated = (
        TicketType.objects.filter(pk=ticket_type_id)
        .filter(Q(quota__isnull=True) | Q(places_taken__lte=F("quota") - quantity))
        .update(places_taken=F("places_taken") + quantity)
    )
    return updated == 1


def tickets_release(
    *, order: Order, tickets: list[Ticket], new_status: str = Ticket.Status.CANCELLED
) -> Counter:
    """Mark held or confirmed tickets cancelled and give their places back.

    Only tickets that still hold a place are touched, so calling it twice
    gives nothing back twice. Returns the places released per ticket type.
    """
    live = [t for t in tickets if t.status != Ticket.Status.CANCELLED]
    if not live:
        return Counter()
    now = timezone.now()
    released = Counter(ticket.ticket_type_id for ticket in live)
    Ticket.objects.filter(pk__in=[t.pk for t in live]).exclude(
        status=Ticket.Status.CANCELLED
    ).update(status=new_status, cancelled_at=now)
    for ticket in live:
        ticket.status = new_status
        ticket.cancelled_at = now
    places_release(event_id=order.event_id, quantities=released)
    # Codes last (the lock order): each place booked with one gives its use back.
    code_uses_release(uses=ticket_code_uses(live))
    return released


def order_hold_end(*, order: Order, status: str, actor: Actor, message: str) -> bool:
    """End a pending order's hold: its places go back to the pool.

    The caller holds the pool's lock and the order's row lock. Returns False
    (and changes nothing) if the order is no longer pending.
    """
    if order.status != Order.Status.PENDING:
        return False
    tickets_release(order=order, tickets=list(order.tickets.all()))
    order.status = status
    if order.payment_status == Order.PaymentStatus.AWAITING:
        order.payment_status = Order.PaymentStatus.VOID
    order.save(update_fields=["status", "payment_status", "updated_at"])
    order_change_record(order=order, actor=actor, action=status, message=message)
    return True


def holds_release_expired(*, event_id: int, now=None) -> int:
    """Release every hold on this event whose time has run out; return how
    many orders expired. Takes the pool's lock first."""
    now = now or timezone.now()
    pool_lock(event_id)
    expired = list(
        Order.objects.select_for_update().filter(
            event_id=event_id, status=Order.Status.PENDING, hold_expires_at__lte=now
        )
    )
    for order in expired:
        order_hold_end(
            order=order,
            status=Order.Status.EXPIRED,
            actor=Actor.system(),
            message=_("The places were held for card payment, but time ran out."),
        )
    return len(expired)


def lock_timeout_set() -> None:
    """Wait at most PSDM_LOCK_TIMEOUT_MS for a row lock (PostgreSQL)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('lock_timeout', %s, true)",
                [f"{int(settings.PSDM_LOCK_TIMEOUT_MS)}ms"],
            )


def is_lock_timeout(exc: OperationalError) -> bool:
    cause = exc.__cause__
    if cause is not None and getattr(cause, "sqlstate", None) == "55P03":
        return True
    return "database is locked" in str(exc)
