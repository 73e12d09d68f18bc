"""The waiting list: joining a sold-out event, offers when places come free,
booking with an offer, offers that expire and pass on, and the organiser's
offer by hand."""

from datetime import timedelta

import pytest
from django.utils import timezone

from events.models import Event
from tests.conftest import book, hold, lines, make_event, make_ticket_type
from tests.tickets.waitlist_helpers import assert_pool_consistent, join
from tickets.mail import message_build
from tickets.models import Email, Order, Ticket, WaitlistEntry, WaitlistOffer
from tickets.selectors import event_availability
from tickets.services import Actor, SoldOut, holds_expire, order_cancel, order_create
from tickets.services.waitlist import (
    AlreadyOnList,
    NoFreePlace,
    NotSoldOut,
    OfferNotAvailable,
    WaitlistError,
    entry_position,
    entry_remove,
    offer_check,
    offer_send_now,
    offers_expire,
    offers_make,
    waitlist_sweep,
)

Entry = WaitlistEntry
Offer = WaitlistOffer


@pytest.fixture
def small(db):
    """A two-place event, sold out: one order of two places."""
    event = make_event(capacity=2)
    ticket_type = make_ticket_type(event)
    order = book(event, ticket_type, count=2)
    return event, ticket_type, order


def cancel_one(order):
    ticket = order.tickets.filter(status=Ticket.Status.CONFIRMED).first()
    order_cancel(order_id=order.pk, actor=Actor.system(), ticket_ids=[ticket.pk])


def book_with_offer(event, ticket_type, offer, count=1, **kwargs):
    return order_create(
        event_id=event.pk,
        buyer_name="Waiting Person",
        buyer_email="waiting@example.gov.uk",
        lines=lines(ticket_type, count),
        offer=offer.token,
        **kwargs,
    )


# Joining


def test_joining_a_sold_out_event_puts_you_in_the_queue(small):
    event, _type, _order = small
    first = join(event, 1)
    second = join(event, 2, email="  Waiting2@Example.gov.uk ")
    assert first.status == Entry.Status.WAITING
    assert second.email == "Waiting2@Example.gov.uk"
    assert entry_position(entry=first) == 1
    assert entry_position(entry=second) == 2
    assert not Offer.objects.exists()


def test_joining_is_refused_while_places_are_left(event, free_type):
    with pytest.raises(NotSoldOut, match="places left"):
        join(event, 1)
    assert not Entry.objects.exists()


def test_the_same_address_cannot_join_twice(small):
    event, _type, _order = small
    join(event, 1)
    with pytest.raises(AlreadyOnList, match="already on the waiting list"):
        join(event, 1, email="WAITING1@example.gov.uk", name="Someone else")
    assert Entry.objects.count() == 1


@pytest.mark.parametrize(
    "field, value",
    [
        ("email", "not-an-email"),
        ("name", "   "),
        ("organisation", ""),
        ("name", "x" * 201),
    ],
)
def test_bad_details_are_refused_with_nothing_saved(small, field, value):
    event, _type, _order = small
    with pytest.raises(WaitlistError):
        join(event, 1, **{field: value})
    assert not Entry.objects.exists()


def test_joining_is_refused_when_booking_has_closed(small):
    event, _type, _order = small
    Event.objects.filter(pk=event.pk).update(
        sales_close_at=timezone.now() - timedelta(minutes=1)
    )
    with pytest.raises(WaitlistError, match="closed"):
        join(event, 1)


# Places coming free


def test_a_cancellation_offers_the_place_and_emails_the_offer(small):
    event, ticket_type, order = small
    first, second = join(event, 1), join(event, 2)
    cancel_one(order)
    offer = Offer.objects.get()
    assert offer.entry == first
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Entry.Status.OFFERED
    assert second.status == Entry.Status.WAITING
    hours = (offer.expires_at - offer.created_at).total_seconds() / 3600
    assert hours == pytest.approx(48)
    email = Email.objects.get(kind=Email.Kind.WAITLIST_OFFER)
    assert email.to_email == first.email
    assert email.waitlist_offer == offer
    # The place is the offer's: the pool is still full.
    assert assert_pool_consistent(event) == 2
    assert event_availability(event=event).sold_out


def test_the_offer_email_has_the_link_and_the_deadline_in_uk_time(small, settings):
    settings.PSDM_SITE_URL = "https://book.example"
    event, _type, order = small
    join(event, 1)
    cancel_one(order)
    offer = Offer.objects.get()
    message = message_build(Email.objects.get(kind=Email.Kind.WAITLIST_OFFER))
    text = message.body
    assert f"https://book.example/waiting-list/offers/{offer.token}/" in text
    local = timezone.localtime(offer.expires_at)
    assert f"{local.day} {local:%B %Y} (UK time)" in text
    assert "one place" in text
    assert "free for you" in message.subject
    html = message.alternatives[0][0]
    assert offer.token in html


