"""The booking pages with a reservation: places are had (or refused) at the
first step, held visibly while the buyer types, released on request, and
confirmed once, and a browser only ever sees its own reservation."""

import re
from datetime import timedelta

from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.conftest import book, make_event, make_ticket_type
from tests.tickets.flow import (
    ATTENDEE,
    BUYER,
    buyer_url,
    choose,
    fill_up_to_check,
    self_details,
    url,
)
from tickets.models import Email, Order, Reservation

Status = Reservation.Status


def lapse() -> None:
    Reservation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))


def test_choosing_reserves_the_places_and_the_session_holds_only_its_key(
    client, event, free_type
):
    response = choose(client, event, {free_type.pk: 2})
    assert response.status_code == 302 and response["Location"] == url("buyer", event)
    reservation = Reservation.objects.get()
    assert reservation.places == 2 and reservation.status == Status.ACTIVE
    event.refresh_from_db()
    assert event.places_taken == 2
    assert client.session[f"booking:{event.pk}"] == {
        "reservation": [reservation.pk, reservation.secret]
    }


def test_sold_out_is_said_at_the_first_step_with_the_waiting_list(
    client, event, free_type
):
    event.capacity = 3
    event.save()
    choose(Client(), event, {free_type.pk: 2})
    response = choose(client, event, {free_type.pk: 2})
    page = response.content.decode()
    assert "Only 1 Public sector places are left" in page
    assert "Only 1 place left" in page
    choose(Client(), event, {free_type.pk: 1})
    response = choose(client, event, {free_type.pk: 1})
    assert response.status_code == 409
    page = response.content.decode()
    assert "Sold out" in page and "Sorry, all places have been booked." in page
    assert "Join the waiting list" in page
    assert Reservation.objects.count() == 2
    # Nobody fills in details for places they cannot have.
    assert client.get(url("buyer", event))["Location"] == url("choose", event)


def test_every_step_shows_the_countdown_and_a_release_button(client, event, free_type):
    fill_up_to_check(client, event, free_type, count=2)
    reservation = Reservation.objects.get()
    time = timezone.localtime(reservation.expires_at)
    for path in (
        url("buyer", event),
        url("attendee", event, number=1),
        url("attendee", event, number=2),
        url("check", event),
        url("choose", event),
    ):
        page = client.get(path).content.decode()
        assert "We're holding your 2 places until" in page, path
        assert re.search(r"(19|20) minutes left", page), path
        assert f'data-expires="{reservation.expires_at.isoformat()}' in page or (
            "data-expires=" in page
        )
        assert "Cancel and release these places" in page, path
        assert 'aria-live="assertive"' in page
    assert f"{time.hour % 12 or 12}:{time.minute:02d}" in page


def test_releasing_gives_the_places_back_at_once(client, event, free_type):
    choose(client, event, {free_type.pk: 3})
    response = client.post(url("reservation_cancel", event), follow=True)
    assert "We have released your places" in response.content.decode()
    event.refresh_from_db()
    assert event.places_taken == 0
    assert Reservation.objects.get().status == Status.RELEASED
    assert client.get(url("buyer", event))["Location"] == url("choose", event)
    assert client.get(url("reservation_cancel", event)).status_code == 405


def test_one_place_for_oneself_is_one_page_of_details(client, event, free_type):
    choose(client, event, {free_type.pk: 1})
    page = client.get(url("buyer", event)).content.decode()
    assert "Your details" in page and 'name="first_name"' in page
    assert "booking this place for someone else" in page
    response = self_details(client, event)
    assert response["Location"] == url("check", event)
    check = client.get(url("check", event)).content.decode()
    assert "Ada Lovelace" in check
    client.post(url("check", event))
    order = Order.objects.get()
    assert order.buyer_name == "Ada Lovelace"
    assert order.buyer_email == ATTENDEE["email"]
    assert order.tickets.get().organisation == ATTENDEE["organisation"]


def test_one_place_for_someone_else_asks_for_both(client, event, free_type):
    choose(client, event, {free_type.pk: 1})
    assert client.post(buyer_url(event), BUYER)["Location"] == url(
        "attendee", event, number=1
    )
    # Back on "your details": the buyer's own form, not the attendee's.
    page = client.get(url("buyer", event)).content.decode()
    assert 'name="buyer_name"' in page and "booking this place for myself" in page
    client.post(url("attendee", event, number=1), ATTENDEE)
    client.post(url("check", event))
    order = Order.objects.get()
    assert order.buyer_email == BUYER["buyer_email"]
    assert order.tickets.get().email == ATTENDEE["email"]


