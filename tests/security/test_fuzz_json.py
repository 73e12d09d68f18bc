"""Fuzzing every JSON endpoint: availability.json, the check-in API (scan,
admit, undo, search, stats) as door staff, and Stripe's webhook. Bad JSON,
repeated keys, deep nesting, huge numbers, NaN, wrong types, missing
fields, NUL bytes, odd encodings and lying Content-Length headers: never a
500, and nothing changes unless the request was a real, valid one.

tests/tickets/test_checkin_api.py and tests/tickets/test_payment_junk.py
fuzz the fields' values; these go after the shape of the requests.
"""

import json

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import book
from tickets.models import Order, Scan, StripeEvent, Ticket
from tickets.roles import DOOR_STAFF_GROUP

FUZZ = settings(
    max_examples=50,
    deadline=None,
    derandomize=True,  # the same examples on every run, in CI too
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
API = "/checkin/api/"
SLUG = "test-conference"

text = st.text(st.characters(exclude_categories=["Cs"]), max_size=60)
scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**63 - 2, max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    text,
    st.sampled_from(["", "\x00", "a\x00", SLUG, "n-1", "1", "-1", "0" * 40]),
)
shape = st.recursive(
    scalar,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3)
    ),
    max_leaves=8,
)
FIELDS = ["code", "nonce", "event", "door", "ticket"]


def raw_object(pairs) -> str:
    """A JSON object written by hand, so keys may repeat."""
    return "{" + ",".join(f"{json.dumps(k)}:{v}" for k, v in pairs) + "}"


bodies = (
    st.one_of(
        # Objects with the API's fields (repeated, missing, any type).
        st.lists(
            st.tuples(
                st.sampled_from(FIELDS),
                shape.map(lambda v: json.dumps(v, allow_nan=True)),
            ),
            max_size=7,
        ).map(raw_object),
        # Anything that is JSON at all, and nearly-JSON.
        shape.map(lambda v: json.dumps(v, allow_nan=True)),
        st.sampled_from(
            [
                "",
                "{",
                "{}",
                "[]",
                "null",
                '"code"',
                "NaN",
                "-Infinity",
                "1" * 4000,  # past Python's int digit limit
                "[" * 1500 + "]" * 1500,  # deeper than json's recursion
                '{"code": "x", "nonce": "n", "event": "' + SLUG + '", "code": 1}',
                '{"ticket": 1e400, "nonce": "n", "event": "' + SLUG + '"}',
                '{"ticket": 1.0, "nonce": "n", "event": "' + SLUG + '"}',
                '{"ticket": true, "nonce": "n", "event": "' + SLUG + '"}',
                '{"ticket": "1", "nonce": "n", "event": "' + SLUG + '"}',
                '{"\\u0000": 1, "event": "\\u0000"}',
            ]
        ),
    ).map(str.encode)
    | st.binary(max_size=200)
    | st.sampled_from(
        [
            "{}".encode("utf-16"),
            '{"code": "é"}'.encode("latin-1"),
            b"\xef\xbb\xbf{}",
            b"\x00" * 50,
            b"x" * 5000,  # over the API's 4 KB
        ]
    )
)
content_types = st.sampled_from(
    [
        "application/json",
        "application/json; charset=utf-16",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "",
    ]
)


@pytest.fixture
def door_client(db, settings, django_user_model):
    settings.PSDM_RATE_LIMITS_ENABLED = False  # tests/security/test_ratelimit.py
    settings.PSDM_CHECKIN_RATE_PER_SECOND = 10_000
    settings.PSDM_CHECKIN_RATE_PER_MINUTE = 100_000
    cache.clear()
    user = django_user_model.objects.create_user("door")
    user.groups.add(Group.objects.get(name=DOOR_STAFF_GROUP))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def booked(event, free_type):
    return book(event, free_type, 2)


def state():
    return (
        Order.objects.count(),
        list(Ticket.objects.order_by("pk").values_list("status", "checked_in_at")),
    )


