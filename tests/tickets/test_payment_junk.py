"""Junk sent to the payment pages, the manage-my-booking pages and the
Stripe webhook is refused politely: never a 500, nothing changed."""

import json

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.conftest import book, post_webhook
from tests.tickets.flow import fill_up_to_check, url
from tests.tickets.test_junk_input import OK, junk_text
from tickets.models import Order, StripeEvent

FIELDS = [
    "method",
    "organisation",
    "contact_name",
    "contact_email",
    "address",
    "po_number",
    "first_name",
    "last_name",
    "email",
    "sector",
    "total_pence",
]
junk_form = st.dictionaries(st.sampled_from(FIELDS), junk_text, max_size=8)
HYPOTHESIS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@pytest.fixture
def paying(client, event, paid_type):
    event.invoice_payment_enabled = True
    event.save()
    fill_up_to_check(client, event, paid_type)
    return client


@HYPOTHESIS
@given(data=junk_form, step=st.sampled_from(["payment", "invoice", "check"]))
def test_junk_posted_to_the_payment_steps(paying, event, data, step):
    response = paying.post(url(step, event), data)
    assert response.status_code in OK
    assert Order.objects.count() == 0


@HYPOTHESIS
@given(data=junk_form, page=st.sampled_from(["change", "pass-on", "cancel"]))
def test_junk_posted_to_manage_my_booking(client, event, free_type, data, page):
    order = book(event, free_type)
    ticket = order.tickets.get()
    before = ticket.full_name
    response = client.post(
        f"/bookings/{order.reference}/{order.secret}/tickets/{ticket.pk}/{page}/", data
    )
    assert response.status_code in OK
    ticket.refresh_from_db()
    if page != "cancel":
        assert ticket.full_name == before or response.status_code == 302


@HYPOTHESIS
@given(reference=junk_text, secret=junk_text)
@example(reference="\x00", secret="0")  # PostgreSQL refuses NUL in a query
@example(reference="PSDM-\x00", secret="0")
def test_junk_manage_links_are_not_found(client, db, reference, secret):
    from urllib.parse import quote

    response = client.get(
        f"/bookings/{quote(reference, safe='')}/{quote(secret, safe='')}/"
    )
    # 400: a NUL, refused for the whole site (psdm.security).
    nul = "\x00" in reference + secret
    assert response.status_code in ({400} if nul else {404, 301, 302})


@HYPOTHESIS
@given(
    body=st.one_of(
        st.binary(max_size=500),
        st.text(max_size=300).map(str.encode),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=20),
            lambda children: (
                st.lists(children, max_size=3)
                | st.dictionaries(st.text(max_size=10), children, max_size=3)
            ),
            max_leaves=10,
        ).map(lambda value: json.dumps(value).encode()),
    ),
    signed=st.booleans(),
)
def test_junk_sent_to_the_webhook(client, db, fake_stripe, body, signed):
    header = fake_stripe.sign(body) if signed else "t=1,v1=junk"
    response = client.post(
        "/stripe/webhook/",
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=header,
    )
    assert response.status_code in {200, 400}


@HYPOTHESIS
@given(
    event_type=st.sampled_from(
        [
            "checkout.session.completed",
            "checkout.session.expired",
            "checkout.session.async_payment_failed",
            "refund.created",
        ]
    ),
    obj=st.dictionaries(
        st.sampled_from(["id", "object", "amount_total", "payment_intent"]),
        st.one_of(st.text(max_size=30), st.integers(), st.none()),
        max_size=4,
    ),
)
def test_signed_events_about_unknown_objects_change_nothing(
    client, db, fake_stripe, event_type, obj
):
    webhook = fake_stripe.make_event(event_type, obj)
    response = post_webhook(client, fake_stripe, webhook)
    assert response.status_code == 200
    assert response.json()["outcome"] == "ignored"
    assert StripeEvent.objects.filter(event_id=webhook["id"]).count() == 1


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000,  # signed, but nested past Python's recursion limit
        b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
        json.dumps(
            {"id": "evt_\u0000x", "type": "checkout.session.completed", "data": {}}
        ).encode(),
        json.dumps(
            {"id": "evt_" + "x" * 300, "type": "refund.created", "data": {}}
        ).encode(),
        json.dumps(
            {"id": "evt_1", "type": "checkout.session.\u0000completed", "data": {}}
        ).encode(),
    ],
    ids=["deep-list", "deep-object", "nul-id", "long-id", "nul-type"],
)
def test_signed_malformed_events_are_refused_and_logged(
    client, db, fake_stripe, body, caplog
):
    """Signed with our secret, but not an event we could ever store: 400,
    logged, nothing saved."""
    response = client.post(
        "/stripe/webhook/",
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=fake_stripe.sign(body),
    )
    assert response.status_code == 400
    assert not StripeEvent.objects.exists()
    assert any("webhook" in r.getMessage().lower() for r in caplog.records)
