"""Reservations under concurrency, each client on its own database
connection, started together at a barrier; no sleeps.

The step-1 races need row locks to mean something and are PostgreSQL's; the
double-submit races run on either database."""

import threading

import pytest
from django.db import connection
from django.test import Client

from tests.conftest import book, make_event, make_ticket_type
from tests.tickets.flow import fill_up_to_check, url
from tests.tickets.test_order_create_race import assert_consistent
from tickets.models import Email, Order, Reservation
from tickets.services import SoldOut
from tickets.services.reservations import reservation_create

pytestmark = pytest.mark.django_db(transaction=True)


def together(jobs, connections: int = 60) -> list:
    """Run each job in a thread of its own, all released at once; at most
    `connections` of them use the database at a time (as a server's workers
    would; PostgreSQL allows 100 here). Return what each returned or raised."""
    barrier = threading.Barrier(len(jobs))
    gate = threading.Semaphore(connections)
    results: list = [None] * len(jobs)

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=60)
            with gate:
                try:
                    results[index] = jobs[index]()
                finally:
                    connection.close()
        except Exception as exc:  # noqa: BLE001 - reported by the assertions
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert not any(thread.is_alive() for thread in threads)
    return results


def tabs_of(browser: Client, count: int) -> list[Client]:
    """`count` clients sharing `browser`'s cookies: its tabs, or its retries."""
    tabs = []
    for _i in range(count):
        tab = Client()
        tab.cookies = browser.cookies
        tabs.append(tab)
    return tabs


def reserved_places(event) -> int:
    return sum(
        r.places
        for r in Reservation.objects.filter(
            event=event, status=Reservation.Status.ACTIVE
        )
    )


@pytest.mark.postgres
def test_200_clients_racing_for_the_last_places_at_step_one():
    """225 of 250 places are gone; 200 clients choose 1 or 2 places at once:
    never a place too many, and every loser is told at step 1."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's")
    event = make_event(capacity=250)
    ticket_type = make_ticket_type(event, max_per_order=20)
    for _order in range(11):
        book(event, ticket_type, count=20)
    book(event, ticket_type, count=5)  # 225 gone in all
    event.refresh_from_db()
    assert event.places_taken == 225
    sizes = [1 + (i % 2) for i in range(200)]

    outcomes = together(
        [
            lambda size=size: reservation_create(
                event_id=event.pk, quantities={ticket_type.pk: size}
            )
            for size in sizes
        ]
    )

    won = [o for o in outcomes if isinstance(o, Reservation)]
    lost = [o for o in outcomes if not isinstance(o, Reservation)]
    assert all(isinstance(o, SoldOut) for o in lost), lost[:3]
    assert sum(r.places for r in won) == reserved_places(event)
    assert 24 <= reserved_places(event) <= 25  # a 2 cannot fit the last 1
    assert_consistent(event)
    event.refresh_from_db()
    assert event.places_taken <= event.capacity


@pytest.mark.postgres
def test_reservations_running_out_while_others_reserve():
    """Half the places are in reservations that have just run out; 120
    clients race for the places: the lapsed ones are given back exactly once
    and the pool is never oversold."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's")
    from datetime import timedelta

    from django.utils import timezone

    event = make_event(capacity=60)
    ticket_type = make_ticket_type(event, max_per_order=20)
    for _i in range(30):
        reservation_create(event_id=event.pk, quantities={ticket_type.pk: 1})
    Reservation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    book(event, ticket_type, count=10)

    outcomes = together(
        [
            lambda: reservation_create(
                event_id=event.pk, quantities={ticket_type.pk: 1}
            )
            for _i in range(120)
        ]
    )

    won = [o for o in outcomes if isinstance(o, Reservation)]
    lost = [o for o in outcomes if not isinstance(o, Reservation)]
    assert all(isinstance(o, SoldOut) for o in lost), lost[:3]
    assert len(won) == 50
    assert Reservation.objects.filter(status=Reservation.Status.EXPIRED).count() == 30
    assert_consistent(event)


@pytest.mark.parametrize("presses", [2, 10])
def test_confirm_pressed_at_once_books_once(presses):
    """Two or ten "Confirm booking" POSTs from one browser at once (a double
    click, tabs, retries): one order, one confirmation e-mail, and every
    press lands on the same confirmation page."""
    event = make_event(capacity=10)
    ticket_type = make_ticket_type(event)
    browser = Client()
    fill_up_to_check(browser, event, ticket_type, count=2)
    tabs = tabs_of(browser, presses)

    responses = together(
        [lambda tab=tab: tab.post(url("check", event)) for tab in tabs]
    )

    statuses = [getattr(r, "status_code", r) for r in responses]
    assert statuses == [302] * presses, statuses
    order = Order.objects.get()
    assert {r["Location"] for r in responses} == {f"/bookings/{order.reference}/"}
    assert order.tickets.count() == 2
    assert Email.objects.filter(kind=Email.Kind.CONFIRMATION).count() == 1
    assert assert_consistent(event) == 2


@pytest.mark.parametrize("presses", [2, 10])
def test_card_confirm_pressed_at_once_makes_one_checkout_session(presses, fake_stripe):
    event = make_event(capacity=10)
    ticket_type = make_ticket_type(event, price_pence=9500)
    browser = Client()
    fill_up_to_check(browser, event, ticket_type, count=1)
    assert browser.post(url("payment", event), {"method": "card"}).status_code == 302
    tabs = tabs_of(browser, presses)

    responses = together(
        [lambda tab=tab: tab.post(url("check", event)) for tab in tabs]
    )

    statuses = [getattr(r, "status_code", r) for r in responses]
    assert statuses == [302] * presses, statuses
    order = Order.objects.get()
    assert order.status == Order.Status.PENDING and order.stripe_session_id
    assert len(fake_stripe.sessions) == 1
    (session,) = fake_stripe.sessions.values()
    assert {r["Location"] for r in responses} == {session["url"]}
    assert assert_consistent(event) == 1


@pytest.mark.parametrize("presses", [2, 10])
def test_choosing_places_pressed_at_once_reserves_once(presses):
    """A double-clicked "Continue" at step 1 (from one browser, the same CSRF
    cookie and session) holds the places once, not once per click."""
    event = make_event(capacity=50)
    ticket_type = make_ticket_type(event)
    browser = Client()
    browser.get(url("choose", event))  # the CSRF cookie, as a browser has
    tabs = tabs_of(browser, presses)

    responses = together(
        [
            lambda tab=tab: tab.post(url("choose", event), {f"qty_{ticket_type.pk}": 2})
            for tab in tabs
        ]
    )

    assert [getattr(r, "status_code", r) for r in responses] == [302] * presses
    assert Reservation.objects.filter(status=Reservation.Status.ACTIVE).count() == 1
    assert reserved_places(event) == 2
    assert_consistent(event)
