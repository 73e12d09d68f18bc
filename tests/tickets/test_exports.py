"""CSV exports of an event's places: the attendee list, the caterer's and
venue's needs list, and the sign-in sheet, as files Excel opens cleanly."""

import csv
import io

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from tests.conftest import attendee, book, make_event, make_ticket_type
from tickets.exports import attendee_list, csv_bytes, csv_cell, needs_list
from tickets.models import Ticket
from tickets.services import Actor, OrderLine, order_cancel, order_create

EXPORTS = reverse("admin:tickets_ticket_exports")
TICKETS = reverse("admin:tickets_ticket_changelist")


def book_people(event, ticket_type, people: list[dict]):
    """One order with a place for each of `people` (attendee overrides)."""
    return order_create(
        event_id=event.pk,
        buyer_name="Grace Hopper",
        buyer_email="grace@example.gov.uk",
        lines=[
            OrderLine(ticket_type_id=ticket_type.pk, attendee=attendee(i, **person))
            for i, person in enumerate(people)
        ],
    )


@pytest.fixture
def order(event, free_type):
    return book_people(
        event,
        free_type,
        [
            {"first_name": "Zoe", "last_name": "Adams", "dietary_needs": "Vegan"},
            {
                "first_name": "Bob",
                "last_name": "smith",
                "email": "bob@example.gov.uk",
                "organisation": "=cmd()",
                "job_title": "Head, digital",
            },
            {
                "first_name": "Amy",
                "last_name": "Smith",
                "access_needs": "Step-free access\nHearing loop",
            },
            {"first_name": "Cat", "last_name": "Brown", "dietary_needs": "   "},
        ],
    )


def parse(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")
    text = content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline="")))


def download(client, event, kind):
    return client.get(EXPORTS, {"event": event.pk, "list": kind})


# -- the CSV format -------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        ("=cmd()", "'=cmd()"),
        ("+44 121", "'+44 121"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Ada = Lovelace", "Ada = Lovelace"),
        (None, ""),
    ],
)
def test_cells_that_excel_would_run_are_made_text(value, expected):
    assert csv_cell(value) == expected


def test_csv_has_a_bom_crlf_and_quotes_where_needed():
    content = csv_bytes(["a", "b"], [['Say "hi"', "x,y"], ["line\nbreak", "é"]])
    assert content == (
        b'\xef\xbb\xbfa,b\r\n"Say ""hi""","x,y"\r\n"line\nbreak",\xc3\xa9\r\n'
    )


# -- the lists --------------------------------------------------------------------


def test_attendee_list_has_every_confirmed_place(event, free_type, order):
    cancelled = book(event, free_type)
    order_cancel(order_id=cancelled.pk, actor=Actor.system())
    bob = order.tickets.get(first_name="Bob")
    moment = timezone.make_aware(timezone.datetime(2018, 9, 27, 8, 45))
    Ticket.objects.filter(pk=bob.pk).update(checked_in_at=moment)

    rows = parse(attendee_list(event=event).as_bytes())

    assert rows[0] == [
        "First name",
        "Last name",
        "E-mail",
        "Organisation",
        "Job title",
        "Sector",
        "Ticket type",
        "Order reference",
        "Payment",
        "Booked at",
        "Checked in at",
    ]
    assert [row[:2] for row in rows[1:]] == [
        ["Zoe", "Adams"],
        ["Cat", "Brown"],
        ["Amy", "Smith"],
        ["Bob", "smith"],
    ]
    assert rows[4][2:9] == [
        "bob@example.gov.uk",
        "'=cmd()",
        "Head, digital",
        "Central government",
        "Public sector",
        order.reference,
        "Nothing to pay",
    ]
    booked = timezone.localtime(bob.created_at).strftime("%Y-%m-%d %H:%M")
    assert rows[4][9:] == [booked, "2018-09-27 08:45"]
    assert rows[1][10] == ""  # not checked in


def test_needs_list_has_only_people_with_needs_and_no_emails(event, free_type, order):
    content = needs_list(event=event).as_bytes()
    rows = parse(content)
    assert rows == [
        ["Name", "Organisation", "Ticket type", "Dietary needs", "Access needs"],
        ["Zoe Adams", "Office of the Public Guardian", "Public sector", "Vegan", ""],
        [
            "Amy Smith",
            "Office of the Public Guardian",
            "Public sector",
            "",
            "Step-free access\nHearing loop",
        ],
    ]
    assert b"@" not in content


