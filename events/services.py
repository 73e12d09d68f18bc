"""Write operations on events. The pool's counter changes only here."""

from django.db.models import F

from .models import Event


def event_places_take(*, event_id: int, quantity: int) -> bool:
    """Take `quantity` places from the event's pool if that many are left.

    One conditional UPDATE: it locks the event row until the surrounding
    transaction ends, so bookings for one event queue here and the pool is
    never oversold. Return False (and change nothing) when too few are left.
    """
    if quantity < 1:
        raise ValueError("quantity must be at least 1")
    updated = Event.objects.filter(
        pk=event_id, places_taken__lte=F("capacity") - quantity
    ).update(places_taken=F("places_taken") + quantity)
    return updated == 1


def event_places_release(*, event_id: int, quantity: int) -> None:
    """Give `quantity` places back to the event's pool."""
    if quantity < 1:
        raise ValueError("quantity must be at least 1")
    Event.objects.filter(pk=event_id, places_taken__gte=quantity).update(
        places_taken=F("places_taken") - quantity
    )
