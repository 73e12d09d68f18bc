"""Helpers for the waiting-list tests: a sold-out event, people waiting, and
the check that the pool's counter matches its tickets and live offers."""

from events.models import Event
from tickets.models import Ticket, WaitlistEntry, WaitlistOffer
from tickets.services.waitlist import waitlist_join


def join(event: Event, n: int, **overrides) -> WaitlistEntry:
    values = {
        "name": f"Waiting Person {n}",
        "email": f"waiting{n}@example.gov.uk",
        "organisation": "Sandwell Council",
    }
    values.update(overrides)
    return waitlist_join(event_id=event.pk, **values)


def places_in_use(event: Event) -> tuple[int, int]:
    """Return (places_taken counter, confirmed + held tickets + live offers)."""
    event.refresh_from_db()
    tickets = Ticket.objects.filter(
        event=event, status__in=[Ticket.Status.CONFIRMED, Ticket.Status.HELD]
    ).count()
    offers = WaitlistOffer.objects.filter(
        event=event, status=WaitlistOffer.Status.OFFERED
    ).count()
    return event.places_taken, tickets + offers


def assert_pool_consistent(event: Event) -> int:
    counter, counted = places_in_use(event)
    assert counter == counted
    assert counter <= event.capacity
    return counter