def test_the_offer_hours_come_from_settings(small, settings):
    settings.PSDM_WAITLIST_OFFER_HOURS = 6
    event, _type, order = small
    join(event, 1)
    cancel_one(order)
    offer = Offer.objects.get()
    assert offer.expires_at - offer.created_at == timedelta(hours=6)


def test_an_expired_card_hold_offers_its_places(small):
    event, ticket_type, order = small
    hold(order, minutes=30)
    join(event, 1)
    join(event, 2)
    join(event, 3)
    hold(order, minutes=-1)
    assert holds_expire() == 1
    offers = Offer.objects.order_by("entry__joined_at")
    assert [o.entry.name for o in offers] == ["Waiting Person 1", "Waiting Person 2"]
    assert assert_pool_consistent(event) == 2
    assert Entry.objects.filter(status=Entry.Status.WAITING).count() == 1


def test_more_capacity_offers_places_in_the_order_people_joined(small):
    event, _type, _order = small
    entries = [join(event, n) for n in range(1, 5)]
    Event.objects.filter(pk=event.pk).update(capacity=5)
    assert offers_make(event_id=event.pk) == 3
    offered = set(Offer.objects.values_list("entry_id", flat=True))
    assert offered == {e.pk for e in entries[:3]}
    assert assert_pool_consistent(event) == 5
    assert offers_make(event_id=event.pk) == 0  # nothing more to offer


def test_an_offer_keeps_the_place_from_other_bookers(small):
    event, ticket_type, order = small
    join(event, 1)
    cancel_one(order)
    with pytest.raises(SoldOut):
        book(event, ticket_type)
    assert assert_pool_consistent(event) == 2


def test_with_nobody_waiting_a_cancelled_place_is_free_to_book(small):
    event, ticket_type, order = small
    cancel_one(order)
    assert not Offer.objects.exists()
    book(event, ticket_type)
    assert assert_pool_consistent(event) == 2


# Booking with an offer


def test_booking_with_the_offer_takes_exactly_its_place(small):
    event, ticket_type, order = small
    entry = join(event, 1)
    cancel_one(order)
    offer = Offer.objects.get()
    booked = book_with_offer(event, ticket_type, offer)
    assert booked.status == Order.Status.CONFIRMED
    assert booked.tickets.count() == 1
    offer.refresh_from_db()
    entry.refresh_from_db()
    assert offer.status == Offer.Status.USED and offer.order == booked
    assert entry.status == Entry.Status.BOOKED
    assert assert_pool_consistent(event) == 2
    with pytest.raises(OfferNotAvailable, match="already been used"):
        book_with_offer(event, ticket_type, offer)
    assert assert_pool_consistent(event) == 2


def test_an_offer_is_for_one_place_only(small):
    event, ticket_type, order = small
    join(event, 1)
    join(event, 2)
    order_cancel(order_id=order.pk, actor=Actor.system())  # both places free
    assert Offer.objects.count() == 2
    offer = Offer.objects.order_by("id").first()
    with pytest.raises(OfferNotAvailable, match="one place"):
        book_with_offer(event, ticket_type, offer, count=2)
    offer.refresh_from_db()
    assert offer.status == Offer.Status.OFFERED
    assert assert_pool_consistent(event) == 2


def test_an_offer_for_another_event_is_refused(small):
    event, ticket_type, order = small
    other = make_event(slug="other", capacity=5)
    other_type = make_ticket_type(other)
    join(event, 1)
    cancel_one(order)
    offer = Offer.objects.get()
    with pytest.raises(OfferNotAvailable, match="not for this event"):
        book_with_offer(other, other_type, offer)
    offer.refresh_from_db()
    assert offer.status == Offer.Status.OFFERED


