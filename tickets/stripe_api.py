"""The only module that talks to Stripe.

Everything here is network I/O: call it outside any transaction that holds
the pool's lock. Objects come back as plain dicts so the rest of the code
never depends on the stripe library's classes.
"""

from datetime import datetime

import stripe
from django.conf import settings

StripeError = stripe.StripeError
# Stripe understood us and said no (such as an object that does not exist).
RequestRefused = stripe.InvalidRequestError
SignatureError = stripe.SignatureVerificationError


def card_payments_available() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def _client() -> stripe.StripeClient:
    extra = {}
    if settings.STRIPE_API_BASE:
        extra["base_addresses"] = {"api": settings.STRIPE_API_BASE}
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        http_client=stripe.RequestsClient(timeout=settings.STRIPE_TIMEOUT_SECONDS),
        # Retries reuse the idempotency key, so a retry never charges twice.
        max_network_retries=2,
        **extra,
    )


def _plain(obj) -> dict:
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


def checkout_session_create(
    *,
    reference: str,
    buyer_email: str,
    currency: str,
    lines: list[dict],
    expires_at: datetime,
    success_url: str,
    cancel_url: str,
) -> dict:
    """Create a hosted Checkout Session; `lines` are name/unit_pence/quantity."""
    params = {
        "mode": "payment",
        "client_reference_id": reference,
        "customer_email": buyer_email,
        "metadata": {"order_reference": reference},
        "payment_intent_data": {"metadata": {"order_reference": reference}},
        "line_items": [
            {
                "price_data": {
                    "currency": currency.lower(),
                    "unit_amount": line["unit_pence"],
                    "product_data": {"name": line["name"]},
                },
                "quantity": line["quantity"],
            }
            for line in lines
        ],
        "expires_at": int(expires_at.timestamp()),
        "success_url": success_url,
        "cancel_url": cancel_url,
    }
    session = _client().v1.checkout.sessions.create(
        params=params, options={"idempotency_key": f"checkout-{reference}"}
    )
    return _plain(session)


def checkout_session_retrieve(session_id: str) -> dict:
    return _plain(_client().v1.checkout.sessions.retrieve(session_id))


def checkout_session_expire(session_id: str) -> dict:
    return _plain(_client().v1.checkout.sessions.expire(session_id))


def refund_create(
    *, payment_intent: str, amount_pence: int, refund_key: str, reason: str
) -> dict:
    refund = _client().v1.refunds.create(
        params={
            "payment_intent": payment_intent,
            "amount": amount_pence,
            "metadata": {"psdm_refund": refund_key, "reason": reason[:400]},
        },
        options={"idempotency_key": f"refund-{refund_key}"},
    )
    return _plain(refund)


def refund_retrieve(refund_id: str) -> dict:
    return _plain(_client().v1.refunds.retrieve(refund_id))


def webhook_event_construct(payload: bytes, signature: str) -> dict:
    """Return the event if it is signed with our webhook secret, else raise
    SignatureError (or ValueError for a body that is not JSON)."""
    if not settings.STRIPE_WEBHOOK_SECRET:
        raise SignatureError("No webhook secret is configured.", signature)
    try:
        event = stripe.Webhook.construct_event(
            payload, signature, settings.STRIPE_WEBHOOK_SECRET
        )
        event = _plain(event)
    except (AttributeError, TypeError, KeyError, RecursionError) as exc:
        # Signed, but JSON that is not an object (such as `null`), or nested
        # deeper than Python's parser goes.
        raise ValueError("Not a Stripe event") from exc
    if not (_plain_text(event.get("id"), 255) and _plain_text(event.get("type"), 100)):
        raise ValueError("Not a Stripe event")
    return event


def _plain_text(value, max_length: int) -> bool:
    """A string we can store as an id: 1 to `max_length` printable characters
    (PostgreSQL refuses NUL in text)."""
    return (
        isinstance(value, str)
        and 0 < len(value) <= max_length
        and (value.isprintable())
    )
