"""One person's data, by e-mail: a copy of everything held about them and
nothing of anyone else; erasure that leaves no trace of them, only when
nothing is still going on; an organiser's page for both."""

import json

import pytest
from django.contrib.auth.models import Group, Permission

from tests.conftest import make_event
from tests.tickets.people import past_event, populate, rows_mentioning
from tickets.dashboard import selectors
from tickets.models import Order, OrderChange, Ticket, WaitlistEntry
from tickets.roles import ORGANISER_GROUP
from tickets.services import Actor, invoice_mark_paid
from tickets.services.personal_data import (
    ErasureRefused,
    personal_data_erase,
    personal_data_erase_blockers,
    personal_data_export,
)

pytestmark = pytest.mark.django_db
ORGANISER = Actor("An organiser")
PAGE = "/admin/tickets/order/personal-data/"


def test_the_copy_holds_everything_for_the_address_and_nothing_of_others():
    event, people = past_event(slug="old", days=10)
    WaitlistEntry.objects.create(
        event=event,
        name="Ada Zero",
        email="ADA0@example.gov.uk",
        organisation="OPG",
        status=WaitlistEntry.Status.EXPIRED,
    )
    copy = personal_data_export(email=" Ada0@Example.gov.uk ")
    text = json.dumps(copy)

    places = copy["places_as_attendee"]
    assert {(p["order_reference"], p["first_name"]) for p in places} == {
        (people["grace"].reference, "Ada0"),
    }  # Linus's Ada0 place was passed on to Jane
    [place] = places
    assert place["dietary_needs"] == "Vegan"
    assert place["access_needs"] == "Step-free access"
    assert place["checked_in_door"] == "Main"
    assert [scan["result"] for scan in place["door_scans"]] == ["Admitted"]
    assert place["consents"]["attendee_list"]["given"] is False
    assert {e["to"] for e in copy["emails_sent"]} == {"ada0@example.gov.uk"}
    assert len(copy["emails_sent"]) == 3  # Grace's Ada0, Linus's Ada0, passed on
    assert [w["name"] for w in copy["waiting_lists"]] == ["Ada Zero"]
    assert copy["orders_as_buyer"] == []
    for other in ("Grace Hopper", "Ada1", "Jane", "Linus", "Margaret"):
        assert other not in text


def test_the_copy_for_a_buyer_and_invoice_contact():
    _event, people = past_event(slug="old", days=10)
    buyer = personal_data_export(email="linus@example.com")
    [order] = buyer["orders_as_buyer"]
    assert order["reference"] == people["linus"].reference
    assert order["total_pence"] == 19000
    assert order["history"]
    contact = personal_data_export(email="margaret@birmingham.gov.uk")
    [invoice] = contact["invoices_as_billing_contact"]
    assert invoice["contact_name"] == "Margaret Hamilton"
    assert "Linus" not in json.dumps(contact)


def test_erasure_leaves_no_trace_of_the_address_or_the_names():
    event, people = past_event(slug="old", days=10)
    invoice_mark_paid(order_id=people["linus"].pk, actor=ORGANISER)
    sales = selectors.ticket_type_sales(event=event)
    revenue = selectors.event_revenue(event=event)
    assert rows_mentioning("ada0@example.gov.uk")
    assert rows_mentioning("Ada0 Lovelace")

    erased = personal_data_erase(email="ADA0@example.gov.uk", actor=ORGANISER)

    assert erased.tickets == 1
    assert rows_mentioning("ada0@example.gov.uk") == []
    assert rows_mentioning("Ada0") == []
    # Others are untouched; the counts stay.
    assert rows_mentioning("ada1@example.gov.uk")
    assert Order.objects.filter(buyer_name="Grace Hopper").count() == 1
    assert Ticket.objects.filter(first_name="Jane").count() == 1
    assert selectors.ticket_type_sales(event=event) == sales
    assert selectors.event_revenue(event=event) == revenue
    assert OrderChange.objects.filter(action="personal_data_erased").count() == 2


def test_erasing_a_buyer_and_an_invoice_contact():
    _event, people = past_event(slug="old", days=10)
    invoice_mark_paid(order_id=people["linus"].pk, actor=ORGANISER)
    personal_data_erase(email="linus@example.com", actor=ORGANISER)
    personal_data_erase(email="margaret@birmingham.gov.uk", actor=ORGANISER)
    assert rows_mentioning("linus@example.com") == []
    assert rows_mentioning("Linus Buyer") == []
    assert rows_mentioning("margaret") == []
    order = Order.objects.get(pk=people["linus"].pk)
    assert (order.total_pence, order.paid_pence) == (19000, 19000)
    assert order.invoice.organisation == "Birmingham City Council"
    assert rows_mentioning("Jane Newcomer")  # an attendee of Linus's, kept


