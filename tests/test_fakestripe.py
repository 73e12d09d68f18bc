"""The fake Stripe server works with the official stripe library, unmodified."""

import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe

from tests.fakestripe import FakeStripe, parse_params, sign_payload

SUCCESS_URL = "https://tickets.example/paid?session_id={CHECKOUT_SESSION_ID}"
CANCEL_URL = "https://tickets.example/cancelled"


@pytest.fixture
def fake():
    server = FakeStripe().start()
    yield server
    server.stop()


@pytest.fixture
def client(fake):
    return stripe.StripeClient(
        "sk_test_fake", base_addresses={"api": fake.url}, max_network_retries=0
    )


def session_params(**overrides) -> dict:
    params = {
        "mode": "payment",
        "success_url": SUCCESS_URL,
        "cancel_url": CANCEL_URL,
        "client_reference_id": "PSDM-ABC123",
        "customer_email": "ada@example.gov.uk",
        "metadata": {"order_reference": "PSDM-ABC123"},
        "line_items": [
            {
                "price_data": {
                    "currency": "GBP",
                    "unit_amount": 9500,
                    "product_data": {"name": "Commercial ticket"},
                },
                "quantity": 2,
            },
            {
                "price_data": {
                    "currency": "gbp",
                    "unit_amount": 0,
                    "product_data": {"name": "Public sector ticket"},
                },
                "quantity": 1,
            },
        ],
    }
    params.update(overrides)
    return params


def paid_session(client, fake):
    session = client.v1.checkout.sessions.create(params=session_params())
    fake.complete(session.id)
    return client.v1.checkout.sessions.retrieve(session.id)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # surface the 303 as an HTTPError instead of following it


def open_page(url: str, *, post: bool = False):
    """(status, headers, body) for a hosted page, redirects not followed."""
    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, data=b"" if post else None)  # noqa: S310
    try:
        with opener.open(request, timeout=5) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


@pytest.fixture
def receiver():
    """A tiny webhook endpoint: records (body bytes, headers) and answers 200."""
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((body, self.headers))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    server.received = received
    server.url = f"http://127.0.0.1:{server.server_address[1]}/stripe/webhook"
    yield server
    server.shutdown()
    server.server_close()


# -- checkout sessions ----------------------------------------------------------


def test_create_retrieve_expire_round_trip(client, fake):
    session = client.v1.checkout.sessions.create(params=session_params())

    assert session.id.startswith("cs_test_")
    assert session.object == "checkout.session"
    assert (session.status, session.payment_status) == ("open", "unpaid")
    assert session.amount_total == 19000
    assert session.currency == "gbp"
    assert session.url == f"{fake.url}/pay/{session.id}"
    assert session.metadata["order_reference"] == "PSDM-ABC123"
    assert session.client_reference_id == "PSDM-ABC123"
    assert session.payment_intent is None
    assert session.expires_at > time.time() + 23 * 3600  # default: 24 hours

    fetched = client.v1.checkout.sessions.retrieve(session.id)
    assert fetched.id == session.id
    assert fetched.status == "open"

    expired = client.v1.checkout.sessions.expire(session.id)
    assert expired.status == "expired"
    assert fake.sessions[session.id]["status"] == "expired"
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.checkout.sessions.expire(session.id)  # only open ones
    assert info.value.http_status == 400

    methods_paths = [(m, p) for m, p, _ in fake.requests]
    assert methods_paths == [
        ("POST", "/v1/checkout/sessions"),
        ("GET", f"/v1/checkout/sessions/{session.id}"),
        ("POST", f"/v1/checkout/sessions/{session.id}/expire"),
        ("POST", f"/v1/checkout/sessions/{session.id}/expire"),
    ]
    sent = fake.requests[0][2]
    assert sent["line_items"][0]["price_data"]["unit_amount"] == "9500"
    assert sent["metadata"] == {"order_reference": "PSDM-ABC123"}


def test_expand_line_items_and_payment_intent(client, fake):
    session = paid_session(client, fake)
    expanded = client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["line_items", "payment_intent"]}
    )
    assert [item.description for item in expanded.line_items.data] == [
        "Commercial ticket",
        "Public sector ticket",
    ]
    assert expanded.payment_intent.id == session.payment_intent
    assert expanded.payment_intent.amount_received == 19000


