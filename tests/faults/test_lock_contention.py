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
from tests.tickets.flow import fill_up_to_check, url
from tests.tickets.test_order_create_race import assert_consistent
from tickets.models import Order, Ticket

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
    settings.PSDM_LOCK_TIMEOUT_MS = 200
    event = make_event(capacity=10)
    ticket_type = make_ticket_type(event)
    client = Client()
    fill_up_to_check(client, event, ticket_type, count=2)

    with other_connection() as other:
        other.execute("BEGIN")
        other.execute("SELECT 1 FROM events_event WHERE id = %s FOR UPDATE", [event.pk])
        response = client.post(url("check", event))
        other.execute("ROLLBACK")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    page = response.content.decode()
    assert "Lots of people are booking right now. Please try again." in page
    assert 'class="govuk-error-summary"' in page
    assert "Traceback" not in page
    assert Order.objects.count() == 0 and Ticket.objects.count() == 0
    assert assert_consistent(event) == 0

    # The lock is gone: the same answers, sent again, book the places.
    again = client.post(url("check", event))
    assert again.status_code == 302
    assert Order.objects.get().tickets.count() == 2
    assert assert_consistent(event) == 2


def test_a_rush_through_the_pages_is_never_a_500(settings):
    """Thirty buyers press "Confirm" at once for ten places, with a lock
    timeout so short that some give up waiting: each is booked, told the
    places have gone, or told to try again, and the pool stays right."""
    settings.PSDM_LOCK_TIMEOUT_MS = 1
    event = make_event(capacity=10)
    ticket_type = make_ticket_type(event)
    clients = []
    for _ in range(30):
        client = Client()
        fill_up_to_check(client, event, ticket_type, count=1)
        clients.append(client)
    barrier = threading.Barrier(len(clients))
    responses: list = [None] * len(clients)

    def confirm(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            responses[index] = clients[index].post(url("check", event))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            responses[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm, args=(i,)) for i in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    statuses = [getattr(r, "status_code", r) for r in responses]
    assert set(statuses) <= {302, 409, 503}, statuses
    if connection.vendor == "postgresql":  # SQLite waits its 20 s instead
        assert 503 in statuses
    booked = statuses.count(302)
    assert booked == Order.objects.count() <= 10
    for response in responses:
        if response.status_code == 503:
            assert response["Retry-After"]
            assert "Please try again" in response.content.decode()
    assert assert_consistent(event) == booked
