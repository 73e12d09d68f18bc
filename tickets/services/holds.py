"""Ending holds: when time runs out, the buyer gives up, or payment fails."""

from django.db import transaction
from django.utils import timezone

from ..models import Order
from .history import Actor
from .places import holds_release_expired, lock_timeout_set, order_hold_end, pool_lock


def order_hold_release(
    *, order_id: int, status: str, actor: Actor, message: str
) -> bool:
    """End one pending order's hold and give its places back. Harmless if the
    order is no longer pending (already paid, expired or released)."""
    event_id = (
        Order.objects.filter(pk=order_id).values_list("event_id", flat=True).first()
    )
    if event_id is None:
        return False
    with transaction.atomic():
        lock_timeout_set()
        pool_lock(event_id)
        order = Order.objects.select_for_update().get(pk=order_id)
        return order_hold_end(order=order, status=status, actor=actor, message=message)


def holds_expire(*, now=None) -> int:
    """Release every expired reservation and hold on every event; return how
    many orders expired. Run by Celery beat. Availability already ignores
    expired ones, so a stopped beat never leaks places: this only tidies the
    counters."""
    from .reservations import reservations_expire

    now = now or timezone.now()
    reservations_expire(now=now)
    event_ids = (
        Order.objects.filter(status=Order.Status.PENDING, hold_expires_at__lte=now)
        .values_list("event_id", flat=True)
        .distinct()
    )
    expired = 0
    for event_id in list(event_ids):
        with transaction.atomic():
            lock_timeout_set()
            expired += holds_release_expired(event_id=event_id, now=now)
    return expired
