"""Many buyers race for a code's last uses, each on its own connection.

Runs on whichever database DATABASE_URL names (PostgreSQL in CI, the SQLite
file by default). Threads start together at a barrier; no sleeps.
"""

import threading

import pytest
from django.db import connection

from tests.conftest import lines, make_event, make_ticket_type
from tests.tickets.test_codes import make_code
from tests.tickets.test_order_create_race import race as order_race
from tickets.models import Code, Order, Ticket
from tickets.services import BookingError, order_cancel, order_create
from tickets.services.history import Actor

THREADS = 30


def race(event_id: int, ticket_type, sizes: list[int], code: str) -> list:
    return order_race(event_id, ticket_type.pk, sizes, code=code)


def assert_code_consistent(code: Code) -> int:
    """The code's counter equals the places booked with it and still held."""
    code.refresh_from_db()
    live = (
        Ticket.objects.filter(code=code).exclude(status=Ticket.Status.CANCELLED).count()
    )
    assert code.uses == live <= code.max_uses
    return live


@pytest.mark.django_db(transaction=True)
def test_racing_for_a_limited_code_never_exceeds_its_uses():
    """30 buyers race for a code limited to 5 places: exactly 5 win, each
    loser is told the code is used up, and the counters match the tickets."""
    event = make_event(capacity=250)
    ticket_type = make_ticket_type(event, price_pence=9500)
    code = make_code(event, "RACE5", discount_percent=100, max_uses=5)

    outcomes = race(event.pk, ticket_type, [1] * THREADS, "race5")

    orders = [o for o in outcomes if isinstance(o, Order)]
    refused = [o for o in outcomes if not isinstance(o, Order)]
    assert len(orders) == 5
    assert all(isinstance(exc, BookingError) for exc in refused), refused[:3]
    assert all("used for all its places" in exc.message for exc in refused)
    assert assert_code_consistent(code) == 5
    event.refresh_from_db()
    ticket_type.refresh_from_db()
    # Losers took no places: the pool holds exactly the winners'.
    assert event.places_taken == ticket_type.places_taken == 5
    assert {o.total_pence for o in orders} == {0}


@pytest.mark.django_db(transaction=True)
def test_racing_orders_of_several_places_for_a_code():
    """Orders of 1 to 3 places race for 10 uses: never more than 10 used,
    and every refused order asked for more than was left."""
    event = make_event(capacity=250)
    ticket_type = make_ticket_type(event)
    code = make_code(event, "TEN", max_uses=10)
    sizes = [1 + i % 3 for i in range(THREADS)]

    outcomes = race(event.pk, ticket_type, sizes, "ten")

    used = assert_code_consistent(code)
    assert used == sum(o.tickets.count() for o in outcomes if isinstance(o, Order))
    refused_sizes = [
        sizes[i] for i, o in enumerate(outcomes) if not isinstance(o, Order)
    ]
    assert refused_sizes and min(refused_sizes) > code.max_uses - used
    assert used >= code.max_uses - 2


@pytest.mark.django_db(transaction=True)
def test_cancelling_while_others_race_keeps_the_count_right():
    """Places booked with a code are cancelled while others race for its
    uses: the counter always equals the places still held."""
    event = make_event(capacity=250)
    ticket_type = make_ticket_type(event)
    code = make_code(event, "SWAP", max_uses=6)
    early = [
        order_create(
            event_id=event.pk,
            buyer_name="Early",
            buyer_email="early@example.gov.uk",
            lines=lines(ticket_type, 1),
            code="swap",
        )
        for _ in range(6)
    ]
    barrier = threading.Barrier(2)

    def cancel_all() -> None:
        try:
            barrier.wait(timeout=30)
            for order in early[:3]:
                order_cancel(order_id=order.pk, actor=Actor.system())
        finally:
            connection.close()

    cancelling = threading.Thread(target=cancel_all)
    cancelling.start()
    barrier.wait(timeout=30)
    racer_outcomes = race(event.pk, ticket_type, [1] * 10, "swap")
    cancelling.join(timeout=60)

    won = sum(isinstance(o, Order) for o in racer_outcomes)
    assert won <= 3
    assert assert_code_consistent(code) == 3 + won