@FUZZ
@given(
    endpoint=st.sampled_from(["scan", "admit", "undo"]),
    body=bodies,
    content_type=content_types,
    # A Content-Length that is missing, not a number, or short of the body.
    # (One longer than the body would only trip the test client's own check:
    # a real server waits for the rest, then gives up.)
    length=st.none() | st.sampled_from(["", "abc", "0", "half"]),
)
def test_junk_shaped_requests_to_the_checkin_api(
    door_client, booked, endpoint, body, content_type, length
):
    if length == "half":
        length = str(len(body) // 2)
    extra = {} if length is None else {"CONTENT_LENGTH": length}
    before, scans = state(), Scan.objects.count()
    response = door_client.generic(
        "POST", API + endpoint, body, content_type=content_type, **extra
    )
    assert response.status_code in {200, 400}
    answer = response.json()
    if response.status_code == 400:
        assert answer["error"] == "bad_request"
        assert Scan.objects.count() == scans  # a refused request is not logged
    if answer.get("result") not in ("admitted", "undone"):
        assert state() == before


@FUZZ
@given(
    endpoint=st.sampled_from(["search", "stats"]),
    params=st.lists(
        st.tuples(st.sampled_from(["event", "q", "page", "limit"]), text | scalar),
        max_size=5,
    ),
)
def test_junk_queries_to_the_checkin_api(door_client, booked, endpoint, params):
    query = [(key, "" if value is None else str(value)) for key, value in params]
    before = state()
    response = door_client.get(API + endpoint, query)
    assert response.status_code in {200, 400}
    assert isinstance(response.json(), dict)
    assert state() == before


@FUZZ
@given(
    slug=text | st.sampled_from([SLUG, SLUG.upper(), SLUG + "\x00", "archive"]),
    params=st.dictionaries(text, text, max_size=3),
    accept=text,
)
def test_junk_requests_for_availability(client, event, free_type, slug, params, accept):
    path = f"/events/{slug}/availability.json".replace("?", "%3F").replace("#", "%23")
    response = client.get(path, params, HTTP_ACCEPT=accept)
    every = slug + accept + "".join(params) + "".join(params.values())
    nul = "\x00" in every or "%00" in slug  # the client decodes the path
    if nul:  # refused before the view: JSON, for a .json address
        assert response.status_code == 400
        assert response.json()["error"] == "bad_request"
        return
    assert response.status_code in {200, 404}
    if response.status_code == 200:
        assert response["Content-Type"] == "application/json"
        assert isinstance(response.json(), dict)


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"])
def test_other_methods_are_refused_everywhere_json_is_spoken(
    door_client, event, method
):
    for path in (
        f"/events/{event.slug}/availability.json",
        API + "scan",
        API + "search",
        "/stripe/webhook/",
    ):
        response = door_client.generic(method, path, b"{}")
        assert response.status_code in {200, 405}, (method, path)
        if response.status_code == 200:
            assert method in ("OPTIONS", "HEAD") or path.endswith(".json")


@pytest.fixture
def pending(event, paid_type, fake_stripe):
    """A card order waiting for its payment, with a Checkout Session."""
    from tickets.services import checkout_start

    order = book(event, paid_type, payment_method="card")
    checkout_start(order_id=order.pk, success_url="http://x/s", cancel_url="http://x/c")
    order.refresh_from_db()
    return order


WEBHOOK_TYPES = [
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
    "charge.refunded",
    "refund.created",
    "refund.updated",
    "refund.failed",
    "payment_intent.succeeded",
    "something.new",
]


@FUZZ
@given(
    event_type=st.sampled_from(WEBHOOK_TYPES),
    junk=st.dictionaries(
        st.sampled_from(
            [
                "id",
                "object",
                "payment_status",
                "status",
                "amount_total",
                "amount",
                "currency",
                "client_reference_id",
                "metadata",
                "payment_intent",
                "charge",
            ]
        ),
        shape,
        max_size=5,
    ),
    keep_ids=st.booleans(),
)
def test_signed_events_with_junk_about_a_real_order(
    client, fake_stripe, pending, event_type, junk, keep_ids
):
    """Stripe's signature is right, the order is real, the fields are junk:
    a polite answer (503 asks Stripe to retry), and the order is changed
    only as Stripe's own record of the session says."""
    obj = {**junk}
    if keep_ids:
        obj.update(
            id=pending.stripe_session_id,
            client_reference_id=pending.reference,
            metadata={"order_reference": pending.reference},
        )
    webhook = fake_stripe.make_event(event_type, obj)
    payload = json.dumps(webhook, allow_nan=True).encode()
    before = Order.objects.filter(pk=pending.pk).values_list(
        "status", "payment_status"
    )[0]
    response = client.post(
        "/stripe/webhook/",
        payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=fake_stripe.sign(payload),
    )
    assert response.status_code in {200, 400, 503}
    after = Order.objects.filter(pk=pending.pk).values_list("status", "payment_status")[
        0
    ]
    # Stripe (the fake) never saw this session paid, so nothing is paid.
    assert after[1] != Order.PaymentStatus.PAID
    assert after == before or after[0] == Order.Status.CANCELLED
    assert StripeEvent.objects.filter(event_id=webhook["id"]).count() <= 1