def test_idempotency_key_returns_the_first_session(client, fake):
    options = {"idempotency_key": "order-PSDM-ABC123"}
    first = client.v1.checkout.sessions.create(params=session_params(), options=options)
    second = client.v1.checkout.sessions.create(
        params=session_params(), options=options
    )
    assert second.id == first.id
    assert len(fake.sessions) == 1

    # Like Stripe, the same key with different parameters is refused.
    with pytest.raises(stripe.IdempotencyError):
        client.v1.checkout.sessions.create(
            params=session_params(customer_email="other@example.gov.uk"),
            options=options,
        )


def test_expires_at_outside_30_minutes_to_24_hours_is_refused(client, fake):
    for seconds in (29 * 60, 25 * 3600):
        with pytest.raises(stripe.InvalidRequestError) as info:
            client.v1.checkout.sessions.create(
                params=session_params(expires_at=int(time.time()) + seconds)
            )
        assert info.value.param == "expires_at"
        assert info.value.http_status == 400
    ok = client.v1.checkout.sessions.create(
        params=session_params(expires_at=int(time.time()) + 31 * 60)
    )
    assert ok.status == "open"
    assert len(fake.sessions) == 1


def test_missing_line_item_field_is_refused(client):
    params = session_params()
    del params["line_items"][1]["price_data"]["product_data"]
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.checkout.sessions.create(params=params)
    assert info.value.param == "line_items[1][price_data][product_data][name]"
    assert info.value.code == "parameter_missing"


def test_unknown_session_is_404(client):
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.checkout.sessions.retrieve("cs_test_nope")
    assert info.value.http_status == 404
    assert info.value.code == "resource_missing"


def test_bad_api_key_is_refused(fake):
    client = stripe.StripeClient(
        "pk_test_wrong", base_addresses={"api": fake.url}, max_network_retries=0
    )
    with pytest.raises(stripe.AuthenticationError):
        client.v1.checkout.sessions.retrieve("cs_test_nope")


# -- failure injection ----------------------------------------------------------


def test_fail_next_raises_api_error_then_recovers(client, fake):
    fake.fail_next("/v1/checkout/sessions", status=500)
    with pytest.raises(stripe.APIError) as info:
        client.v1.checkout.sessions.create(params=session_params())
    assert info.value.http_status == 500
    assert fake.sessions == {}  # nothing was created

    session = client.v1.checkout.sessions.create(params=session_params())
    assert session.status == "open"


def test_delay_beyond_client_timeout_is_a_connection_error(fake):
    client = stripe.StripeClient(
        "sk_test_fake",
        base_addresses={"api": fake.url},
        max_network_retries=0,
        http_client=stripe.RequestsClient(timeout=0.5),
    )
    fake.delay_next("/v1/checkout/sessions", 1.5)
    with pytest.raises(stripe.APIConnectionError):
        client.v1.checkout.sessions.create(params=session_params())
    # The request itself was carried out, as a real timeout may leave it.
    assert len(fake.sessions) == 1
    session = client.v1.checkout.sessions.create(params=session_params())
    assert session.status == "open"


# -- payment and refunds --------------------------------------------------------


def test_complete_then_refunds_partial_full_and_over(client, fake):
    session = paid_session(client, fake)
    assert (session.status, session.payment_status) == ("complete", "paid")
    assert session.payment_intent.startswith("pi_")

    partial = client.v1.refunds.create(
        params={
            "payment_intent": session.payment_intent,
            "amount": 9500,
            "metadata": {"order_reference": "PSDM-ABC123"},
        }
    )
    assert partial.id.startswith("re_")
    assert (partial.amount, partial.currency, partial.status) == (
        9500,
        "gbp",
        "succeeded",
    )
    assert partial.metadata["order_reference"] == "PSDM-ABC123"
    assert client.v1.refunds.retrieve(partial.id).amount == 9500

    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.refunds.create(
            params={"payment_intent": session.payment_intent, "amount": 9501}
        )
    assert info.value.param == "amount"

    rest = client.v1.refunds.create(params={"payment_intent": session.payment_intent})
    assert rest.amount == 9500  # default: whatever is left

    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.refunds.create(
            params={"payment_intent": session.payment_intent, "amount": 1}
        )
    assert info.value.code == "charge_already_refunded"
    assert len(fake.refunds) == 2