def test_an_expired_offer_cannot_be_booked_even_before_the_sweep(small):
    event, ticket_type, order = small
    join(event, 1)
    cancel_one(order)
    offer = Offer.objects.get()
    Offer.objects.filter(pk=offer.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    with pytest.raises(OfferNotAvailable, match="expired"):
        book_with_offer(event, ticket_type, offer)
    assert assert_pool_consistent(event) == 2


def test_a_card_booking_with_an_offer_holds_the_place(small, fake_stripe):
    event, _free, order = small
    paid = make_ticket_type(event, name="Supplier", price_pence=9500)
    join(event, 1)
    cancel_one(order)
    offer = Offer.objects.get()
    booked = book_with_offer(event, paid, offer, payment_method="card")
    assert booked.status == Order.Status.PENDING
    assert assert_pool_consistent(event) == 2
    # The hold runs out: the place goes to the next person, not back to
    # the one who did not pay.
    join(event, 2)
    hold(booked, minutes=-1)
    assert holds_expire() == 1
    assert Offer.objects.get(status=Offer.Status.OFFERED).entry.name == (
        "Waiting Person 2"
    )
    assert assert_pool_consistent(event) == 2


def test_offer_check_says_why_a_link_does_not_work(small):
    event, _type, order = small
    entry = join(event, 1)
    with pytest.raises(OfferNotAvailable, match="not right"):
        offer_check(token="nonsense")
    with pytest.raises(OfferNotAvailable, match="not right"):
        offer_check(token="x\x00y")
    cancel_one(order)
    offer = Offer.objects.get()
    assert offer_check(token=offer.token) == offer
    entry_remove(entry_id=entry.pk)
    with pytest.raises(OfferNotAvailable, match="withdrawn"):
        offer_check(token=offer.token)


# Offers that are not taken


def test_an_expired_offer_passes_to_the_next_person(small):
    event, _type, order = small
    first, second = join(event, 1), join(event, 2)
    cancel_one(order)
    later = timezone.now() + timedelta(hours=49)
    assert offers_expire(now=later) == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Entry.Status.EXPIRED
    assert second.status == Entry.Status.OFFERED
    passed = Email.objects.get(kind=Email.Kind.WAITLIST_EXPIRED)
    assert passed.to_email == first.email
    message = message_build(passed)
    assert "passed on" in message.subject
    assert "no longer on the list" in message.body
    assert assert_pool_consistent(event) == 2
    # Run again (a second beat, a retried task): nothing changes.
    assert offers_expire(now=later) == 0
    assert Offer.objects.filter(status=Offer.Status.OFFERED).count() == 1
    assert assert_pool_consistent(event) == 2


def test_an_expired_offer_with_nobody_waiting_frees_the_place(small):
    event, ticket_type, order = small
    join(event, 1)
    cancel_one(order)
    Offer.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    # Availability stops counting it at once...
    assert event_availability(event=event).remaining == 1
    # ...and a booker gets it even before the sweep.
    book(event, ticket_type)
    assert Offer.objects.get().status == Offer.Status.EXPIRED
    assert assert_pool_consistent(event) == 2


def test_the_sweep_is_idempotent(small):
    event, _type, order = small
    join(event, 1)
    join(event, 2)
    cancel_one(order)
    later = timezone.now() + timedelta(hours=49)
    assert waitlist_sweep(now=later) == 1  # expired, and passed on
    statuses = dict(Offer.objects.values_list("entry__name", "status"))
    assert statuses == {"Waiting Person 1": "expired", "Waiting Person 2": "offered"}
    assert waitlist_sweep(now=later) == 0
    assert Offer.objects.count() == 2
    assert Email.objects.filter(kind=Email.Kind.WAITLIST_OFFER).count() == 2
    assert assert_pool_consistent(event) == 2


def test_someone_who_let_an_offer_pass_may_join_again(small):
    event, _type, order = small
    join(event, 1)
    join(event, 2)
    cancel_one(order)
    offers_expire(now=timezone.now() + timedelta(hours=49))
    again = join(event, 1)
    assert again.status == Entry.Status.WAITING


# The organiser


def test_an_offer_by_hand_never_goes_beyond_capacity(small):
    event, _type, _order = small
    entry = join(event, 1)
    with pytest.raises(NoFreePlace, match="no free place"):
        offer_send_now(entry_id=entry.pk)
    entry.refresh_from_db()
    assert entry.status == Entry.Status.WAITING
    assert assert_pool_consistent(event) == 2


def test_an_offer_by_hand_can_skip_the_queue(small, django_user_model):
    event, _type, _order = small
    join(event, 1)
    chosen = join(event, 2)
    organiser = django_user_model.objects.create_user("org", password="x")
    # A place the automatic offers have not reached yet.
    Event.objects.filter(pk=event.pk).update(capacity=3)
    offer = offer_send_now(entry_id=chosen.pk, user=organiser)
    assert offer.entry == chosen and offer.sent_by == organiser
    assert Email.objects.filter(kind=Email.Kind.WAITLIST_OFFER).count() == 1
    with pytest.raises(WaitlistError, match="not waiting"):
        offer_send_now(entry_id=chosen.pk, user=organiser)
    assert assert_pool_consistent(event) == 3


def test_removing_someone_with_an_offer_passes_it_on(small):
    event, _type, order = small
    first, second = join(event, 1), join(event, 2)
    cancel_one(order)
    assert entry_remove(entry_id=first.pk) is True
    first.refresh_from_db()
    assert first.status == Entry.Status.REMOVED
    assert Offer.objects.get(entry=first).status == Offer.Status.WITHDRAWN
    assert Offer.objects.get(entry=second).status == Offer.Status.OFFERED
    assert entry_remove(entry_id=first.pk) is False
    assert assert_pool_consistent(event) == 2


def test_no_offers_while_booking_is_closed(small):
    event, _type, order = small
    join(event, 1)
    Event.objects.filter(pk=event.pk).update(
        sales_close_at=timezone.now() - timedelta(minutes=1)
    )
    cancel_one(order)
    assert not Offer.objects.exists()
    assert assert_pool_consistent(event) == 1
