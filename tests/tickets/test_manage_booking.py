"""Manage my booking: an unguessable link to see, change, pass on and cancel."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import book, paid_by_card
from tests.tickets.flow import ATTENDEE
from tickets.models import Order, OrderChange, Ticket
from tickets.services import (
    Actor,
    ChangeNotAllowed,
    order_cancel,
)


def manage_url(order, suffix=""):
    return f"/bookings/{order.reference}/{order.secret}/{suffix}"


def test_the_link_shows_the_booking(client, event, free_type):
    order = book(event, free_type, count=2)
    page = client.get(manage_url(order)).content.decode()
    assert order.reference in page
    assert "Ada0 Lovelace" in page and "Ada1 Lovelace" in page
    assert "Cancel booking" in page


def test_secrets_are_long_random_and_unique(event, free_type):
    secrets = {book(event, free_type).secret for _ in range(20)}
    assert len(secrets) == 20
    assert all(len(secret) >= 32 for secret in secrets)


def test_a_wrong_or_someone_elses_secret_is_not_found(client, event, free_type):
    mine = book(event, free_type)
    theirs = book(event, free_type, buyer_email="other@example.gov.uk")
    for path in (
        f"/bookings/{mine.reference}/{theirs.secret}/",
        f"/bookings/{mine.reference}/{mine.secret[:-1]}/",
        f"/bookings/{mine.reference}/x/",
        f"/bookings/PSDM-ZZZZZ/{mine.secret}/",
        f"/bookings/{mine.reference}/{theirs.secret}/cancel/",
        f"/bookings/{mine.reference}/{theirs.secret}/invoice.pdf",
    ):
        assert client.get(path).status_code == 404, path
    response = client.post(f"/bookings/{mine.reference}/{theirs.secret}/cancel/")
    assert response.status_code == 404
    mine.refresh_from_db()
    assert mine.status == Order.Status.CONFIRMED


def test_one_order_cannot_change_another_orders_ticket(client, event, free_type):
    mine = book(event, free_type)
    theirs = book(event, free_type)
    their_ticket = theirs.tickets.get()
    response = client.post(
        manage_url(mine, f"tickets/{their_ticket.pk}/change/"),
        {**ATTENDEE, "first_name": "Mallory"},
    )
    assert response.status_code == 404
    their_ticket.refresh_from_db()
    assert their_ticket.first_name != "Mallory"


def test_changing_an_attendees_details(client, event, free_type):
    order = book(event, free_type)
    ticket = order.tickets.get()
    response = client.post(
        manage_url(order, f"tickets/{ticket.pk}/change/"),
        {**ATTENDEE, "first_name": "Augusta", "dietary_needs": "Vegan"},
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.first_name, ticket.dietary_needs) == ("Augusta", "Vegan")
    change = OrderChange.objects.get(order=order, action="details_changed")
    assert change.actor == "The buyer" and "first name" in change.message


def test_passing_a_place_to_a_colleague(client, event, free_type):
    order = book(event, free_type)
    ticket = order.tickets.get()
    form = {
        **ATTENDEE,
        "first_name": "Mary",
        "last_name": "Somerville",
        "email": "mary@x.gov.uk",
    }
    page = client.get(
        manage_url(order, f"tickets/{ticket.pk}/pass-on/")
    ).content.decode()
    assert 'value="Ada0"' not in page  # a blank form for the new person
    response = client.post(manage_url(order, f"tickets/{ticket.pk}/pass-on/"), form)
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.full_name == "Mary Somerville"
    change = OrderChange.objects.get(order=order, action="transferred")
    assert "Ada0 Lovelace" in change.message and "Mary Somerville" in change.message


def test_bad_details_are_refused_and_nothing_changes(client, event, free_type):
    order = book(event, free_type)
    ticket = order.tickets.get()
    response = client.post(
        manage_url(order, f"tickets/{ticket.pk}/change/"),
        {**ATTENDEE, "email": "not-an-email", "first_name": "<script>x</script>"},
    )
    assert response.status_code == 200
    assert "Enter an email address in the correct format" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.first_name == "Ada0"


def test_changes_stop_at_the_deadline(client, event, free_type):
    order = book(event, free_type)
    ticket = order.tickets.get()
    event.changes_deadline = timezone.now() - timedelta(minutes=1)
    event.save()
    response = client.post(
        manage_url(order, f"tickets/{ticket.pk}/change/"),
        {**ATTENDEE, "first_name": "Late"},
        follow=True,
    )
    assert "can no longer be changed online" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.first_name == "Ada0"


def test_cancelling_a_free_booking_returns_the_places(client, event, free_type):
    order = book(event, free_type, count=3)
    assert client.get(manage_url(order, "cancel/")).status_code == 200

    response = client.post(manage_url(order, "cancel/"), follow=True)

    assert "Your booking has been cancelled" in response.content.decode()
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert set(order.tickets.values_list("status", flat=True)) == {"cancelled"}
    event.refresh_from_db()
    free_type.refresh_from_db()
    assert (event.places_taken, free_type.places_taken) == (0, 0)
    # Cancelling again changes nothing and is not an error page.
    response = client.post(manage_url(order, "cancel/"))
    assert response.status_code == 409
    event.refresh_from_db()
    assert event.places_taken == 0


def test_cancelling_one_place_keeps_the_rest(client, event, free_type):
    order = book(event, free_type, count=2)
    first = order.tickets.first()
    response = client.post(manage_url(order, f"tickets/{first.pk}/cancel/"))
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED
    assert order.tickets.filter(status=Ticket.Status.CONFIRMED).count() == 1
    event.refresh_from_db()
    assert event.places_taken == 1


def test_buyers_cannot_cancel_after_the_deadline_but_organisers_can(
    client, event, free_type
):
    order = book(event, free_type)
    event.cancellation_deadline = timezone.now() - timedelta(minutes=1)
    event.save()
    with pytest.raises(ChangeNotAllowed, match="deadline"):
        order_cancel(order_id=order.pk, actor=Actor.buyer())
    response = client.post(manage_url(order, "cancel/"))
    assert response.status_code == 409
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED

    order_cancel(order_id=order.pk, actor=Actor("organiser"), by_organiser=True)
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED


def test_cancelling_a_card_order_refunds_it_in_full_through_stripe(
    client, event, paid_type, fake_stripe, django_capture_on_commit_callbacks
):
    order = paid_by_card(event, paid_type, fake_stripe, count=2)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(manage_url(order, "cancel/"))

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert order.payment_status == Order.PaymentStatus.REFUNDED
    assert order.refunded_pence == 19000
    [refund] = fake_stripe.refunds.values()
    assert refund["amount"] == 19000
    assert order.refunds.get().stripe_refund_id == refund["id"]


def test_a_refund_stripe_refuses_stays_to_do_and_is_retried(
    event, paid_type, fake_stripe, django_capture_on_commit_callbacks
):
    from tickets.models import Refund
    from tickets.services import refund_make

    order = paid_by_card(event, paid_type, fake_stripe)
    fake_stripe.fail_next("/v1/refunds", status=500, times=1000)
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order_id=order.pk, actor=Actor.buyer())
    refund = Refund.objects.get()
    assert refund.status == Refund.Status.PENDING
    assert refund.attempts >= 1
    assert not fake_stripe.refunds

    fake_stripe._failures.clear()  # Stripe is back
    refund_make(refund_id=refund.pk)
    refund_make(refund_id=refund.pk)

    refund.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED
    assert len(fake_stripe.refunds) == 1


def test_a_refund_that_fails_after_stripe_accepted_it_is_owed_again(
    event, paid_type, fake_stripe, django_capture_on_commit_callbacks
):
    from tickets.models import Refund
    from tickets.services.refunds import refund_record_result

    order = paid_by_card(event, paid_type, fake_stripe)
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order_id=order.pk, actor=Actor.buyer())
    refund = Refund.objects.get()
    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.REFUNDED

    stripe_refund = {**fake_stripe.refunds[refund.stripe_refund_id], "status": "failed"}
    refund_record_result(refund_id=refund.pk, stripe_refund=stripe_refund)

    refund.refresh_from_db()
    order.refresh_from_db()
    assert refund.status == Refund.Status.FAILED
    assert order.payment_status == Order.PaymentStatus.PAID
    assert order.refunded_pence == 0
    assert order.changes.filter(action="refund_failed").exists()
