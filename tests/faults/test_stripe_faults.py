"""Fault: Stripe slow or failing. Already covered in
tests/tickets/test_card_payments.py: Stripe failing (500) or timing out when
a checkout starts (a clear message, the places given back, the answers
kept), failing when the return page or a webhook fetches the session back
(the buyer is told the payment is being confirmed; the webhook answers 503
so Stripe delivers it again). Here: Stripe slow but answering, a webhook
whose fetch-back times out, and no booking waiting on Stripe's answer."""

import threading
import time

import pytest
from django.test import Client

from tests.conftest import book, post_webhook
from tests.tickets.flow import fill_up_to_check, url
from tickets.models import Email, Order, OrderChange, StripeEvent
from tickets.services.outbox import emails_silenced

pytestmark = pytest.mark.django_db(transaction=True)


def to_check_answers_by_card(client, event, ticket_type):
    fill_up_to_check(client, event, ticket_type)
    assert client.post(url("payment", event), {"method": "card"}).status_code == 302


def test_a_slow_stripe_holds_up_only_the_buyer_who_is_paying(
    event, free_type, paid_type, fake_stripe, settings
):
    """Stripe takes 4 s to make the Checkout Session: that buyer waits and
    goes to Stripe; other people's bookings do not queue behind it, because
    no lock is held while we wait for Stripe."""
    settings.STRIPE_TIMEOUT_SECONDS = 10
    payer = Client()
    to_check_answers_by_card(payer, event, paid_type)
    fake_stripe.delay_next("/v1/checkout/sessions", 4)
    answers: list = []
    paying = threading.Thread(
        target=lambda: answers.append(payer.post(url("check", event)))
    )
    paying.start()
    wait_started = time.monotonic()
    while not fake_stripe.sessions and time.monotonic() - wait_started < 10:
        time.sleep(0.01)
    assert fake_stripe.sessions  # Stripe is now sitting on its answer

    started = time.monotonic()
    with emails_silenced():
        other = book(event, free_type, count=2)
    took = time.monotonic() - started
    still_waiting = paying.is_alive()
    paying.join(timeout=30)

    assert still_waiting  # booked while Stripe had not answered the payer
    assert took < 3
    assert other.status == Order.Status.CONFIRMED
    (answer,) = answers
    assert answer.status_code == 302
    assert answer["Location"].startswith(fake_stripe.url)
    order = Order.objects.get(payment_method=Order.PaymentMethod.CARD)
    assert order.status == Order.Status.PENDING
    assert order.stripe_session_id in fake_stripe.sessions
    assert len(fake_stripe.sessions) == 1  # retried answers made no second one


def test_a_webhook_whose_fetch_back_times_out_is_redelivered_and_confirms_once(
    client, event, paid_type, fake_stripe
):
    buyer = Client()
    to_check_answers_by_card(buyer, event, paid_type)
    buyer.post(url("check", event))
    order = Order.objects.get()
    webhook = fake_stripe.complete(order.stripe_session_id, send_webhook=False)
    # Longer than our 2 s timeout, on the first try and both retries.
    fake_stripe.delay_next("/v1/checkout/sessions", 3, times=3)

    slow = post_webhook(client, fake_stripe, webhook)

    assert slow.status_code == 503  # Stripe will deliver it again
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING
    assert not StripeEvent.objects.exists()

    again = [post_webhook(client, fake_stripe, webhook) for _ in range(3)]

    assert [r.status_code for r in again] == [200, 200, 200]
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED
    assert StripeEvent.objects.count() == 1
    assert OrderChange.objects.filter(order=order, action="paid").count() == 1
    assert Email.objects.filter(order=order, kind=Email.Kind.CONFIRMATION).count() == 1
