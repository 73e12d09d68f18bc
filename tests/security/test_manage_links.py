"""Manage-my-booking links (and waiting-list offer links) cannot be guessed
or probed, and do only what still makes sense once a booking is cancelled
or its event is over."""

import importlib
import math
import re
from collections import Counter
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from tests.conftest import book
from tests.tickets.flow import ATTENDEE
from tickets.models import Order, OrderChange, Ticket, new_secret
from tickets.services import Actor, order_cancel

# tickets.views exports a view named "manage", hiding the module.
manage_views = importlib.import_module("tickets.views.manage")

URLSAFE = re.compile(r"[A-Za-z0-9_-]+")


@pytest.fixture(autouse=True)
def no_rate_limits(settings):
    settings.PSDM_RATE_LIMITS_ENABLED = False  # tests/security/test_ratelimit.py


def link(order, suffix=""):
    return f"/bookings/{order.reference}/{order.secret}/{suffix}"


def test_secrets_are_long_and_random(event, free_type):
    secrets = [new_secret() for _ in range(400)]
    assert len(set(secrets)) == len(secrets)
    assert all(len(s) >= 32 and URLSAFE.fullmatch(s) for s in secrets)
    # Shannon entropy of the characters used: close to log2(64) = 6 bits
    # each, so 32 characters carry far more than the 128 bits one needs.
    counts = Counter("".join(secrets))
    total = sum(counts.values())
    bits = -sum(n / total * math.log2(n / total) for n in counts.values())
    assert bits > 5.9
    assert bits * 32 > 128
    order = book(event, free_type)
    assert len(order.secret) >= 32 and URLSAFE.fullmatch(order.secret)
    assert order.secret != book(event, free_type).secret


def normalised(response) -> str:
    """The page without what differs between any two requests."""
    body = response.content.decode()
    body = body.replace(response.wsgi_request.path, "PATH")
    return re.sub(r'nonce="[^"]*"', 'nonce=""', body)


@pytest.mark.parametrize(
    "suffix", ["", "cancel/", "invoice.pdf", "tickets/1/change/", "payment/return/"]
)
def test_a_wrong_secret_looks_exactly_like_an_unknown_booking(
    client, event, free_type, suffix
):
    order = book(event, free_type)
    wrong = client.get(f"/bookings/{order.reference}/{new_secret()}/{suffix}")
    unknown = client.get(f"/bookings/PSDM-ZZZZZ/{new_secret()}/{suffix}")
    short = client.get(f"/bookings/{order.reference}/{order.secret[:-1]}/{suffix}")
    assert wrong.status_code == unknown.status_code == short.status_code == 404
    assert normalised(wrong) == normalised(unknown) == normalised(short)
    assert sorted(wrong.headers) == sorted(unknown.headers)


def test_the_secret_is_compared_in_constant_time(client, event, free_type):
    order = book(event, free_type)
    with mock.patch.object(
        manage_views,
        "constant_time_compare",
        wraps=manage_views.constant_time_compare,
    ) as compare:
        assert client.get(link(order)).status_code == 200
        wrong = f"/bookings/{order.reference}/{order.secret[:-1]}x/"
        assert client.get(wrong).status_code == 404
    assert [c.args for c in compare.call_args_list] == [
        (order.secret, order.secret),
        (order.secret, order.secret[:-1] + "x"),
    ]


def test_the_confirmation_page_does_not_tell_which_references_exist(
    client, event, free_type
):
    order = book(event, free_type)
    known = client.get(f"/bookings/{order.reference}/")
    unknown = client.get("/bookings/PSDM-ZZZZZ/")
    assert known.status_code == unknown.status_code == 404
    assert normalised(known) == normalised(unknown)


