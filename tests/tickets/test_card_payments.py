"""Card payments through Stripe Checkout, against the fake Stripe server.

The official stripe library runs unmodified; only Stripe's servers are fake.
Webhooks are signed with the real HMAC scheme.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import book, make_ticket_type, post_webhook
from tests.tickets.flow import fill_up_to_check, url
from tickets.models import Order, OrderChange, Reservation, StripeEvent, Ticket
from tickets.selectors import event_availability
from tickets.services import (
    Actor,
    Outcome,
    checkout_session_sync,
    checkout_start,
    holds_expire,
)


def pay_by_card_until_stripe(client, event, ticket_type, count=1):
    """Go through the pages, choose card, confirm: return the order and the
    response (a redirect to Stripe's page)."""
    fill_up_to_check(client, event, ticket_type, count=count)
    response = client.post(url("payment", event), {"method": "card"})
    assert response.status_code == 302
    assert response["Location"].endswith("/book/check/")
    response = client.post(url("check", event))
    order = Order.objects.get()
    return order, response


def start(order):
    return checkout_start(
        order_id=order.pk,
        success_url="http://testserver/ok?session_id={CHECKOUT_SESSION_ID}",
        cancel_url="http://testserver/cancel",
    )


def test_card_payment_holds_places_and_sends_the_buyer_to_stripe(
    client, event, paid_type, fake_stripe
):
    order, response = pay_by_card_until_stripe(client, event, paid_type, count=2)

    session = fake_stripe.sessions[order.stripe_session_id]
    assert response.status_code == 302
    assert response["Location"] == session["url"]
    assert order.status == Order.Status.PENDING
    assert order.total_pence == 19000
    assert set(order.tickets.values_list("status", flat=True)) == {"held"}
    assert session["amount_total"] == 19000
    assert session["currency"] == "gbp"
    assert session["client_reference_id"] == order.reference
    assert session["metadata"]["order_reference"] == order.reference
    assert session["customer_email"] == "grace@example.gov.uk"
    assert session["expires_at"] == int(order.hold_expires_at.timestamp())
    assert order.hold_expires_at - timezone.now() > timedelta(minutes=30)
    availability = event_availability(event=event)
    assert (availability.held, availability.remaining) == (2, 248)
    event.refresh_from_db()
    assert event.places_taken == 2


def test_prices_posted_by_the_browser_are_ignored(
    client, event, paid_type, fake_stripe
):
    fill_up_to_check(client, event, paid_type)
    client.post(url("payment", event), {"method": "card"})
    client.post(url("check", event), {"total_pence": "1", "price": "0"})
    order = Order.objects.get()
    assert order.total_pence == 9500
    assert fake_stripe.sessions[order.stripe_session_id]["amount_total"] == 9500


def test_the_completed_webhook_confirms_the_order(
    client, event, paid_type, fake_stripe
):
    order, _ = pay_by_card_until_stripe(client, event, paid_type)
    webhook = fake_stripe.complete(order.stripe_session_id, send_webhook=False)

    response = post_webhook(client, fake_stripe, webhook)

    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED
    assert order.payment_status == Order.PaymentStatus.PAID
    assert order.paid_pence == 9500
    assert order.stripe_payment_intent_id.startswith("pi_")
    assert list(order.tickets.values_list("status", flat=True)) == ["confirmed"]
    assert event_availability(event=event).confirmed == 1


def test_the_same_webhook_five_times_confirms_once(
    client, event, paid_type, fake_stripe
):
    order, _ = pay_by_card_until_stripe(client, event, paid_type)
    webhook = fake_stripe.complete(order.stripe_session_id, send_webhook=False)

    statuses = [
        post_webhook(client, fake_stripe, webhook).status_code for _ in range(5)
    ]

    assert statuses == [200] * 5
    assert StripeEvent.objects.filter(event_id=webhook["id"]).count() == 1
    assert OrderChange.objects.filter(order=order, action="paid").count() == 1
    event.refresh_from_db()
    assert event.places_taken == 1


def test_two_different_events_for_one_payment_confirm_once(
    client, event, paid_type, fake_stripe
):
    """Out-of-order and repeated events (different ids) are harmless too."""
    order, _ = pay_by_card_until_stripe(client, event, paid_type)
    completed = fake_stripe.complete(order.stripe_session_id, send_webhook=False)
    again = fake_stripe.make_event(
        "checkout.session.completed", completed["data"]["object"]
    )
    expired_late = fake_stripe.make_event(
        "checkout.session.expired", completed["data"]["object"]
    )

    for webhook in (expired_late, completed, again, expired_late):
        assert post_webhook(client, fake_stripe, webhook).status_code == 200

    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED
    assert OrderChange.objects.filter(order=order, action="paid").count() == 1


@pytest.mark.parametrize(
    "tamper",
    ["wrong_secret", "tampered_body", "stale", "no_header", "not_json"],
)
def test_a_webhook_that_is_not_from_stripe_is_refused(
    client, event, paid_type, fake_stripe, tamper
):
    import json
    import time

    order, _ = pay_by_card_until_stripe(client, event, paid_type)
    webhook = fake_stripe.complete(order.stripe_session_id, send_webhook=False)
    payload = json.dumps(webhook).encode()
    header = fake_stripe.sign(payload)
    if tamper == "wrong_secret":
        header = fake_stripe.sign(payload, secret="whsec_someone_else")
    elif tamper == "tampered_body":
        payload = payload.replace(b'"paid"', b'"PAID"')
    elif tamper == "stale":
        header = fake_stripe.sign(payload, timestamp=int(time.time()) - 3600)
    elif tamper == "no_header":
        header = ""
    elif tamper == "not_json":
        payload = b"\xff\xfe<not json>"
        header = fake_stripe.sign(payload)

    response = client.post(
        "/stripe/webhook/",
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=header,
    )

    assert response.status_code == 400
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING
    assert StripeEvent.objects.count() == 0


def test_unknown_event_types_get_a_200(client, event, fake_stripe):
    webhook = fake_stripe.make_event("customer.created", {"id": "cus_1"})
    response = post_webhook(client, fake_stripe, webhook)
    assert response.status_code == 200


def test_the_return_page_confirms_when_the_webhook_is_late(
    client, event, paid_type, fake_stripe
):
    order, _ = pay_by_card_until_stripe(client, event, paid_type)
    webhook = fake_stripe.complete(order.stripe_session_id, send_webhook=False)

    response = client.get(order.get_absolute_url() + "payment/return/")

    assert response.status_code == 302
    assert response["Location"] == f"/bookings/{order.reference}/"
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED
    page = client.get(response["Location"]).content.decode()
    assert "Booking complete" in page and "You have paid £95" in page
    # The reservation is the order now, so going back cannot buy twice.
    again = client.post(url("check", event))
    assert again["Location"] == f"/bookings/{order.reference}/"
    assert Order.objects.count() == 1
    # Then the webhook arrives: nothing more happens.
    assert post_webhook(client, fake_stripe, webhook).status_code == 200
    assert OrderChange.objects.filter(order=order, action="paid").count() == 1


def test_the_return_page_after_the_webhook_shows_the_confirmation(
    client, event, paid_type, fake_stripe
):
    order, _ = pay_by_card_until_stripe(client, event, paid_type)
    webhook = fake_stripe.complete(order.stripe_session_id, send_webhook=False)
    post_webhook(client, fake_stripe, webhook)

    response = client.get(order.get_absolute_url() + "payment/return/", follow=True)

    assert "Booking complete" in response.content.decode()


def test_a_paid_buyer_never_sees_failure_when_stripe_is_down(
    client, event, paid_type, fake_stripe
):
    order, _ = pay_by_card_until_stripe(client, event, paid_type)
    fake_stripe.complete(order.stripe_session_id, send_webhook=False)
    fake_stripe.fail_next("/v1/checkout/sessions", status=500, times=10)

    response = client.get(order.get_absolute_url() + "payment/return/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "We are confirming your payment" in page
    assert "Please do not pay again" in page
    assert "failed" not in page.lower()


@pytest.mark.parametrize("failure", ["500", "timeout"])
def test_stripe_failing_at_checkout_gives_a_message_and_the_places_back(
    client, event, paid_type, fake_stripe, failure
):
    fill_up_to_check(client, event, paid_type)
    client.post(url("payment", event), {"method": "card"})
    if failure == "500":
        fake_stripe.fail_next("/v1/checkout/sessions", status=500, times=5)
    else:
        # Longer than the client's timeout, on every retry.
        fake_stripe.delay_next("/v1/checkout/sessions", 3, times=5)

    response = client.post(url("check", event))

    assert response.status_code == 409
    assert "could not connect to our card payment provider" in response.content.decode()
    order = Order.objects.get()
    assert order.status == Order.Status.CANCELLED
    assert set(order.tickets.values_list("status", flat=True)) == {"cancelled"}
    # The places are reserved again with the answers given, so trying again
    # is one click.
    event.refresh_from_db()
    assert event.places_taken == 1
    assert event_availability(event=event).remaining == 249
    again = Reservation.objects.get(status=Reservation.Status.ACTIVE)
    assert again.answers["buyer"] and again.answers["payment"] == "card"
    assert client.get(url("check", event)).status_code == 200


def test_a_payment_that_does_not_match_the_order_is_not_confirmed(
    client, event, paid_type, fake_stripe
):
    order, _ = pay_by_card_until_stripe(client, event, paid_type)
    fake_stripe.complete(order.stripe_session_id, send_webhook=False)
    fake_stripe.sessions[order.stripe_session_id]["amount_total"] = 100

    outcome = checkout_session_sync(
        order_id=order.pk,
        session=fake_stripe.sessions[order.stripe_session_id],
        actor=Actor.stripe(),
    )

    assert outcome == Outcome.MISMATCH
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING
    assert OrderChange.objects.filter(order=order, action="payment_mismatch").exists()


def test_a_session_for_another_order_is_not_accepted(event, paid_type, fake_stripe):
    first = book(event, paid_type, payment_method="card")
    second = book(event, paid_type, payment_method="card")
    start(first)
    start(second)
    first.refresh_from_db()
    fake_stripe.complete(first.stripe_session_id, send_webhook=False)

    outcome = checkout_session_sync(
        order_id=second.pk,
        session=fake_stripe.sessions[first.stripe_session_id],
        actor=Actor.stripe(),
    )

    assert outcome == Outcome.MISMATCH
    second.refresh_from_db()
    assert second.status == Order.Status.PENDING


def test_a_late_payment_takes_the_places_if_still_free(
    client, event, paid_type, fake_stripe
):
    order, _ = pay_by_card_until_stripe(client, event, paid_type)
    Order.objects.filter(pk=order.pk).update(
        hold_expires_at=timezone.now() - timedelta(minutes=1)
    )
    assert holds_expire() == 1
    order.refresh_from_db()
    assert order.status == Order.Status.EXPIRED

    webhook = fake_stripe.complete(order.stripe_session_id, send_webhook=False)
    post_webhook(client, fake_stripe, webhook)

    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED
    assert list(order.tickets.values_list("status", flat=True)) == ["confirmed"]
    event.refresh_from_db()
    assert event.places_taken == 1


def test_a_late_payment_for_places_that_have_gone_is_refunded(
    client,
    event,
    fake_stripe,
    django_capture_on_commit_callbacks,
):
    event.capacity = 1
    event.save()
    supplier = make_ticket_type(event, name="Supplier", price_pence=9500)
    free = make_ticket_type(event, name="Free")
    order, _ = pay_by_card_until_stripe(client, event, supplier)
    Order.objects.filter(pk=order.pk).update(
        hold_expires_at=timezone.now() - timedelta(minutes=1)
    )
    # Someone else books the last place; their booking releases the old hold.
    book(event, free)
    order.refresh_from_db()
    assert order.status == Order.Status.EXPIRED

    webhook = fake_stripe.complete(order.stripe_session_id, send_webhook=False)
    with django_capture_on_commit_callbacks(execute=True):
        post_webhook(client, fake_stripe, webhook)

    order.refresh_from_db()
    assert order.status == Order.Status.EXPIRED
    assert order.payment_status == Order.PaymentStatus.REFUNDED
    assert order.refunded_pence == order.paid_pence == 9500
    [refund] = fake_stripe.refunds.values()
    assert refund["amount"] == 9500
    assert refund["payment_intent"] == order.stripe_payment_intent_id
    event.refresh_from_db()
    assert event.places_taken == 1
    assert Ticket.objects.filter(status="confirmed").count() == 1
    page = client.get(f"/bookings/{order.reference}/").content.decode()
    assert "refunding your payment of £95" in page


def test_the_expired_webhook_gives_the_places_back(
    client, event, paid_type, fake_stripe
):
    order, _ = pay_by_card_until_stripe(client, event, paid_type, count=3)

    webhook = fake_stripe.expire(order.stripe_session_id, send_webhook=False)
    post_webhook(client, fake_stripe, webhook)

    order.refresh_from_db()
    assert order.status == Order.Status.EXPIRED
    event.refresh_from_db()
    assert event.places_taken == 0
    response = client.get(order.get_absolute_url() + "payment/return/")
    assert "Payment not completed" in response.content.decode()


def test_a_failed_delayed_payment_gives_the_places_back(
    client, event, paid_type, fake_stripe
):
    order, _ = pay_by_card_until_stripe(client, event, paid_type)
    webhook = fake_stripe.fail_async_payment(
        order.stripe_session_id, send_webhook=False
    )
    post_webhook(client, fake_stripe, webhook)
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    event.refresh_from_db()
    assert event.places_taken == 0


def test_leaving_stripe_without_paying_releases_the_places_and_keeps_answers(
    client, event, paid_type, fake_stripe
):
    order, _ = pay_by_card_until_stripe(client, event, paid_type, count=2)

    response = client.get(order.get_absolute_url() + "payment/cancel/", follow=True)

    assert response.redirect_chain[-1][0] == url("check", event)
    assert "You have not paid" in response.content.decode()
    assert fake_stripe.sessions[order.stripe_session_id]["status"] == "expired"
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert set(order.tickets.values_list("status", flat=True)) == {"cancelled"}
    # Its places are reserved again for the buyer, with their answers.
    event.refresh_from_db()
    assert event.places_taken == 2
    again = Reservation.objects.get(status=Reservation.Status.ACTIVE)
    assert again.places == 2 and len(again.answers["attendees"]) == 2


def test_an_abandoned_checkout_stops_counting_when_its_hold_runs_out(
    event, paid_type, fake_stripe
):
    order = book(event, paid_type, count=2, payment_method="card")
    start(order)
    assert event_availability(event=event).remaining == 248
    Order.objects.filter(pk=order.pk).update(
        hold_expires_at=timezone.now() - timedelta(seconds=1)
    )
    # Before anything tidies up, availability already ignores the hold.
    assert event_availability(event=event).remaining == 250
    assert holds_expire() == 1
    assert holds_expire() == 0
    event.refresh_from_db()
    paid_type.refresh_from_db()
    assert (event.places_taken, paid_type.places_taken) == (0, 0)


def test_a_full_pool_releases_expired_holds_for_a_new_buyer(
    event, paid_type, fake_stripe
):
    """With beat stopped, expired holds cannot keep the last places."""
    event.capacity = 2
    event.save()
    order = book(event, paid_type, count=2, payment_method="card")
    Order.objects.filter(pk=order.pk).update(
        hold_expires_at=timezone.now() - timedelta(seconds=1)
    )

    newcomer = book(event, paid_type, count=2, payment_method="card")

    assert newcomer.status == Order.Status.PENDING
    order.refresh_from_db()
    assert order.status == Order.Status.EXPIRED
    event.refresh_from_db()
    assert event.places_taken == 2


def test_a_dashboard_refund_in_full_cancels_the_order(
    client, event, paid_type, fake_stripe
):
    order, _ = pay_by_card_until_stripe(client, event, paid_type)
    post_webhook(
        client,
        fake_stripe,
        fake_stripe.complete(order.stripe_session_id, send_webhook=False),
    )
    order.refresh_from_db()

    webhook = fake_stripe.refund_in_dashboard(
        order.stripe_payment_intent_id, send_webhook=False
    )
    for _ in range(2):
        assert post_webhook(client, fake_stripe, webhook).status_code == 200

    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert order.payment_status == Order.PaymentStatus.REFUNDED
    assert order.refunded_pence == 9500
    assert order.refunds.count() == 1
    event.refresh_from_db()
    assert event.places_taken == 0


def test_a_partial_dashboard_refund_is_recorded_only(
    client, event, paid_type, fake_stripe
):
    order, _ = pay_by_card_until_stripe(client, event, paid_type, count=2)
    post_webhook(
        client,
        fake_stripe,
        fake_stripe.complete(order.stripe_session_id, send_webhook=False),
    )
    order.refresh_from_db()

    webhook = fake_stripe.refund_in_dashboard(
        order.stripe_payment_intent_id, 1000, send_webhook=False
    )
    post_webhook(client, fake_stripe, webhook)

    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED
    assert order.payment_status == Order.PaymentStatus.PAID
    assert order.refunded_pence == 1000


def test_card_payment_is_not_offered_without_stripe(client, event, paid_type, settings):
    settings.STRIPE_SECRET_KEY = ""
    event.invoice_payment_enabled = True
    event.save()
    fill_up_to_check(client, event, paid_type)
    page = client.get(url("payment", event)).content.decode()
    assert 'value="invoice"' in page and 'value="card"' not in page
    response = client.post(url("payment", event), {"method": "card"})
    assert response.status_code == 200
    assert "Select how you will pay" in response.content.decode()


def test_a_webhook_is_retried_later_when_stripe_cannot_be_reached(
    client, event, paid_type, fake_stripe
):
    """The object is fetched back from Stripe; if that fails, Stripe is told
    to deliver the event again, and the second delivery confirms."""
    order, _ = pay_by_card_until_stripe(client, event, paid_type)
    webhook = fake_stripe.complete(order.stripe_session_id, send_webhook=False)
    fake_stripe.fail_next("/v1/checkout/sessions", status=500, times=3)

    assert post_webhook(client, fake_stripe, webhook).status_code == 503
    assert not StripeEvent.objects.exists()
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING

    assert post_webhook(client, fake_stripe, webhook).status_code == 200
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED
