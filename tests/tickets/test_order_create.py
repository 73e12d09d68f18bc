"""order_create: the booking service."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import attendee, book, make_event, make_ticket_type
from tickets.models import Order, Ticket
from tickets.services import (
    BookingClosed,
    InvalidBooking,
    OrderLine,
    PaymentNotAvailable,
    SoldOut,
    order_create,
)


def test_free_places_are_confirmed_at_once(event, free_type):
    """A free booking is confirmed with a reference and one ticket per place."""
    order = book(event, free_type, count=3)
    assert order.status == Order.Status.CONFIRMED
    assert order.reference.startswith("PSDM-") and len(order.reference) == 10
    assert order.total_pence == 0
    assert order.tickets.filter(status=Ticket.Status.CONFIRMED).count() == 3
    event.refresh_from_db()
    free_type.refresh_from_db()
    assert event.places_taken == 3
    assert free_type.places_taken == 3


def test_references_are_unique(event, free_type):
    """Every order gets its own reference."""
    references = {book(event, free_type).reference for _ in range(30)}
    assert len(references) == 30


def test_last_places_then_sold_out(free_type):
    """Exactly the capacity can be booked; the next buyer is told it is sold out."""
    event = free_type.event
    event.capacity = 5
    event.save()
    book(event, free_type, count=4)
    with pytest.raises(SoldOut, match="only 1 place left"):
        book(event, free_type, count=2)
    book(event, free_type, count=1)
    with pytest.raises(SoldOut, match="sold out"):
        book(event, free_type, count=1)
    assert Ticket.objects.count() == 5
    event.refresh_from_db()
    assert event.places_taken == 5


def test_ticket_type_cap_inside_the_pool(event):
    """A ticket type's own cap stops it even when the pool has places left."""
    students = make_ticket_type(event, name="Student", quota=2)
    book(event, students, count=2)
    with pytest.raises(SoldOut, match="not enough Student places"):
        book(event, students, count=1)
    event.refresh_from_db()
    assert event.places_taken == 2  # the failed booking gave its pool place back


def test_a_failed_booking_changes_nothing(event):
    """When the type cap refuses, the pool counter and orders are untouched."""
    capped = make_ticket_type(event, name="Capped", quota=1)
    with pytest.raises(SoldOut):
        book(event, capped, count=2)
    event.refresh_from_db()
    assert event.places_taken == 0
    assert Order.objects.count() == 0


def test_a_paid_place_needs_a_payment_method(event, paid_type):
    """A paid place with no way of paying chosen is refused; nothing is saved."""
    with pytest.raises(InvalidBooking, match="how you will pay"):
        book(event, paid_type)
    assert Order.objects.count() == 0


def test_card_payment_is_refused_without_stripe(event, paid_type, settings):
    """With no Stripe key (the local default), card payment is unavailable."""
    settings.STRIPE_SECRET_KEY = ""
    with pytest.raises(PaymentNotAvailable, match="Card payment is not available"):
        book(event, paid_type, payment_method="card")
    assert Order.objects.count() == 0


def test_more_than_the_per_order_maximum_is_refused(event):
    limited = make_ticket_type(event, name="Limited", max_per_order=2)
    with pytest.raises(InvalidBooking, match="at most 2"):
        book(event, limited, count=3)
    assert Order.objects.count() == 0


@pytest.mark.parametrize(
    "change",
    [
        {"is_visible": False},
        {"sales_open_at": timezone.now() + timedelta(days=1)},
        {"sales_close_at": timezone.now() - timedelta(minutes=1)},
    ],
    ids=["hidden", "not-yet-on-sale", "sale-ended"],
)
def test_ticket_types_not_on_sale_are_refused(event, free_type, change):
    for field, value in change.items():
        setattr(free_type, field, value)
    free_type.save()
    with pytest.raises(InvalidBooking, match="no longer available"):
        book(event, free_type)


def test_ticket_type_of_another_event_is_refused(event, free_type):
    other = make_event(slug="other")
    with pytest.raises(InvalidBooking):
        book(other, free_type)
    assert Order.objects.count() == 0


@pytest.mark.parametrize(
    "change",
    [
        {"is_published": False},
        {"sales_close_at": timezone.now() - timedelta(minutes=1)},
        {"sales_open_at": timezone.now() + timedelta(days=1)},
    ],
    ids=["unpublished", "closed", "not-open"],
)
def test_booking_closed_events_is_refused(event, free_type, change):
    for field, value in change.items():
        setattr(event, field, value)
    event.save()
    with pytest.raises(BookingClosed):
        book(event, free_type)


def test_an_empty_booking_is_refused(event, free_type):
    with pytest.raises(InvalidBooking, match="at least one"):
        order_create(
            event_id=event.pk, buyer_name="A", buyer_email="a@example.com", lines=[]
        )


@pytest.mark.parametrize(
    "details, message",
    [
        ({"email": "not-an-email"}, "valid email"),
        ({"first_name": ""}, "cannot be blank"),
        ({"last_name": "x" * 101}, "at most 100"),
        ({"sector": "martians"}, "not a valid choice"),
    ],
)
def test_invalid_attendee_details_are_refused(event, free_type, details, message):
    line = OrderLine(ticket_type_id=free_type.pk, attendee=attendee(**details))
    with pytest.raises(InvalidBooking, match=message):
        order_create(
            event_id=event.pk,
            buyer_name="Grace",
            buyer_email="grace@example.gov.uk",
            lines=[line],
        )
    assert Order.objects.count() == 0
    event.refresh_from_db()
    assert event.places_taken == 0


def test_invalid_buyer_email_is_refused(event, free_type):
    with pytest.raises(InvalidBooking):
        book(event, free_type, buyer_email="nope")
    assert Order.objects.count() == 0


def test_whitespace_is_trimmed(event, free_type):
    line = OrderLine(
        ticket_type_id=free_type.pk, attendee=attendee(first_name="  Ada  ")
    )
    order = order_create(
        event_id=event.pk,
        buyer_name=" Grace ",
        buyer_email="grace@example.gov.uk",
        lines=[line],
    )
    assert order.buyer_name == "Grace"
    assert order.tickets.get().first_name == "Ada"