def test_refund_needs_a_known_payment_intent(client):
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.refunds.create(params={})
    assert info.value.param == "payment_intent"
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.refunds.create(params={"payment_intent": "pi_nope"})
    assert info.value.code == "resource_missing"
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.refunds.retrieve("re_nope")
    assert info.value.http_status == 404


def test_refund_in_dashboard_and_async_failure_events(client, fake):
    session = paid_session(client, fake)
    event = fake.refund_in_dashboard(session.payment_intent, 5000)
    assert event["type"] == "refund.created"
    refund = event["data"]["object"]
    assert (refund["amount"], refund["metadata"]) == (5000, {})
    assert refund["id"] in fake.refunds

    other = client.v1.checkout.sessions.create(params=session_params())
    failed = fake.fail_async_payment(other.id)
    assert failed["type"] == "checkout.session.async_payment_failed"
    assert failed["data"]["object"]["payment_status"] == "unpaid"
    assert client.v1.checkout.sessions.retrieve(other.id).status == "complete"


# -- hosted payment page --------------------------------------------------------


def test_hosted_page_then_pay_redirects_to_success_url(client, fake):
    session = client.v1.checkout.sessions.create(params=session_params())

    status, headers, body = open_page(session.url)
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    assert body.startswith('<!doctype html>\n<html lang="en">')
    assert "<h1>Pay £190.00 to Public Sector Digital Midlands</h1>" in body
    assert "<li>Commercial ticket &times; 2: £190.00</li>" in body
    assert '<button type="submit">Pay £190.00</button>' in body
    assert f'<a href="{CANCEL_URL}">Cancel and go back</a>' in body

    status, headers, _ = open_page(session.url, post=True)
    assert status == 303
    assert headers["Location"] == (
        f"https://tickets.example/paid?session_id={session.id}"
    )
    assert fake.sessions[session.id]["payment_status"] == "paid"


def test_hosted_page_for_an_expired_session(client, fake):
    session = client.v1.checkout.sessions.create(params=session_params())
    fake.expire(session.id)  # no webhook_url: nothing is sent
    status, _, body = open_page(f"{fake.url}/pay/{session.id}", post=True)
    assert status == 400
    assert "This payment page has expired" in body


# -- webhooks -------------------------------------------------------------------


def test_webhook_delivery_verifies_with_the_stripe_library(client, fake, receiver):
    fake.webhook_url = receiver.url
    session = client.v1.checkout.sessions.create(params=session_params())
    open_page(session.url, post=True)  # the buyer pays: the webhook is sent

    ((body, headers),) = receiver.received
    assert headers["Content-Type"].startswith("application/json")
    event = stripe.Webhook.construct_event(
        body, headers["Stripe-Signature"], fake.webhook_secret
    )
    assert event.type == "checkout.session.completed"
    assert event.data.object.id == session.id
    assert event.data.object.payment_status == "paid"
    assert fake.deliveries == [(event.id, 200)]

    tampered = body.replace(b'"paid"', b'"free"')
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(
            tampered, headers["Stripe-Signature"], fake.webhook_secret
        )
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(
            body, headers["Stripe-Signature"], "whsec_someone_else"
        )


def test_sign_and_deliver_by_hand(fake, receiver):
    fake.webhook_url = receiver.url
    event = fake.make_event("checkout.session.expired", {"id": "cs_test_x"})
    assert fake.deliver(event, secret="whsec_other") == 200
    body, headers = receiver.received[0]
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(
            body, headers["Stripe-Signature"], fake.webhook_secret
        )

    stale = fake.sign(body, timestamp=int(time.time()) - 600)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, stale, fake.webhook_secret)
    assert fake.sign(body, timestamp=1) == sign_payload(body, fake.webhook_secret, 1)


def test_parse_params_nests_like_stripe_encodes():
    raw = (
        "line_items[0][price_data][unit_amount]=9500&line_items[0][quantity]=1"
        "&metadata[order_reference]=PSDM-1&expand[0]=line_items&expand[1]=x&empty="
    )
    assert parse_params(raw) == {
        "line_items": [{"price_data": {"unit_amount": "9500"}, "quantity": "1"}],
        "metadata": {"order_reference": "PSDM-1"},
        "expand": ["line_items", "x"],
        "empty": "",
    }