def test_self_details_errors_are_worded_to_the_reader(client, event, free_type):
    choose(client, event, {free_type.pk: 1})
    response = client.post(url("buyer", event), {})
    page = response.content.decode()
    assert response.status_code == 200
    for message in (
        "Enter your first name",
        "Enter your last name",
        "Enter your email address",
        "Enter your organisation",
        "Select the sector you work in",
    ):
        assert message in page
    answers = Reservation.objects.get().answers
    assert answers["buyer"] == {} and answers["attendees"] == []


def test_a_page_after_the_time_ran_out_says_what_happened(client, event, free_type):
    fill_up_to_check(client, event, free_type, count=2)
    lapse()
    for path in (url("buyer", event), url("attendee", event, number=1)):
        response = client.get(path)
        assert response.status_code == 410
        page = response.content.decode()
        assert "Your reservation has ended" in page
        assert "time ran out" in page and "Try again" in page
    # Trying again reserves the same places, with the answers kept.
    response = client.post(url("choose", event), {f"qty_{free_type.pk}": 2})
    assert response.status_code == 302
    fresh = Reservation.objects.get(status=Status.ACTIVE)
    assert len(fresh.answers["attendees"]) == 2
    assert client.get(url("check", event)).status_code == 200


def test_after_the_time_ran_out_with_places_gone_the_waiting_list_is_offered(
    client, event, free_type
):
    event.capacity = 2
    event.save()
    fill_up_to_check(client, event, free_type, count=2)
    lapse()
    book(event, free_type, 2)
    response = client.get(url("check", event))
    assert response.status_code == 410
    page = response.content.decode()
    assert "sold out" in page and "Join the waiting list" in page
    response = client.post(url("check", event))
    assert response.status_code == 409
    assert "sold out" in response.content.decode()
    assert Order.objects.count() == 1


def test_a_confirm_after_the_time_ran_out_books_if_the_places_are_free(
    client, event, free_type
):
    fill_up_to_check(client, event, free_type, count=2)
    lapse()
    response = client.post(url("check", event))
    assert response.status_code == 302
    assert Order.objects.get().tickets.count() == 2


def test_confirming_twice_lands_on_the_same_page_and_books_once(
    client, event, free_type
):
    fill_up_to_check(client, event, free_type, count=1)
    other_tab = Client()
    other_tab.cookies = client.cookies
    first = client.post(url("check", event))
    second = client.post(url("check", event))
    third = other_tab.post(url("check", event))
    assert first["Location"] == second["Location"] == third["Location"]
    order = Order.objects.get()
    assert first["Location"] == f"/bookings/{order.reference}/"
    assert Email.objects.filter(kind=Email.Kind.CONFIRMATION).count() == 1
    # Every step of the finished booking leads to its confirmation.
    for path in (url("buyer", event), url("attendee", event, number=1)):
        assert client.get(path)["Location"] == first["Location"]
    # Booking again starts afresh.
    page = client.get(url("choose", event)).content.decode()
    assert "We're holding" not in page and 'name="qty_' in page


def test_another_browsers_reservation_is_not_found(client, event, free_type):
    choose(client, event, {free_type.pk: 1})
    reservation = Reservation.objects.get()
    other = Client()
    session = other.session
    for held in (
        [reservation.pk, "not-the-secret"],
        [reservation.pk + 1000, reservation.secret],
        ["x", "y"],
        "junk",
        [reservation.pk],
    ):
        session[f"booking:{event.pk}"] = {"reservation": held}
        session.save()
        for path in (
            url("buyer", event),
            url("check", event),
            url("attendee", event, number=1),
        ):
            assert other.get(path).status_code == 404, (held, path)
        assert other.post(url("check", event)).status_code == 404
        assert other.post(url("reservation_cancel", event)).status_code == 404
    assert not Order.objects.exists()
    assert Reservation.objects.get().status == Status.ACTIVE


def test_a_reservation_of_another_event_is_not_found(client, event, free_type):
    other_event = make_event(slug="other-event")
    other_type = make_ticket_type(other_event)
    choose(client, other_event, {other_type.pk: 1})
    reservation = Reservation.objects.get()
    session = client.session
    session[f"booking:{event.pk}"] = {
        "reservation": [reservation.pk, reservation.secret]
    }
    session.save()
    assert client.get(url("buyer", event)).status_code == 404
    assert client.post(url("check", event)).status_code == 404


