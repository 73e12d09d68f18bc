"""Bad input gets a clear message on the form and saves nothing."""

import pytest

from tests.conftest import make_ticket_type
from tests.tickets.flow import ATTENDEE, BUYER, buyer_url, choose, fill_up_to_check, url
from tickets.models import Order, Ticket


@pytest.fixture(autouse=True)
def nothing_saved(db):
    yield
    assert Order.objects.count() == 0
    assert Ticket.objects.count() == 0


def assert_error(response, message):
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page
    assert message in page


@pytest.mark.parametrize(
    "quantity, message",
    [
        (0, "Choose how many places you want to book"),
        ("", "Choose how many places you want to book"),
        (-1, "cannot be negative"),
        (11, "You can book up to 10 Public sector places in one booking"),
        ("two", "Enter the number of Public sector places as a number"),
        ("1e3", "Enter the number of Public sector places as a number"),
        ("9" * 50, "You can book up to 10"),
    ],
)
def test_bad_quantities(client, event, free_type, quantity, message):
    assert_error(choose(client, event, {free_type.pk: quantity}), message)


def test_more_than_are_left(client, event, free_type):
    event.capacity = 3
    event.save()
    assert_error(
        choose(client, event, {free_type.pk: 4}), "Only 3 Public sector places are left"
    )


@pytest.mark.parametrize("pk", [999999, "abc", "-1"])
def test_unknown_ticket_type_ids(client, event, free_type, pk):
    response = client.post(url("choose", event), {f"qty_{pk}": 1})
    assert_error(response, "no longer available")


def test_hidden_ticket_type_id(client, event, free_type):
    hidden = make_ticket_type(event, name="Speaker", is_visible=False)
    response = choose(client, event, {free_type.pk: 1, hidden.pk: 1})
    assert_error(response, "no longer available")


def test_tampered_price_is_ignored_and_paid_type_refused(client, event, paid_type):
    response = client.post(
        url("choose", event), {f"qty_{paid_type.pk}": 1, f"price_{paid_type.pk}": 0}
    )
    assert_error(response, "no longer available")


@pytest.mark.parametrize(
    "data, message",
    [
        ({"buyer_name": ""}, "Enter your full name"),
        ({"buyer_email": ""}, "Enter your email address"),
        ({"buyer_email": "grace@"}, "Enter an email address in the correct format"),
        ({"buyer_email": "grace@example.gov.uk\nBcc: x@y.z"}, "correct format"),
        ({"buyer_name": "G" * 201}, "Full name must be 200 characters or fewer"),
    ],
)
def test_bad_buyer_details(client, event, free_type, data, message):
    choose(client, event, {free_type.pk: 1})
    assert_error(client.post(buyer_url(event), {**BUYER, **data}), message)


@pytest.mark.parametrize(
    "data, message",
    [
        ({"first_name": ""}, "Enter their first name"),
        ({"last_name": "   "}, "Enter their last name"),
        (
            {"email": "ada.example.gov.uk"},
            "Enter an email address in the correct format",
        ),
        ({"organisation": ""}, "Enter their organisation"),
        ({"sector": ""}, "Select the sector they work in"),
        ({"sector": "admin"}, "Select a valid choice"),
        ({"first_name": "A" * 101}, "First name must be 100 characters or fewer"),
        ({"organisation": "O" * 201}, "Organisation must be 200 characters or fewer"),
        ({"access_needs": "x" * 1001}, "1000 characters"),
    ],
)
def test_bad_attendee_details(client, event, free_type, data, message):
    choose(client, event, {free_type.pk: 1})
    client.post(buyer_url(event), BUYER)
    response = client.post(url("attendee", event, number=1), {**ATTENDEE, **data})
    assert_error(response, message)


def test_error_summary_links_to_the_field(client, event, free_type):
    choose(client, event, {free_type.pk: 1})
    client.post(buyer_url(event), BUYER)
    page = client.post(
        url("attendee", event, number=1), {**ATTENDEE, "first_name": ""}
    ).content.decode()
    assert 'href="#id_first_name"' in page
    assert "govuk-form-group--error" in page
    assert "<title>Error:" in page


def test_hidden_after_choosing_is_refused_at_confirmation(client, event, free_type):
    """A ticket type hidden mid-booking is refused with a message."""
    fill_up_to_check(client, event, free_type)
    free_type.is_visible = False
    free_type.save()
    response = client.post(url("check", event))
    assert response.status_code == 409
    assert "no longer available" in response.content.decode()


@pytest.mark.parametrize(
    "draft",
    [
        {"quantities": {"x": "y"}, "attendees": "nope"},
        {"quantities": [1, 2]},
        "garbage",
        {"quantities": {"1": 1}, "buyer": {"buyer_name": "A"}, "attendees": [{}]},
        {
            "quantities": {"1": 1},
            "buyer": {"buyer_name": "A", "buyer_email": "a@example.com"},
            "attendees": [dict(ATTENDEE), dict(ATTENDEE)],
        },
        {
            "quantities": {"1": 1},
            "buyer": {"buyer_name": "A", "buyer_email": "a@example.com"},
            "attendees": [{**ATTENDEE, "is_admin": "yes"}],
        },
        {
            "quantities": {"1": 1},
            "buyer": {"buyer_name": "A", "buyer_email": "a@example.com"},
            "attendees": [{**ATTENDEE, "first_name": ["list"]}],
        },
    ],
)
def test_tampered_session_starts_again(client, event, free_type, draft):
    """Booking data in the session that this code did not write starts again."""
    session = client.session
    session[f"booking:{event.pk}"] = draft
    session.save()
    for name in ("check", "buyer"):
        assert client.get(url(name, event))["Location"] == url("choose", event)
    assert client.post(url("check", event))["Location"] == url("choose", event)
    assert client.get(url("choose", event)).status_code == 200


def test_an_empty_post_shows_the_errors(client, event, free_type):
    assert_error(client.post(url("choose", event)), "Choose how many places")
    choose(client, event, {free_type.pk: 1})
    assert_error(client.post(buyer_url(event)), "Enter your full name")
    client.post(buyer_url(event), BUYER)
    assert_error(
        client.post(url("attendee", event, number=1)), "Enter their first name"
    )


@pytest.mark.parametrize(
    ("field", "size", "message"),
    [
        ("first_name", 101, "First name must be 100 characters or fewer"),
        ("last_name", 101, "Last name must be 100 characters or fewer"),
        ("organisation", 201, "Organisation must be 200 characters or fewer"),
        ("job_title", 201, "Job title must be 200 characters or fewer"),
    ],
)
def test_too_long_attendee_details_name_the_field(
    client, event, free_type, field, size, message
):
    choose(client, event, {free_type.pk: 1})
    client.post(buyer_url(event), BUYER)
    response = client.post(
        url("attendee", event, number=1), {**ATTENDEE, field: "x" * size}
    )
    page = response.content.decode()
    assert message in page
    assert "Ensure this value" not in page


def test_too_long_buyer_details_name_the_field(client, event, free_type):
    choose(client, event, {free_type.pk: 2})
    response = client.post(buyer_url(event), {**BUYER, "buyer_name": "x" * 201})
    assert "Full name must be 200 characters or fewer" in response.content.decode()