def test_a_person_with_a_place_at_an_upcoming_event_is_not_erased():
    event = make_event(slug="soon")
    populate(event)
    before = list(Ticket.objects.values())
    reasons = personal_data_erase_blockers(email="ada0@example.gov.uk")
    assert any("has a place at" in reason for reason in reasons)
    with pytest.raises(ErasureRefused):
        personal_data_erase(email="ada0@example.gov.uk", actor=ORGANISER)
    assert list(Ticket.objects.values()) == before


def test_an_unpaid_invoice_blocks_erasure_of_its_contact():
    _event, people = past_event(slug="old", days=10)
    reasons = personal_data_erase_blockers(email="margaret@birmingham.gov.uk")
    assert reasons == [
        f"Invoice {people['linus'].invoice.number} ({people['linus'].reference}) "
        "is not paid yet."
    ]


def test_a_live_waiting_list_entry_is_taken_off_the_list_and_erased():
    event, _ = past_event(slug="old", days=10)
    WaitlistEntry.objects.create(
        event=event, name="Wanda Waiting", email="wanda@example.org", organisation="X"
    )
    personal_data_erase(email="wanda@example.org", actor=ORGANISER)
    entry = WaitlistEntry.objects.get()
    assert entry.status == WaitlistEntry.Status.REMOVED
    assert rows_mentioning("wanda") == []


def test_an_unknown_or_blank_address_finds_nothing():
    past_event(slug="old", days=10)
    for email in ("", "   ", "nobody@example.com"):
        copy = personal_data_export(email=email)
        assert not any(value for key, value in copy.items() if isinstance(value, list))


# -- the organiser's page --------------------------------------------------


@pytest.fixture
def organiser(client, django_user_model):
    user = django_user_model.objects.create_user("org", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=ORGANISER_GROUP))
    client.force_login(user)
    return client


def test_the_organiser_group_has_the_permission():
    group = Group.objects.get(name=ORGANISER_GROUP)
    assert group.permissions.filter(codename="personal_data").exists()


def test_the_page_finds_a_person_and_downloads_the_copy(organiser):
    past_event(slug="old", days=10)
    page = organiser.get(PAGE, {"email": "ada0@example.gov.uk"})
    assert page.status_code == 200
    assert b"Ada0" in page.content
    download = organiser.get(PAGE + "export/", {"email": "ada0@example.gov.uk"})
    assert download.status_code == 200
    assert download["Content-Type"] == "application/json"
    assert "attachment" in download["Content-Disposition"]
    assert json.loads(download.content)["email"] == "ada0@example.gov.uk"


def test_the_page_erases_after_confirmation(organiser):
    past_event(slug="old", days=10)
    confirm = organiser.get(PAGE + "erase/", {"email": "ada0@example.gov.uk"})
    assert confirm.status_code == 200
    assert rows_mentioning("ada0@example.gov.uk")
    done = organiser.post(
        PAGE + "erase/", {"email": "ada0@example.gov.uk", "post": "yes"}, follow=True
    )
    assert done.status_code == 200
    assert b"erased" in done.content
    assert rows_mentioning("ada0@example.gov.uk") == []


def test_the_page_refuses_to_erase_with_the_reasons(organiser):
    event = make_event(slug="soon")
    populate(event)
    page = organiser.post(
        PAGE + "erase/", {"email": "ada0@example.gov.uk", "post": "yes"}, follow=True
    )
    assert page.status_code == 200
    assert b"Cancel it first" in page.content
    assert rows_mentioning("ada0@example.gov.uk")


def test_a_bad_address_gets_a_message_not_an_error(organiser):
    page = organiser.get(PAGE, {"email": "not an address"})
    assert page.status_code == 200
    assert b"Enter an e-mail address" in page.content
    # A NUL is refused for the whole site before the page (psdm.security).
    page = organiser.get(PAGE, {"email": "not an address\x00"})
    assert page.status_code == 400
    assert b"Nothing has been changed" in page.content


def test_staff_without_the_permission_are_refused(client, django_user_model):
    user = django_user_model.objects.create_user("clerk", password="pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_order"))
    client.force_login(user)
    for url in (PAGE, PAGE + "export/", PAGE + "erase/"):
        assert client.get(url, {"email": "a@b.cd"}).status_code == 403
    assert (
        client.post(PAGE + "erase/", {"email": "a@b.cd", "post": "yes"}).status_code
        == 403
    )


def test_the_admin_index_links_to_the_page(organiser):
    page = organiser.get("/admin/")
    assert b'id="personal-data-link"' in page.content
