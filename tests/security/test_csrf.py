"""CSRF protection on every URL: a POST without the token is refused by the
CSRF check itself, for every pattern the resolver knows (admin and the
check-in API included), even for the one person who may make that POST.
Stripe's webhook is the only exemption (its signature protects it). The
check-in API runs the same check itself, for every request that does not
carry a door device's token (a browser never sends that header by itself)."""

import json

import pytest
from django.http import HttpResponseForbidden

from tickets.models import Order, Ticket
from tickets.views.payments import stripe_webhook

from .resolver import fill, url_patterns
from .world import world_make

REFUSED = b"refused by the CSRF check"
EXEMPT = {"stripe/webhook/"}
# Exempt from the middleware, checked by the view unless a token is sent.
CHECKED_BY_THE_VIEW = {
    f"checkin/api/{name}" for name in ("scan", "admit", "undo", "search", "stats")
}


def csrf_refused(request, reason=""):
    """Stands in for CSRF_FAILURE_VIEW, so a 403 here is surely CSRF's."""
    return HttpResponseForbidden(REFUSED)


@pytest.fixture
def world(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.STRIPE_SECRET_KEY = ""
    settings.PSDM_RATE_LIMITS_ENABLED = False  # tests/security/test_ratelimit.py
    return world_make(tmp_path)


def test_the_stripe_webhook_is_the_only_view_exempt_from_csrf():
    """Besides the check-in API, which checks it itself (the test below
    posts to it like to every other URL)."""
    exempt = {
        p.route for p in url_patterns() if getattr(p.callback, "csrf_exempt", False)
    }
    assert exempt == EXEMPT | CHECKED_BY_THE_VIEW
    assert stripe_webhook.csrf_exempt


@pytest.mark.parametrize("role", ["attendee", "superuser"])
def test_every_post_without_a_token_is_refused(world, settings, role):
    """As the attendee (who holds the link and the booking's session) and as
    the superuser (who may do anything), so only CSRF stands in the way."""
    settings.CSRF_FAILURE_VIEW = "tests.security.test_csrf.csrf_refused"
    client = world.client(role, enforce_csrf_checks=True)
    client.get("/events/test-conference/book/")  # a CSRF cookie, as a browser has
    before = (Order.objects.count(), Ticket.objects.filter(status="confirmed").count())
    wrong = []
    for pattern in url_patterns():
        if pattern.route in EXEMPT:
            continue
        path = fill(world, pattern.route, role)
        for body in ({}, {"csrfmiddlewaretoken": "x" * 64}):
            response = client.post(path, body)
            if (response.status_code, response.content) != (403, REFUSED):
                wrong.append(f"POST {path} {body}: {response.status_code}")
        response = client.post(path, "{}", content_type="application/json")
        if (response.status_code, response.content) != (403, REFUSED):
            wrong.append(f"POST {path} (JSON): {response.status_code}")
    assert not wrong, "\n".join(wrong)
    assert (
        Order.objects.count(),
        Ticket.objects.filter(status="confirmed").count(),
    ) == before


def test_with_the_token_the_same_post_goes_through(world, settings):
    """The control: the refusals above are CSRF's, not the page's."""
    settings.CSRF_FAILURE_VIEW = "tests.security.test_csrf.csrf_refused"
    client = world.client("anonymous", enforce_csrf_checks=True)
    client.get("/events/test-conference/book/")
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/events/test-conference/book/", {"csrfmiddlewaretoken": token}
    )
    assert response.status_code == 200  # the form again, with its errors
    assert b"There is a problem" in response.content


def test_the_checkin_api_answers_a_missing_token_in_json(world):
    client = world.client("door", enforce_csrf_checks=True)
    assert client.get("/checkin/test-conference/").status_code == 200
    token = client.cookies["csrftoken"].value
    body = json.dumps(
        {"code": "x", "nonce": "n-1", "event": "test-conference", "door": "A"}
    )
    refused = client.post("/checkin/api/scan", body, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["error"] == "csrf"
    allowed = client.post(
        "/checkin/api/scan",
        body,
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert allowed.status_code == 200
    assert allowed.json()["result"] == "invalid"


def test_a_token_from_another_session_is_refused(world, settings):
    """A token an attacker got from their own visit does not work with the
    victim's cookie."""
    settings.CSRF_FAILURE_VIEW = "tests.security.test_csrf.csrf_refused"
    attacker = world.client("anonymous", enforce_csrf_checks=True)
    attacker.get("/events/test-conference/book/")
    stolen = attacker.cookies["csrftoken"].value
    victim = world.client("attendee", enforce_csrf_checks=True)
    victim.get("/events/test-conference/book/")
    response = victim.post(
        f"/bookings/{world.order.reference}/{world.order.secret}/cancel/",
        {"csrfmiddlewaretoken": stolen},
    )
    assert (response.status_code, response.content) == (403, REFUSED)
    world.order.refresh_from_db()
    assert world.order.status == Order.Status.CONFIRMED
