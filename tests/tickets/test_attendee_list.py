"""Who's coming: the attendee list behind a manage-my-booking link shows the
name and organisation of confirmed attendees of that event who agreed to be
listed, and nobody else."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.conftest import attendee, book, hold, make_event, make_ticket_type
from tickets.consents import ATTENDEE_LIST
from tickets.models import Order, Ticket
from tickets.selectors import event_attendee_list
from tickets.services import Actor, OrderLine, order_cancel, order_create

pytestmark = pytest.mark.django_db

LISTED = {"attendee_list_consent": ATTENDEE_LIST.version}


def list_url(order) -> str:
    return f"/bookings/{order.reference}/{order.secret}/attendees/"


def book_people(event, ticket_type, *people: dict, buyer="grace@example.gov.uk"):
    """One booking with a place for each of `people` (attendee overrides)."""
    return order_create(
        event_id=event.pk,
        buyer_name="Grace Hopper",
        buyer_email=buyer,
        lines=[
            OrderLine(ticket_type_id=ticket_type.pk, attendee=attendee(i, **person))
            for i, person in enumerate(people)
        ],
    )


def page_text(client, order) -> str:
    response = client.get(list_url(order))
    assert response.status_code == 200
    return response.content.decode()


def names(event) -> list[str]:
    return [ticket.full_name for ticket in event_attendee_list(event=event)]


def test_only_attendees_who_agreed_are_listed(client, event, free_type):
    order = book_people(
        event,
        free_type,
        {"first_name": "Katherine", "last_name": "Johnson", **LISTED},
        {
            "first_name": "Dorothy",
            "last_name": "Vaughan",
            "organisation": "Secret Unlisted Agency",
            "job_title": "Head of Secrets",
        },
    )
    page = page_text(client, order)
    assert "Katherine Johnson" in page
    assert "Office of the Public Guardian" in page
    assert "Dorothy" not in page and "Vaughan" not in page
    assert "Secret Unlisted Agency" not in page
    # Only what the wording allows: no e-mail addresses or job titles.
    assert "ada0@example.gov.uk" not in page
    assert "Head of Secrets" not in page
    assert "1 person is listed." in page


def test_job_titles_and_emails_of_listed_people_are_not_shown(client, event, free_type):
    order = book_people(event, free_type, {"job_title": "Chief Widget", **LISTED})
    page = page_text(client, order)
    assert "Ada0 Lovelace" in page
    assert "Chief Widget" not in page
    assert "ada0@example.gov.uk" not in page


def test_cancelled_held_anonymised_and_unknown_wording_are_never_listed(
    client, event, free_type
):
    viewer = book_people(event, free_type, {"first_name": "Viewer", **LISTED})
    cancelled = book_people(event, free_type, {"first_name": "Cancelled", **LISTED})
    order_cancel(order_id=cancelled.pk, actor=Actor.buyer())
    one_gone = book_people(
        event,
        free_type,
        {"first_name": "Stays", **LISTED},
        {"first_name": "Leaves", **LISTED},
    )
    leaves = one_gone.tickets.get(first_name="Leaves")
    order_cancel(order_id=one_gone.pk, actor=Actor.buyer(), ticket_ids=[leaves.pk])
    hold(book_people(event, free_type, {"first_name": "Unpaid", **LISTED}))
    erased = book_people(event, free_type, {"first_name": "Erased", **LISTED})
    erased.tickets.update(anonymised_at=timezone.now())
    odd = book_people(event, free_type, {"first_name": "Oddwording"})
    odd.tickets.update(
        attendee_list_consent_at=timezone.now(),
        attendee_list_consent_version="not-a-version",
    )

    assert names(event) == ["Stays Lovelace", "Viewer Lovelace"]
    page = page_text(client, viewer)
    for gone in ("Cancelled", "Leaves", "Unpaid", "Erased", "Oddwording"):
        assert gone not in page, gone
    assert "2 people are listed." in page


def test_other_events_attendees_are_never_listed(client, event, free_type):
    other_event = make_event(name="Other conference", slug="other-conference")
    other_type = make_ticket_type(other_event)
    book_people(
        other_event,
        other_type,
        {"first_name": "Elsewhere", "organisation": "Other Council", **LISTED},
    )
    mine = book_people(event, free_type, {"first_name": "Here", **LISTED})
    page = page_text(client, mine)
    assert "Here Lovelace" in page
    assert "Elsewhere" not in page and "Other Council" not in page
    assert names(event) == ["Here Lovelace"]


def test_sorted_by_organisation_then_surname(event, free_type):
    book_people(
        event,
        free_type,
        {"first_name": "Zed", "last_name": "Adams", "organisation": "Wolverhampton"},
        {"first_name": "Amy", "last_name": "Young", "organisation": "birmingham"},
        {"first_name": "Bob", "last_name": "Brown", "organisation": "Birmingham"},
        {"first_name": "Cat", "last_name": "Clark", "organisation": "Coventry"},
    )
    Ticket.objects.update(
        attendee_list_consent_at=timezone.now(),
        attendee_list_consent_version=ATTENDEE_LIST.version,
    )
    assert names(event) == ["Bob Brown", "Amy Young", "Cat Clark", "Zed Adams"]


def test_the_page_counts_and_shows_a_table(client, event, free_type):
    order = book_people(event, free_type, LISTED, LISTED, LISTED, {})
    page = page_text(client, order)
    assert '<h1 class="govuk-heading-l">Who\'s coming</h1>' in page
    assert '<table class="govuk-table" id="attendee-list">' in page
    assert page.count('<tr class="govuk-table__row">') == 1 + 3
    assert "3 people are listed." in page


def test_nobody_listed_yet_says_so_without_a_table(client, event, free_type):
    order = book(event, free_type)
    page = page_text(client, order)
    assert "0 people are listed." in page
    assert "govuk-table" not in page


def test_the_page_says_how_to_be_listed_or_unlisted(client, event, free_type):
    order = book(event, free_type)
    page = page_text(client, order)
    assert str(ATTENDEE_LIST.wording) in page
    assert "Change details" in page
    assert f'href="{order.get_absolute_url()}"' in page
    # Once details can no longer be changed online: ask the organiser.
    event.changes_deadline = timezone.now() - timedelta(minutes=1)
    event.save(update_fields=["changes_deadline"])
    page = page_text(client, order)
    assert "Contact the organiser" in page
    assert "Change details" not in page


def test_unticking_on_the_booking_takes_someone_off_the_list(client, event, free_type):
    order = book_people(event, free_type, LISTED)
    ticket = order.tickets.get()
    assert "Ada0 Lovelace" in page_text(client, order)
    change = f"{order.get_absolute_url()}tickets/{ticket.pk}/change/"
    fields = {
        "first_name": ticket.first_name,
        "last_name": ticket.last_name,
        "email": ticket.email,
        "organisation": ticket.organisation,
        "sector": ticket.sector,
    }
    assert client.post(change, fields).status_code == 302
    assert "Ada0 Lovelace" not in page_text(client, order)
    consenting = {**fields, "attendee_list_consent": "on"}
    assert client.post(change, consenting).status_code == 302
    assert "Ada0 Lovelace" in page_text(client, order)


def test_a_wrong_secret_or_reference_is_not_found(client, event, free_type):
    mine = book_people(event, free_type, LISTED)
    theirs = book_people(event, free_type, LISTED, buyer="other@example.gov.uk")
    for path in (
        f"/bookings/{mine.reference}/{theirs.secret}/attendees/",
        f"/bookings/{mine.reference}/{mine.secret[:-1]}/attendees/",
        f"/bookings/{mine.reference}/x/attendees/",
        f"/bookings/PSDM-ZZZZZ/{mine.secret}/attendees/",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Lovelace" not in response.content.decode()


def test_a_cancelled_booking_is_sent_back_with_a_message(client, event, free_type):
    book_people(event, free_type, {"first_name": "Listed", **LISTED})
    order = book(event, free_type)
    order_cancel(order_id=order.pk, actor=Actor.buyer())
    response = client.get(list_url(order))
    assert response.status_code == 302
    assert response["Location"] == order.get_absolute_url()
    page = client.get(response["Location"]).content.decode()
    assert "The attendee list is only for people with a place at this event." in page
    assert "Listed" not in page
    assert "attendees/" not in page  # no link to the list


def test_a_booking_waiting_for_payment_is_sent_back(client, event, free_type):
    book_people(event, free_type, {"first_name": "Listed", **LISTED})
    order = hold(book(event, free_type))
    assert order.status == Order.Status.PENDING
    response = client.get(list_url(order))
    assert response.status_code == 302
    assert response["Location"] == order.get_absolute_url()


def test_the_manage_page_links_to_the_list(client, event, free_type):
    order = book(event, free_type)
    page = client.get(order.get_absolute_url()).content.decode()
    assert f'href="{list_url(order)}"' in page


def test_only_get(client, event, free_type):
    order = book(event, free_type)
    assert client.post(list_url(order)).status_code == 405


def test_the_number_of_queries_does_not_grow_with_the_list(client, event, free_type):
    order = book_people(event, free_type, LISTED, LISTED)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(list_url(order)).status_code == 200
        return len(captured)

    few = queries()
    for _ in range(4):
        book_people(event, free_type, LISTED, LISTED, LISTED, LISTED, LISTED)
    assert len(names(event)) == 22
    assert queries() == few


def test_the_list_is_rate_limited_like_the_other_manage_pages():
    limits = settings.PSDM_RATE_LIMITS
    assert limits["tickets:attendee_list"] == limits["tickets:manage"]
