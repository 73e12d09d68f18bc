"""Fault: PostgreSQL ends the site's idle, persistent connection (a restart,
a failover, an administrator's pg_terminate_backend). With CONN_MAX_AGE > 0
the connection is kept between requests, so without a health check the next
request on it answered 503. With CONN_HEALTH_CHECKS Django checks a kept
connection before its first use in a request and opens a new one, so every
request after the drop succeeds: booking and door scans included."""

import time

import pytest
from django.conf import settings
from django.db import close_old_connections, connection
from django.test import Client
from django.test.client import ClientHandler

from tests.conftest import make_event, make_ticket_type
from tests.tickets.conftest import checkin_unlimited, door_staff_group  # noqa: F401
from tests.tickets.flow import ATTENDEE, BUYER, url
from tests.tickets.test_checkin_api import SCAN, post, scan_body
from tickets.models import Order, Ticket

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="pg_terminate_backend is PostgreSQL's",
    ),
    pytest.mark.usefixtures("checkin_unlimited"),
]


class ServerHandler(ClientHandler):
    """The test client's handler doing what Django's WSGI handler does around
    every request, which the test client leaves out: close_old_connections
    when the request starts and when it finishes (request_started and
    request_finished). That is where a kept connection is aged, and marked
    for a health check before its next use."""

    def __call__(self, environ):
        close_old_connections()
        try:
            return super().__call__(environ)
        finally:
            close_old_connections()


def server_client(**kwargs) -> Client:
    client = Client(raise_request_exception=False, **kwargs)
    client.handler = ServerHandler(enforce_csrf_checks=False)
    return client


@pytest.fixture
def kept_connections(monkeypatch):
    """Connections kept for a minute between requests, as in production
    (DJANGO_CONN_MAX_AGE=60), whatever the environment says. The connection
    reads CONN_MAX_AGE from its settings_dict when it connects (the same
    dict as settings.DATABASES["default"]), so it is set there and the
    connection opened again. CONN_HEALTH_CHECKS is left as the settings
    have it: that is what is tested."""
    assert connection.settings_dict is settings.DATABASES["default"]
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 60)
    connection.close()
    yield
    connection.close()


def terminate_the_sites_connection() -> int:
    """End the site's connection from another one, as a PostgreSQL restart
    does, and wait until its server process is gone. Returns its pid."""
    import psycopg

    assert connection.connection is not None, "no connection was kept"
    pid = connection.connection.info.backend_pid
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as other:
        state = other.execute(
            "SELECT state FROM pg_stat_activity WHERE pid = %s", [pid]
        ).fetchone()
        assert state == ("idle",), state  # kept between requests, unused
        assert other.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0]
        for _ in range(200):
            gone = not other.execute(
                "SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]
            ).fetchone()
            if gone:
                break
            time.sleep(0.01)
        assert gone, f"backend {pid} still running"
    return pid


def after_a_drop(request):
    """Terminate the kept connection, then make the request: it must not be
    answered 503, and must have been served on a new connection."""
    pid = terminate_the_sites_connection()
    response = request()
    assert response.status_code != 503, "answered 503 after the connection ended"
    assert connection.connection is not None
    assert connection.connection.info.backend_pid != pid
    return response


def test_booking_and_scanning_after_the_connection_was_ended(
    kept_connections, django_user_model
):
    event = make_event(capacity=10)
    ticket_type = make_ticket_type(event)
    buyer = server_client()

    # A first request: the connection it opens is kept, not closed.
    assert buyer.get(url("choose", event)).status_code == 200
    assert connection.connection is not None

    # Every step of a booking, each after its connection was ended.
    answer = after_a_drop(
        lambda: buyer.post(url("choose", event), {f"qty_{ticket_type.pk}": 2})
    )
    assert answer.status_code == 302
    answer = after_a_drop(
        lambda: buyer.post(url("buyer", event) + "?for=someone-else", BUYER)
    )
    assert answer.status_code == 302
    for number in (1, 2):
        data = {**ATTENDEE, "first_name": f"Ada{number}"}
        answer = after_a_drop(
            lambda data=data, number=number: buyer.post(
                url("attendee", event, number=number), data
            )
        )
        assert answer.status_code == 302, answer.content.decode()[:2000]
    answer = after_a_drop(lambda: buyer.post(url("check", event)))
    assert answer.status_code == 302, answer.content.decode()[:2000]

    order = Order.objects.get(event=event)
    assert order.status == Order.Status.CONFIRMED
    tickets = list(order.tickets.order_by("pk"))
    assert [t.first_name for t in tickets] == ["Ada1", "Ada2"]

    # The door scans one of them, after its connection was ended too.
    door = django_user_model.objects.create_user("door")
    door.groups.add(door_staff_group())
    scanner = server_client()
    scanner.force_login(door)
    ticket = tickets[0]
    answer = after_a_drop(lambda: post(scanner, SCAN, scan_body(event, ticket.secret)))
    assert answer.status_code == 200, answer.content
    assert answer.json()["result"] == "admitted"
    ticket.refresh_from_db()
    assert ticket.checked_in_at is not None
    assert ticket.scans.count() == 1
    assert Ticket.objects.filter(checked_in_at__isnull=False).count() == 1