def test_sign_in_sheet_is_by_surname_with_an_empty_signature(organiser_client, order):
    event = order.event
    response = download(organiser_client, event, "sign-in")
    rows = parse(response.content)
    assert rows[0] == [
        "Last name",
        "First name",
        "Organisation",
        "Ticket type",
        "Signature",
    ]
    assert [row[:2] for row in rows[1:]] == [
        ["Adams", "Zoe"],
        ["Brown", "Cat"],
        ["Smith", "Amy"],
        ["smith", "Bob"],
    ]
    assert {row[4] for row in rows[1:]} == {""}
    assert rows[4][2] == "'=cmd()"


def test_download_is_an_attachment_named_after_the_event_and_day(
    organiser_client, order
):
    event = order.event
    response = download(organiser_client, event, "needs")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="dietary-and-access-needs-{event.slug}-{today}.csv"'
    )
    assert parse(response.content)[1][0] == "Zoe Adams"


def test_exports_page_offers_the_lists(organiser_client, order):
    page = organiser_client.get(EXPORTS)
    assert page.status_code == 200
    content = page.content.decode()
    assert "Sign-in sheet" in content and order.event.name in content
    bad = organiser_client.get(EXPORTS, {"event": order.event.pk, "list": "all"})
    assert bad.status_code == 200 and "errorlist" in bad.content.decode()


def test_the_events_page_links_to_the_lists(organiser_client, order):
    page = organiser_client.get(
        reverse("admin:events_event_change", args=[order.event.pk])
    ).content.decode()
    for kind in ("attendees", "needs", "sign-in"):
        assert f"{EXPORTS}?event={order.event.pk}&amp;list={kind}" in page


# -- who may download -------------------------------------------------------------


def test_anonymous_is_sent_to_log_in(client, order):
    response = download(client, order.event, "attendees")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_non_staff_and_staff_without_permission_are_refused(
    client, django_user_model, order
):
    user = django_user_model.objects.create_user("someone", "s@x.uk", "pw")
    client.force_login(user)
    user.user_permissions.add(Permission.objects.get(codename="view_ticket"))
    assert download(client, order.event, "attendees").status_code == 403

    staff = django_user_model.objects.create_user(
        "helper", "h@x.uk", "pw", is_staff=True
    )
    client.force_login(staff)
    assert download(client, order.event, "attendees").status_code == 403
    assert client.get(EXPORTS).status_code == 403

    staff.user_permissions.add(Permission.objects.get(codename="view_ticket"))
    staff = django_user_model.objects.get(pk=staff.pk)  # forget cached perms
    client.force_login(staff)
    response = download(client, order.event, "attendees")
    assert response.status_code == 200
    assert parse(response.content)[1][:2] == ["Zoe", "Adams"]


# -- the actions on selected places ---------------------------------------------


def test_action_exports_only_the_selected_places(organiser_client, order):
    zoe, bob = order.tickets.get(first_name="Zoe"), order.tickets.get(first_name="Bob")
    response = organiser_client.post(
        TICKETS,
        {"action": "export_attendees", ACTION_CHECKBOX_NAME: [zoe.pk, bob.pk]},
    )
    assert response.status_code == 200
    rows = parse(response.content)
    assert [row[0] for row in rows[1:]] == ["Zoe", "Bob"]

    needs = organiser_client.post(
        TICKETS, {"action": "export_needs", ACTION_CHECKBOX_NAME: [bob.pk]}
    )
    assert parse(needs.content) == [parse(needs.content)[0]]  # Bob has none


def test_action_refuses_places_of_two_events(organiser_client, order):
    other = make_event(slug="other", name="Other event")
    theirs = book(other, make_ticket_type(other)).tickets.get()
    mine = order.tickets.first()
    response = organiser_client.post(
        TICKETS,
        {"action": "export_sign_in", ACTION_CHECKBOX_NAME: [mine.pk, theirs.pk]},
        follow=True,
    )
    assert response["Content-Type"].startswith("text/html")
    assert "one event only" in " ".join(
        str(m) for m in get_messages(response.wsgi_request)
    )


def test_export_actions_need_view_permission(client, django_user_model, order):
    staff = django_user_model.objects.create_user(
        "helper", "h@x.uk", "pw", is_staff=True
    )
    staff.user_permissions.add(Permission.objects.get(codename="view_ticket"))
    client.force_login(staff)
    actions = client.get(TICKETS).context["action_form"].fields["action"].choices
    assert "export_attendees" in dict(actions)
    assert "cancel_places" not in dict(actions)