def test_an_offer_link_with_a_wrong_token_is_not_found(client, event):
    from tickets.models import WaitlistEntry, WaitlistOffer

    entry = WaitlistEntry.objects.create(
        event=event, name="Ada", email="ada@example.gov.uk", organisation="OPG"
    )
    offer = WaitlistOffer.objects.create(
        entry=entry, event=event, expires_at=timezone.now() + timedelta(days=1)
    )
    assert len(offer.token) >= 32
    assert client.get(f"/waiting-list/offers/{offer.token}/").status_code == 200
    for token in (new_secret(), offer.token[:-1], offer.token.upper(), "x" * 500):
        assert client.get(f"/waiting-list/offers/{token}/").status_code == 404


# --- what an old link still does ---------------------------------------------


def change_attempts(client, order):
    """Try every change through the link; return the statuses."""
    ticket = order.tickets.order_by("pk").first()
    return {
        "change": client.post(
            link(order, f"tickets/{ticket.pk}/change/"), {**ATTENDEE}
        ).status_code,
        "pass_on": client.post(
            link(order, f"tickets/{ticket.pk}/pass-on/"),
            {**ATTENDEE, "first_name": "Someone", "email": "else@example.gov.uk"},
        ).status_code,
        "cancel_one": client.post(
            link(order, f"tickets/{ticket.pk}/cancel/")
        ).status_code,
        "cancel": client.post(link(order, "cancel/")).status_code,
    }


def snapshot(order):
    return (
        Order.objects.filter(pk=order.pk).values_list("status", "payment_status")[0],
        list(
            Ticket.objects.filter(order=order)
            .order_by("pk")
            .values_list("status", "first_name", "email", "secret")
        ),
        OrderChange.objects.filter(order=order).count(),
    )


def test_after_the_event_the_link_shows_the_booking_and_changes_nothing(
    client, event, free_type
):
    order = book(event, free_type, 2)
    event.starts_at = timezone.now() - timedelta(days=2)
    event.ends_at = timezone.now() - timedelta(days=1)
    event.save()
    before = snapshot(order)

    page = client.get(link(order))
    assert page.status_code == 200
    assert order.reference in page.content.decode()
    statuses = change_attempts(client, order)

    assert snapshot(order) == before
    assert all(status in (302, 409) for status in statuses.values()), statuses


def test_after_the_deadlines_changes_and_cancelling_are_refused(
    client, event, free_type
):
    order = book(event, free_type, 2)
    event.changes_deadline = timezone.now() - timedelta(minutes=1)
    event.cancellation_deadline = timezone.now() - timedelta(minutes=1)
    event.save()
    before = snapshot(order)

    statuses = change_attempts(client, order)

    assert snapshot(order) == before
    assert all(status in (302, 409) for status in statuses.values()), statuses
    assert client.get(link(order)).status_code == 200


def test_a_cancelled_booking_link_is_read_only_and_its_badges_are_gone(
    client, event, free_type
):
    order = book(event, free_type, 2)
    ticket = order.tickets.order_by("pk").first()
    order_cancel(order_id=order.pk, actor=Actor.buyer())
    before = snapshot(order)

    assert client.get(link(order)).status_code == 200
    statuses = change_attempts(client, order)
    for kind in ("pdf", "png"):
        badge = client.get(link(order, f"tickets/{ticket.pk}/badge.{kind}"))
        assert badge.status_code == 404
    # Coming back "from Stripe" on an old link does nothing either.
    assert client.get(link(order, "payment/cancel/")).status_code == 302
    assert client.get(link(order, "payment/return/")).status_code in (200, 302)

    assert snapshot(order) == before
    assert all(status in (302, 409) for status in statuses.values()), statuses


def test_a_cancelled_place_cannot_be_changed_through_the_link(client, event, free_type):
    order = book(event, free_type, 2)
    gone, kept = order.tickets.order_by("pk")
    order_cancel(order_id=order.pk, actor=Actor.buyer(), ticket_ids=[gone.pk])
    before = snapshot(order)

    for suffix in ("change/", "pass-on/", "cancel/"):
        response = client.post(
            link(order, f"tickets/{gone.pk}/{suffix}"),
            {**ATTENDEE, "first_name": "Revived"},
        )
        assert response.status_code in (302, 409)
    assert snapshot(order) == before
    kept.refresh_from_db()
    assert kept.status == Ticket.Status.CONFIRMED