def test_steps_out_of_order_are_redirected_and_save_nothing(client, event, free_type):
    for path in (url("buyer", event), url("check", event), url("payment", event)):
        assert client.post(path, BUYER)["Location"] == url("choose", event)
    choose(client, event, {free_type.pk: 2})
    response = client.post(url("attendee", event, number=1), ATTENDEE)
    assert response["Location"] == url("buyer", event)
    client.post(buyer_url(event), BUYER)
    response = client.post(url("attendee", event, number=2), ATTENDEE)
    assert response["Location"] == url("attendee", event, number=1)
    assert client.post(url("check", event))["Location"] == url("buyer", event)
    assert client.get(url("attendee", event, number=3)).status_code == 404
    answers = Reservation.objects.get().answers
    assert answers["attendees"] == [] and not Order.objects.exists()


def test_changing_the_number_of_places_keeps_what_still_fits(client, event, free_type):
    fill_up_to_check(client, event, free_type, count=3)
    first = Reservation.objects.get()
    response = client.post(
        url("choose", event) + "?change=1", {f"qty_{free_type.pk}": 2}
    )
    assert response["Location"] == url("check", event)
    first.refresh_from_db()
    assert first.status == Status.RELEASED
    new = Reservation.objects.get(status=Status.ACTIVE)
    assert new.places == 2 and len(new.answers["attendees"]) == 2
    event.refresh_from_db()
    assert event.places_taken == 2


def test_confirming_runs_few_queries(client, event, free_type):
    """The confirm loads the event and ticket types once and re-checks
    nothing the database enforces."""
    fill_up_to_check(client, event, free_type, count=1)
    with CaptureQueriesContext(connection) as queries:
        assert client.post(url("check", event)).status_code == 302
    statements = [q["sql"] for q in queries]
    assert len(statements) <= 20, "\n".join(statements)
    assert sum('FROM "events_event"' in sql for sql in statements) == 1
    # The ticket types come with the reservation's lines, once.
    assert sum('"tickets_tickettype"' in sql for sql in statements) == 1


def test_a_step_page_does_not_write_the_session(client, event, free_type):
    fill_up_to_check(client, event, free_type, count=1)
    for path in (url("buyer", event), url("check", event), url("choose", event)):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        writes = [
            q["sql"]
            for q in queries
            if "django_session" in q["sql"] and not q["sql"].startswith("SELECT")
        ]
        assert not writes, (path, writes)


def csrf_of(page: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def test_the_first_visitors_choose_page_is_drawn_once_with_each_ones_token(
    event, free_type
):
    """Everyone arriving gets the same page, each with a CSRF token of their
    own that works; places taken show within seconds."""
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    page_one = first.get(url("choose", event)).content.decode()
    with CaptureQueriesContext(connection) as queries:
        page_two = second.get(url("choose", event)).content.decode()
    assert len(queries) == 1  # the event; the page itself came from the cache
    assert "psdm-csrf-token-placeholder" not in page_one + page_two
    assert csrf_of(page_one) != csrf_of(page_two)
    for client, page in ((first, page_one), (second, page_two)):
        response = client.post(
            url("choose", event),
            {"csrfmiddlewaretoken": csrf_of(page), f"qty_{free_type.pk}": 1},
        )
        assert response.status_code == 302
    fresh = Client().get(url("choose", event)).content.decode()
    assert "250 of 250 places left" in fresh  # the copy, seconds old
    cache.clear()  # as AVAILABILITY_CACHE_SECONDS passing does
    fresh = Client().get(url("choose", event)).content.decode()
    assert "248 of 250 places left" in fresh


def test_arriving_after_the_last_place_went_is_answered_at_once(event, free_type):
    event.capacity = 1
    event.save()
    choose(Client(), event, {free_type.pk: 1})
    cache.clear()  # the page as first seen is seconds old at most
    late = Client()
    page = late.get(url("choose", event)).content.decode()
    assert "Sold out" in page and "Join the waiting list" in page
    assert 'name="qty_' not in page
    response = choose(late, event, {free_type.pk: 1})
    assert response.status_code == 409
    assert "Sorry, all places have been booked" in response.content.decode()
    assert Reservation.objects.count() == 1


def test_a_browser_whose_session_was_lost_chooses_afresh(client, event, free_type):
    """The same browser (CSRF cookie) with a new session: its old
    reservation is replaced by the new choice, not kept as well."""
    client.get(url("choose", event))
    choose(client, event, {free_type.pk: 3})
    Reservation.objects.update(created_at=timezone.now() - timedelta(minutes=1))
    session = client.session
    session.flush()
    session.save()
    client.cookies["sessionid"] = session.session_key
    assert choose(client, event, {free_type.pk: 1}).status_code == 302
    live = Reservation.objects.get(status=Status.ACTIVE)
    assert live.places == 1
    assert Reservation.objects.get(status=Status.RELEASED).places == 3
    event.refresh_from_db()
    assert event.places_taken == 1
