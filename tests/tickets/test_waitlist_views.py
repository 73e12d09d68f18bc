"""The waiting list's pages and admin: joining, the offer link, booking the
offered place through the normal flow, and the organiser's actions."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from events.extensions import places_added
from events.models import Event
from tests.conftest import book, make_event, make_ticket_type
from tests.tickets.flow import fill_up_to_check, url
from tests.tickets.waitlist_helpers import assert_pool_consistent, join
from tickets.models import Order, Reservation, Ticket, WaitlistEntry, WaitlistOffer
from tickets.services import Actor, holds_expire, order_cancel

Entry = WaitlistEntry
Offer = WaitlistOffer
DETAILS = {
    "name": "Wendy Waiting",
    "email": "wendy@example.gov.uk",
    "organisation": "Dudley Council",
}


@pytest.fixture
def sold_out(db):
    event = make_event(capacity=2)
    ticket_type = make_ticket_type(event)
    order = book(event, ticket_type, count=2)
    return event, ticket_type, order


def offer_for(event, order, n=1):
    join(event, n)
    ticket = order.tickets.filter(status=Ticket.Status.CONFIRMED).first()
    order_cancel(order_id=order.pk, actor=Actor.system(), ticket_ids=[ticket.pk])
    return Offer.objects.get(entry__email=f"waiting{n}@example.gov.uk")


def offer_url(offer):
    return reverse("tickets:offer", kwargs={"token": offer.token})


def test_the_event_page_offers_the_waiting_list_only_when_sold_out(client, sold_out):
    event, ticket_type, order = sold_out
    page = client.get(event.get_absolute_url()).content.decode()
    assert "Join the waiting list" in page
    assert url("waitlist_join", event) in page
    assert "Book your place" not in page
    order_cancel(order_id=order.pk, actor=Actor.system())
    page = client.get(event.get_absolute_url()).content.decode()
    assert "Book your place" in page
    assert "Join the waiting list" not in page


def test_the_choose_page_offers_the_waiting_list_when_sold_out(client, sold_out):
    event, _type, _order = sold_out
    page = client.get(url("choose", event)).content.decode()
    assert "Join the waiting list" in page


def test_joining_shows_the_confirmation_and_place_in_the_queue(client, sold_out):
    event, _type, _order = sold_out
    join(event, 1)
    response = client.post(url("waitlist_join", event), DETAILS)
    assert response.status_code == 302
    assert response["Location"] == url("waitlist_joined", event)
    page = client.get(response["Location"]).content.decode()
    assert "You are on the waiting list" in page
    assert "Number 2 in the queue" in page
    assert "wendy@example.gov.uk" in page
    entry = Entry.objects.get(email="wendy@example.gov.uk")
    assert entry.organisation == "Dudley Council"


def test_the_join_page_says_how_the_email_is_used(client, sold_out):
    event, _type, _order = sold_out
    page = client.get(url("waitlist_join", event)).content.decode()
    assert "How we use your details" in page
    assert reverse("privacy") in page
    assert "48 hours" in page


def test_the_confirmation_page_needs_a_join_first(client, sold_out):
    event, _type, _order = sold_out
    response = client.get(url("waitlist_joined", event))
    assert response["Location"] == url("waitlist_join", event)


@pytest.mark.parametrize(
    "data, message",
    [
        ({**DETAILS, "email": "wendy"}, "correct format"),
        ({**DETAILS, "name": ""}, "Enter your full name"),
        ({**DETAILS, "organisation": ""}, "Enter your organisation"),
        ({}, "Enter your email address"),
    ],
)
def test_bad_details_are_explained_and_nothing_saved(client, sold_out, data, message):
    event, _type, _order = sold_out
    response = client.post(url("waitlist_join", event), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Entry.objects.exists()


def test_a_nul_in_the_details_is_refused_and_nothing_saved(client, sold_out):
    event, _type, _order = sold_out
    response = client.post(url("waitlist_join", event), {**DETAILS, "name": "W\x00"})
    assert response.status_code == 400
    assert "Nothing has been changed" in response.content.decode()
    assert not Entry.objects.exists()


def test_joining_twice_is_explained(client, sold_out):
    event, _type, _order = sold_out
    client.post(url("waitlist_join", event), DETAILS)
    response = client.post(
        url("waitlist_join", event), {**DETAILS, "email": "WENDY@example.gov.uk"}
    )
    assert response.status_code == 200
    assert "already on the waiting list" in response.content.decode()
    assert Entry.objects.count() == 1


def test_no_waiting_list_while_places_are_left(client, event, free_type):
    response = client.post(url("waitlist_join", event), DETAILS)
    assert response.status_code == 200
    assert "There are places left" in response.content.decode()
    assert not Entry.objects.exists()


def test_no_waiting_list_once_booking_has_closed(client, sold_out):
    event, _type, _order = sold_out
    Event.objects.filter(pk=event.pk).update(
        sales_close_at=timezone.now() - timedelta(minutes=1)
    )
    response = client.post(url("waitlist_join", event), DETAILS)
    assert "Booking is closed" in response.content.decode()
    assert not Entry.objects.exists()


def test_the_offer_link_books_exactly_the_offered_place(client, sold_out):
    event, ticket_type, order = sold_out
    offer = offer_for(event, order)
    page = client.get(offer_url(offer)).content.decode()
    assert "A place is kept for you" in page
    assert "(UK time)" in page
    response = client.post(offer_url(offer))
    assert response["Location"] == url("choose", event)
    page = client.get(url("choose", event)).content.decode()
    assert "kept for you" in page
    # Two places are refused: the offer is for one.
    response = client.post(url("choose", event), {f"qty_{ticket_type.pk}": 2})
    assert response.status_code == 200
    assert "Only 1" in response.content.decode()
    fill_up_to_check(client, event, ticket_type, count=1)
    response = client.post(url("check", event))
    assert response.status_code == 302, response.content.decode()[:3000]
    offer.refresh_from_db()
    assert offer.status == Offer.Status.USED
    assert offer.order.status == Order.Status.CONFIRMED
    assert offer.order.tickets.count() == 1
    assert assert_pool_consistent(event) == 2
    # The link now says it has been used.
    response = client.get(offer_url(offer))
    assert response.status_code == 410
    assert "already been used" in response.content.decode()
    assert offer.order.reference in response.content.decode()


def test_a_normal_booker_is_told_sold_out_while_an_offer_holds_the_place(
    client, sold_out
):
    event, ticket_type, order = sold_out
    offer_for(event, order)
    page = client.get(url("choose", event)).content.decode()
    assert "Sorry, all places have been booked" in page


def test_an_expired_offer_link_says_so(client, sold_out):
    event, _type, order = sold_out
    offer = offer_for(event, order)
    Offer.objects.filter(pk=offer.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    response = client.get(offer_url(offer))
    assert response.status_code == 410
    assert "This offer has expired" in response.content.decode()
    response = client.post(offer_url(offer))
    assert response.status_code == 410
    assert not client.session.get(f"booking:{event.pk}")


def test_an_offer_that_expires_while_booking_goes_to_the_next_person(client, sold_out):
    """The offer's place is reserved at step 1 for as long as the offer would
    have lasted; once that runs out, it goes to the next person waiting."""
    event, ticket_type, order = sold_out
    offer = offer_for(event, order)
    join(event, 2)
    client.post(offer_url(offer))
    fill_up_to_check(client, event, ticket_type, count=1)
    reservation = Reservation.objects.get()
    assert reservation.offer_id == offer.pk
    assert reservation.expires_at >= Offer.objects.get(pk=offer.pk).expires_at
    Reservation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    assert holds_expire() == 0  # no order expired; the reservation did
    assert Offer.objects.filter(status="offered").count() == 1  # person 2's
    response = client.post(url("check", event))
    assert response.status_code == 409
    assert "sold out" in response.content.decode()
    assert Order.objects.count() == 1  # only the sold-out order
    assert assert_pool_consistent(event) == 2


def test_an_unknown_offer_link_is_not_found(client, db):
    assert client.get("/waiting-list/offers/nonsense/").status_code == 404
    assert client.post("/waiting-list/offers/%00/").status_code == 400  # a NUL


def test_saving_more_capacity_in_admin_offers_places(client, sold_out, admin_user):
    event, _type, _order = sold_out
    join(event, 1)
    join(event, 2)
    Event.objects.filter(pk=event.pk).update(capacity=3)
    places_added(event_id=event.pk)
    assert Offer.objects.count() == 1
    assert assert_pool_consistent(event) == 3


def test_the_admin_list_shows_the_queue(client, sold_out, admin_user):
    event, _type, _order = sold_out
    join(event, 1)
    join(event, 2)
    client.force_login(admin_user)
    response = client.get(reverse("admin:tickets_waitlistentry_changelist"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "waiting1@example.gov.uk" in page and "waiting2@example.gov.uk" in page
    entry = Entry.objects.get(email="waiting2@example.gov.uk")
    response = client.get(
        reverse("admin:tickets_waitlistentry_change", args=[entry.pk])
    )
    assert response.status_code == 200


def test_admin_offer_by_hand_says_when_there_is_no_free_place(
    client, sold_out, admin_user
):
    event, _type, _order = sold_out
    entry = join(event, 1)
    client.force_login(admin_user)
    changelist = reverse("admin:tickets_waitlistentry_changelist")
    response = client.post(
        changelist,
        {"action": "send_offer_now", "_selected_action": [entry.pk]},
        follow=True,
    )
    assert "There is no free place to offer" in response.content.decode()
    assert not Offer.objects.exists()
    Event.objects.filter(pk=event.pk).update(capacity=3)
    response = client.post(
        changelist,
        {"action": "send_offer_now", "_selected_action": [entry.pk]},
        follow=True,
    )
    assert "Sent an offer of a place to 1 person" in response.content.decode()
    assert Offer.objects.get().sent_by == admin_user
    response = client.post(
        changelist,
        {"action": "remove_from_list", "_selected_action": [entry.pk]},
        follow=True,
    )
    assert "Removed 1 person" in response.content.decode()
    assert Offer.objects.get().status == Offer.Status.WITHDRAWN
    assert assert_pool_consistent(event) == 2
