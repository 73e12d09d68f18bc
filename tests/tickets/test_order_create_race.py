"""Many buyers race for the last places, each on its own database connection.

Runs on whichever database DATABASE_URL names: PostgreSQL in CI, the SQLite
file by default. Threads start together at a barrier; no sleeps.
"""

import random
import threading
from collections import Counter

import pytest
from django.db import connection

from events.models import Event
from tests.conftest import lines, make_event, make_ticket_type
from tickets.models import Order, Reservation, ReservationLine, Ticket, TicketType
from tickets.services import SoldOut, order_create

THREADS = 60


def race(event_id: int, ticket_type_id: int, sizes: list[int], code: str = "") -> list:
    """Book `sizes[i]` places in thread i, all at once (with `code`, if
    given); return each outcome: the order, or the exception."""
    barrier = threading.Barrier(len(sizes))
    outcomes: list = [None] * len(sizes)
    ticket_type = TicketType.objects.get(pk=ticket_type_id)

    def buyer(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            outcomes[index] = order_create(
                event_id=event_id,
                buyer_name=f"Buyer {index}",
                buyer_email=f"buyer{index}@example.gov.uk",
                lines=lines(ticket_type, sizes[index]),
                **({"code": code} if code else {}),
            )
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=buyer, args=(i,)) for i in range(len(sizes))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


def assert_consistent(event: Event) -> int:
    """The pool's counter equals the places confirmed or held plus those in
    active reservations; return the confirmed and held places."""
    event.refresh_from_db()
    live = Ticket.objects.filter(
        event=event, status__in=[Ticket.Status.CONFIRMED, Ticket.Status.HELD]
    ).count()
    reserved = ReservationLine.objects.filter(
        reservation__event=event, reservation__status=Reservation.Status.ACTIVE
    ).values_list("ticket_type_id", "quantity")
    assert event.places_taken == live + sum(quantity for _pk, quantity in reserved)
    assert event.places_taken <= event.capacity
    per_type = Counter(
        Ticket.objects.filter(event=event)
        .exclude(status=Ticket.Status.CANCELLED)
        .values_list("ticket_type_id", flat=True)
    )
    for pk, quantity in reserved:
        per_type[pk] += quantity
    for ticket_type in TicketType.objects.filter(event=event):
        assert ticket_type.places_taken == per_type[ticket_type.pk]
    return live


def split(outcomes):
    orders = [o for o in outcomes if isinstance(o, Order)]
    refused = [o for o in outcomes if not isinstance(o, Order)]
    unexpected = [o for o in refused if not isinstance(o, SoldOut)]
    assert not unexpected, f"losers must get SoldOut, got {unexpected[:3]}"
    return orders, refused


@pytest.mark.django_db(transaction=True)
def test_racing_for_the_last_places_never_oversells():
    """60 buyers race for the last 25 of 250 places: exactly 25 win."""
    event = make_event(capacity=250)
    ticket_type = make_ticket_type(event, max_per_order=20)
    for _ in range(15):  # 225 places already gone
        order_create(
            event_id=event.pk,
            buyer_name="Early bird",
            buyer_email="early@example.gov.uk",
            lines=lines(ticket_type, 15),
        )

    orders, refused = split(race(event.pk, ticket_type.pk, [1] * THREADS))

    assert len(orders) == 25
    assert len(refused) == THREADS - 25
    assert all("sold out" in exc.message for exc in refused)
    assert assert_consistent(event) == 250


@pytest.mark.django_db(transaction=True)
def test_racing_for_a_ticket_types_cap_never_exceeds_it():
    """60 buyers race for 10 student places inside a roomy pool: 10 win."""
    event = make_event(capacity=250)
    students = make_ticket_type(event, name="Student", quota=10)

    orders, refused = split(race(event.pk, students.pk, [1] * THREADS))

    assert len(orders) == 10
    assert all("Student" in exc.message for exc in refused)
    students.refresh_from_db()
    assert students.places_taken == 10
    assert assert_consistent(event) == 10


@pytest.mark.django_db(transaction=True)
def test_racing_orders_of_several_places_never_oversell():
    """Orders of 1 to 4 places race for 50 places: the pool fills without
    going over, and every refused order was bigger than what was left."""
    event = make_event(capacity=50)
    ticket_type = make_ticket_type(event)
    sizes = [random.Random(i).randint(1, 4) for i in range(THREADS)]

    outcomes = race(event.pk, ticket_type.pk, sizes)
    orders, refused = split(outcomes)

    taken = assert_consistent(event)
    assert taken == sum(order.tickets.count() for order in orders)
    left = event.capacity - taken
    refused_sizes = [
        sizes[i] for i, o in enumerate(outcomes) if not isinstance(o, Order)
    ]
    assert refused_sizes and min(refused_sizes) > left
    assert taken >= event.capacity - 3
