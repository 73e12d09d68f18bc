"""Fault: lock contention under a rush. A buyer whose booking cannot get the
pool's lock in time is shown a friendly "busy, please try again" page (503
with Retry-After), never a 500, and nothing is half-booked. See also
tests/tickets/test_order_create_race.py (the service under a 60-thread race)
and tests/tickets/test_junk_input.py (the service with a stuck lock)."""

import threading

import psycopg
import pytest
from django.db import connection
from django.test import Client

from tests.conftest import make_event, make_ticket_type
from tests.tickets.flow import choose, fill_up_to_check, self_details, url
from tests.tickets.test_order_create_race import assert_consistent
from tickets.models import Order, Reservation, Ticket

pytestmark = pytest.mark.django_db(transaction=True)

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="lock_timeout is PostgreSQL's"
)


def other_connection() -> psycopg.Connection:
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    return psycopg.connect(**params)


@on_postgresql
def test_a_locked_pool_shows_busy_try_again_not_an_error(settings):
    """Choosing places waits for the pool's lock only so long."""
    settings.PSDM_LOCK_TIMEOUT_MS = 200
    event = make_event(capacity=10)
    ticket_type = make_ticket_type(event)
    client = Client()

    with other_connection() as other:
        other.execute("BEGIN")
        other.execute("SELECT 1 FROM events_event WHERE id = %s FOR UPDATE", [event.pk])
        response = choose(client, event, {ticket_type.pk: 2})
        other.execute("ROLLBACK")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    page = response.content.decode()
    assert "Lots of people are booking right now. Please try again." in page
    assert 'class="govuk-error-summary"' in page
    assert "Traceback" not in page
    assert not Reservation.objects.exists()
    assert assert_consistent(event) == 0

    # The lock is gone: the same choice, sent again, reserves the places.
    assert choose(client, event, {ticket_type.pk: 2}).status_code == 302
    assert Reservation.objects.get().places == 2
    assert assert_consistent(event) == 0


@on_postgresql
def test_a_locked_reservation_shows_busy_try_again_not_an_error(settings):
    """Confirming waits for the reservation's lock only so long."""
    settings.PSDM_LOCK_TIMEOUT_MS = 200
    event = make_event(capacity=10)
    ticket_type = make_ticket_type(event)
    client = Client()
    fill_up_to_check(client, event, ticket_type, count=2)
    reservation = Reservation.objects.get()

    with other_connection() as other:
        other.execute("BEGIN")
        other.execute(
            "SELECT 1 FROM tickets_reservation WHERE id = %s FOR UPDATE",
            [reservation.pk],
        )
        response = client.post(url("check", event))
        other.execute("ROLLBACK")

    assert response.status_code == 503
    assert "Lots of people are booking right now. Please try again." in (
        response.content.decode()
    )
    assert Order.objects.count() == 0 and Ticket.objects.count() == 0
    assert client.post(url("check", event)).status_code == 302
    assert Order.objects.get().tickets.count() == 2
    assert assert_consistent(event) == 2


def test_a_rush_through_the_pages_is_never_a_500(settings):
    """Thirty buyers choose places at once for ten, with a lock timeout so
    short that some give up waiting: each has places reserved, is told the
    places have gone, or is told to try again, and the pool stays right.
    Then everyone with places confirms at once: all are booked."""
    settings.PSDM_LOCK_TIMEOUT_MS = 1
    event = make_event(capacity=10)
    ticket_type = make_ticket_type(event)
    clients = [Client() for _ in range(30)]
    for client in clients:
        assert client.get(url("choose", event)).status_code == 200

    responses = together(
        [lambda c=c: choose(c, event, {ticket_type.pk: 1}) for c in clients]
    )
    statuses = [getattr(r, "status_code", r) for r in responses]
    assert set(statuses) <= {302, 409, 503}, statuses
    reserved = [c for c, status in zip(clients, statuses, strict=True) if status == 302]
    assert len(reserved) == Reservation.objects.count() <= 10
    for response in responses:
        if response.status_code == 503:
            assert response["Retry-After"]
            assert "Please try again" in response.content.decode()
        if response.status_code == 409:
            assert "sold out" in response.content.decode()
    assert assert_consistent(event) == 0

    for client in reserved:
        fill_in_details(client, event)
    confirmed = together([lambda c=c: c.post(url("check", event)) for c in reserved])
    assert [r.status_code for r in confirmed] == [302] * len(reserved)
    assert Order.objects.count() == len(reserved)
    assert assert_consistent(event) == len(reserved)


def fill_in_details(client, event) -> None:
    response = self_details(client, event)
    assert response.status_code == 302 and response["Location"] == url("check", event)


def together(jobs) -> list:
    """Run each job in its own thread, all released at once; return what each
    returned (or raised)."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = jobs[index]()
        except Exception as exc:  # noqa: BLE001 - reported by the assertions
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results
