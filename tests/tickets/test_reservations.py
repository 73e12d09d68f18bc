"""Reservations as a service: places taken at the first step, held for a
while, given back when released or run out, and confirmed exactly once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import attendee, billing, book, lines, make_ticket_type
from tests.tickets.test_codes import make_code
from tests.tickets.waitlist_helpers import join
from tickets.models import (
    Code,
    Email,
    Order,
    Reservation,
    Ticket,
    WaitlistEntry,
    WaitlistOffer,
)
from tickets.selectors import event_availability
from tickets.services import (
    BookingClosed,
    InvalidBooking,
    SoldOut,
    holds_expire,
    order_cancel,
)
from tickets.services.history import Actor
from tickets.services.reservations import (
    reservation_confirm,
    reservation_create,
    reservation_quantities,
    reservation_release,
    reservations_expire,
)

Status = Reservation.Status


def reserve(event, ticket_type, count=1, **kwargs) -> Reservation:
    return reservation_create(
        event_id=event.pk, quantities={ticket_type.pk: count}, **kwargs
    )


def confirm(reservation, count=None, **kwargs):
    reservation = Reservation.objects.select_related("event", "code").get(
        pk=reservation.pk
    )
    held = reservation_quantities(reservation)
    order_lines = [
        line
        for pk, quantity in held.items()
        for line in lines(
            reservation.lines.get(ticket_type_id=pk).ticket_type, quantity
        )
    ]
    return reservation_confirm(
        reservation=reservation,
        buyer_name="Grace Hopper",
        buyer_email="grace@example.gov.uk",
        lines=order_lines,
        **kwargs,
    )


def lapse(reservation) -> None:
    Reservation.objects.filter(pk=reservation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )


def counters(event, *ticket_types):
    event.refresh_from_db()
    for ticket_type in ticket_types:
        ticket_type.refresh_from_db()
    return (event.places_taken, *(tt.places_taken for tt in ticket_types))


def test_reserving_takes_places_from_the_pool_and_the_type(event, free_type, settings):
    """The places are taken at once and counted as reserved until the expiry."""
    settings.PSDM_RESERVATION_MINUTES = 20
    students = make_ticket_type(event, name="Student", quota=10, position=1)
    before = timezone.now()
    reservation = reservation_create(
        event_id=event.pk, quantities={free_type.pk: 2, students.pk: 3}
    )
    assert reservation.status == Status.ACTIVE and reservation.places == 5
    assert before + timedelta(minutes=20) <= reservation.expires_at
    assert reservation.expires_at <= timezone.now() + timedelta(minutes=20)
    assert counters(event, free_type, students) == (5, 2, 3)
    availability = event_availability(event=event)
    assert availability.reserved == 5 and availability.remaining == 245
    by_type = {
        item.ticket_type.pk: item.remaining for item in availability.ticket_types
    }
    assert by_type[students.pk] == 7
    # The buyer's own reservation is free for them to choose again.
    assert event_availability(event=event, mine=reservation).remaining == 250


def test_sold_out_is_said_at_the_first_step(event, free_type):
    event.capacity = 3
    event.save()
    reserve(event, free_type, 2)
    with pytest.raises(SoldOut, match="only 1 place left"):
        reserve(event, free_type, 2)
    reserve(event, free_type, 1)
    with pytest.raises(SoldOut, match="sold out"):
        reserve(event, free_type, 1)
    assert counters(event, free_type) == (3, 3)
    assert Reservation.objects.count() == 2


def test_a_type_cap_is_kept_at_the_first_step(event, free_type):
    students = make_ticket_type(event, name="Student", quota=2, position=1)
    reserve(event, students, 2)
    with pytest.raises(SoldOut, match="not enough Student places"):
        reserve(event, students, 1)
    assert counters(event, students) == (2, 2)


def test_bad_choices_change_nothing(event, free_type):
    hidden = make_ticket_type(event, name="Hidden", is_visible=False)
    for quantities in ({}, {free_type.pk: 0}, {hidden.pk: 1}, {999999: 1}):
        with pytest.raises(InvalidBooking):
            reservation_create(event_id=event.pk, quantities=quantities)
    with pytest.raises(InvalidBooking, match="at most 10"):
        reserve(event, free_type, 11)
    event.is_published = False
    event.save()
    with pytest.raises(BookingClosed):
        reserve(event, free_type, 1)
    assert counters(event, free_type) == (0, 0)
    assert not Reservation.objects.exists()


def test_an_expired_reservation_stops_counting_at_once(event, free_type):
    event.capacity = 2
    event.save()
    old = reserve(event, free_type, 2)
    lapse(old)
    assert event_availability(event=event).remaining == 2
    # The booking path tidies it when the counter says no.
    new = reserve(event, free_type, 2)
    old.refresh_from_db()
    assert old.status == Status.EXPIRED and old.ended_at is not None
    assert new.status == Status.ACTIVE
    assert counters(event, free_type) == (2, 2)


def test_beat_tidies_expired_reservations_and_offers_the_places(event, free_type):
    event.capacity = 1
    event.save()
    reservation = reserve(event, free_type, 1)
    entry = join(event, 1)
    lapse(reservation)
    assert holds_expire() == 0  # orders; the reservation is tidied with them
    reservation.refresh_from_db()
    assert reservation.status == Status.EXPIRED
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.OFFERED
    assert counters(event, free_type) == (1, 0)
    assert reservations_expire() == 0  # nothing left to do


def test_releasing_gives_the_places_back_once(event, free_type):
    reservation = reserve(event, free_type, 3)
    assert reservation_release(reservation_id=reservation.pk)
    assert not reservation_release(reservation_id=reservation.pk)
    reservation.refresh_from_db()
    assert reservation.status == Status.RELEASED
    assert counters(event, free_type) == (0, 0)
    with pytest.raises(InvalidBooking, match="released"):
        confirm(reservation)
    assert not Order.objects.exists()


def test_choosing_again_replaces_the_reservation_in_one_step(event, free_type):
    """Changing the number of places gives back the old ones only if the new
    ones are had."""
    event.capacity = 4
    event.save()
    first = reserve(event, free_type, 2, answers={"buyer": {"x": "y"}})
    second = reserve(event, free_type, 3, replaces=first)
    first.refresh_from_db()
    assert first.status == Status.RELEASED
    assert counters(event, free_type) == (3, 3)
    reserve(event, free_type, 1)  # somebody else takes the last place
    with pytest.raises(SoldOut):
        reserve(event, free_type, 4, replaces=second)
    second.refresh_from_db()
    assert second.status == Status.ACTIVE  # kept: the change was refused
    assert counters(event, free_type) == (4, 4)


def test_confirming_makes_the_order_once(event, free_type):
    reservation = reserve(event, free_type, 2)
    order, created = confirm(reservation)
    assert created and order.status == Order.Status.CONFIRMED
    assert order.tickets.count() == 2
    again, created_again = confirm(reservation)
    assert again.pk == order.pk and not created_again
    reservation.refresh_from_db()
    assert reservation.status == Status.CONFIRMED and reservation.order == order
    # The places moved from the reservation to the order: taken once.
    assert counters(event, free_type) == (2, 2)
    assert event_availability(event=event).remaining == 248
    assert Email.objects.filter(kind=Email.Kind.CONFIRMATION).count() == 1


def test_a_card_reservation_becomes_a_held_order(event, paid_type, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    reservation = reserve(event, paid_type, 1)
    order, _created = confirm(reservation, payment_method="card")
    assert order.status == Order.Status.PENDING
    assert order.hold_expires_at > timezone.now() + timedelta(minutes=29)
    assert order.tickets.get().status == Ticket.Status.HELD
    assert counters(event, paid_type) == (1, 1)


def test_an_invoice_reservation_gets_its_invoice(event, paid_type):
    event.invoice_payment_enabled = True
    event.save()
    order, _created = confirm(
        reserve(event, paid_type, 2), payment_method="invoice", billing=billing()
    )
    assert order.payment_method == "invoice" and order.invoice.number
    assert order.total_pence == 2 * paid_type.price_pence


def test_confirming_needs_the_details_of_every_place(event, free_type):
    reservation = reserve(event, free_type, 2)
    with pytest.raises(InvalidBooking):
        reservation_confirm(
            reservation=reservation,
            buyer_name="Grace",
            buyer_email="g@example.gov.uk",
            lines=lines(free_type, 1),
        )
    assert not Order.objects.exists()


def test_a_lapsed_reservation_is_confirmed_if_its_places_are_still_there(
    event, free_type
):
    reservation = reserve(event, free_type, 2)
    lapse(reservation)
    order, created = confirm(reservation)
    assert created and order.tickets.count() == 2
    assert counters(event, free_type) == (2, 2)


def test_a_tidied_reservation_takes_its_places_again_if_free(event, free_type):
    reservation = reserve(event, free_type, 2)
    lapse(reservation)
    reservations_expire()
    assert counters(event, free_type) == (0, 0)
    order, created = confirm(reservation)
    assert created and counters(event, free_type) == (2, 2)


def test_a_tidied_reservation_whose_places_went_is_refused(event, free_type):
    event.capacity = 2
    event.save()
    reservation = reserve(event, free_type, 2)
    lapse(reservation)
    book(event, free_type, 1)  # tidies it and takes a place
    with pytest.raises(SoldOut, match="only 1 place left"):
        confirm(reservation)
    assert Order.objects.count() == 1
    assert counters(event, free_type) == (1, 1)
    reservation.refresh_from_db()
    assert reservation.status == Status.EXPIRED


def test_a_code_use_is_taken_with_the_reservation_and_given_back_once(event, paid_type):
    code = make_code(event, max_uses=2)
    reservation = reserve(event, paid_type, 2, code="save10")
    assert reservation.code_uses == 2
    code.refresh_from_db()
    assert code.uses == 2
    reservation_release(reservation_id=reservation.pk)
    reservation_release(reservation_id=reservation.pk)
    code.refresh_from_db()
    assert code.uses == 0


def test_a_code_use_passes_to_the_order_and_back_on_cancelling(event, paid_type):
    event.invoice_payment_enabled = True
    event.save()
    code = make_code(event, max_uses=1)
    order, _created = confirm(
        reserve(event, paid_type, 1, code="save10"),
        payment_method="invoice",
        billing=billing(),
    )
    assert order.tickets.get().code_id == code.pk
    code.refresh_from_db()
    assert code.uses == 1
    order_cancel(order_id=order.pk, actor=Actor.system(), reason="test")
    code.refresh_from_db()
    assert code.uses == 0


def test_the_last_code_use_of_a_lapsed_reservation_goes_to_the_next(event, free_type):
    code = make_code(event, max_uses=1)
    first = reserve(event, free_type, 1, code="save10")
    lapse(first)
    second = reserve(event, free_type, 1, code="save10")
    assert second.code_uses == 1
    code.refresh_from_db()
    assert code.uses == 1
    first.refresh_from_db()
    assert first.status == Status.EXPIRED
    assert Code.objects.get(pk=code.pk).uses == 1


def free_a_place_for_the_waiting_list(event, ticket_type, waiting=1):
    """Fill the event's one place, put people on the waiting list, then cancel:
    the place is offered to the first."""
    event.capacity = 1
    event.save()
    order = book(event, ticket_type, 1)
    entries = [join(event, n) for n in range(1, waiting + 1)]
    order_cancel(order_id=order.pk, actor=Actor.system(), by_organiser=True)
    return entries


def test_a_waiting_list_offer_is_reserved_for_as_long_as_it_lasts(event, free_type):
    (entry,) = free_a_place_for_the_waiting_list(event, free_type)
    offer = WaitlistOffer.objects.get()
    reservation = reserve(event, free_type, 1, offer=offer.token)
    offer.refresh_from_db()
    assert offer.status == WaitlistOffer.Status.USED
    assert reservation.offer == offer and reservation.expires_at >= offer.expires_at
    assert counters(event, free_type) == (1, 1)
    order, _created = confirm(reservation)
    offer.refresh_from_db()
    assert offer.order == order
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.BOOKED


def test_an_offer_reservation_that_lapses_goes_to_the_next_person(event, free_type):
    first, second = free_a_place_for_the_waiting_list(event, free_type, waiting=2)
    reservation = reserve(event, free_type, 1, offer=WaitlistOffer.objects.get().token)
    lapse(reservation)
    reservations_expire()
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == WaitlistEntry.Status.EXPIRED
    assert second.status == WaitlistEntry.Status.OFFERED
    assert counters(event, free_type)[0] == 1


def test_an_offer_is_for_one_place(event, free_type):
    free_a_place_for_the_waiting_list(event, free_type)
    event.capacity = 2
    event.save()
    with pytest.raises(InvalidBooking, match="one place"):
        reserve(event, free_type, 2, offer=WaitlistOffer.objects.first().token)


def test_the_attendees_details_are_stripped_and_kept(event, free_type):
    reservation = reserve(event, free_type, 1)
    reservation = Reservation.objects.select_related("event", "code").get(
        pk=reservation.pk
    )
    order, _created = reservation_confirm(
        reservation=reservation,
        buyer_name="  Grace Hopper ",
        buyer_email=" grace@example.gov.uk ",
        lines=[
            type(lines(free_type, 1)[0])(
                ticket_type_id=free_type.pk,
                attendee=attendee(1, first_name=" Ada "),
            )
        ],
    )
    assert order.buyer_name == "Grace Hopper"
    assert order.tickets.get().first_name == "Ada"


def test_what_was_typed_is_forgotten_a_day_after_the_reservation_ended(
    event, free_type
):
    kept = reserve(event, free_type, 1, answers={"buyer": {"buyer_name": "Kept"}})
    gone = reserve(event, free_type, 1, answers={"buyer": {"buyer_name": "Gone"}})
    reservation_release(reservation_id=kept.pk)
    reservation_release(reservation_id=gone.pk)
    Reservation.objects.filter(pk=gone.pk).update(
        ended_at=timezone.now() - timedelta(days=1, minutes=1)
    )
    reservations_expire()
    kept.refresh_from_db()
    gone.refresh_from_db()
    assert kept.answers and gone.answers == {}
