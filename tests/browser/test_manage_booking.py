"""Manage my booking in a real browser: change an attendee's details, pass a
place on, cancel one place, then cancel the whole booking."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import attendee
from tickets.consents import ATTENDEE_LIST
from tickets.models import Order, OrderChange, Ticket
from tickets.services import OrderLine, order_create

from .conftest import (
    check_a11y,
    focused,
    has_focus,
    press_and_load,
    tab_to,
    visit,
)

pytestmark = pytest.mark.browser


def click_and_load(page: Page, locator) -> None:
    with page.expect_navigation(wait_until="load"):
        locator.click()


def fill_attendee(page: Page, first: str, last: str, email: str, org: str) -> None:
    page.get_by_label("First name").fill(first)
    page.get_by_label("Last name").fill(last)
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Organisation", exact=True).fill(org)
    page.get_by_role("group", name="Which sector do they work in?").get_by_label(
        "Local government"
    ).check()


def book_two_free_places(page: Page, event) -> None:
    """Book two free places through the booking pages, up to the confirmation."""
    book = f"/events/{event.slug}/book/"
    continue_button = page.get_by_role("button", name="Continue")
    visit(page, book)
    page.get_by_label("Public sector", exact=True).fill("2")
    click_and_load(page, continue_button)
    check_a11y(page)
    page.get_by_label("Full name").fill("Grace Hopper")
    page.get_by_label("Email address").fill("grace@example.gov.uk")
    click_and_load(page, continue_button)
    expect(page).to_have_url(re.compile(re.escape(book + "attendee/1/") + "$"))
    check_a11y(page)
    fill_attendee(
        page, "Grace", "Hopper", "grace@example.gov.uk", "Birmingham City Council"
    )
    click_and_load(page, continue_button)
    expect(page).to_have_url(re.compile(re.escape(book + "attendee/2/") + "$"))
    check_a11y(page)
    fill_attendee(
        page, "Alan", "Turing", "alan@example.gov.uk", "Birmingham City Council"
    )
    click_and_load(page, continue_button)
    expect(page).to_have_url(re.compile(re.escape(book + "check/") + "$"))
    check_a11y(page)
    click_and_load(page, page.get_by_role("button", name="Confirm booking"))
    expect(page).to_have_url(re.compile(r"/bookings/PSDM-[A-Z0-9]{5}/$"))
    check_a11y(page)
    expect(page.locator(".govuk-panel--confirmation h1")).to_have_text(
        "Booking complete"
    )


def expect_manage_page(page: Page, order: Order, status: str) -> None:
    expect(page).to_have_url(re.compile(re.escape(order.get_absolute_url()) + "$"))
    check_a11y(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Your booking {order.reference}"
    )
    expect(page.locator("#order-status")).to_have_text(status)


def expect_success(page: Page, message: str) -> None:
    banner = page.locator(".govuk-notification-banner--success")
    expect(banner).to_have_count(1)
    expect(banner.get_by_role("heading")).to_have_text("Success")
    expect(banner).to_contain_text(message)


def places_taken(event, ticket_type) -> tuple[int, int]:
    event.refresh_from_db()
    ticket_type.refresh_from_db()
    return event.places_taken, ticket_type.places_taken


def actions(order: Order) -> list[str]:
    return list(
        OrderChange.objects.filter(order=order)
        .order_by("created_at", "id")
        .values_list("action", flat=True)
    )


def test_manage_my_booking(page: Page, event, free_type):
    book_two_free_places(page, event)
    order = Order.objects.get()
    grace, alan = order.tickets.order_by("id")
    assert (grace.first_name, alan.first_name) == ("Grace", "Alan")
    assert order.status == Order.Status.CONFIRMED
    assert places_taken(event, free_type) == (2, 2)

    # From the confirmation page to manage my booking.
    click_and_load(page, page.locator("#manage-link"))
    expect_manage_page(page, order, "Confirmed")
    expect(page.get_by_role("heading", name="2 places")).to_be_visible()
    for ticket in (grace, alan):
        card = page.locator(f"#ticket-{ticket.pk}")
        expect(card.get_by_role("heading")).to_have_text(ticket.full_name)
        expect(card.get_by_role("link")).to_have_text(
            [
                f"Change details for {ticket.full_name}",
                f"Pass to someone else ({ticket.full_name}'s place)",
                f"Cancel {ticket.full_name}'s place",
                f"Download badge for {ticket.full_name} (PDF)",
                f"Download badge for {ticket.full_name} (PNG)",
            ]
        )
    # Grace's badge downloads as a file named after her.
    with page.expect_download() as download:
        page.get_by_role("link", name="Download badge for Grace Hopper (PDF)").click()
    assert download.value.suggested_filename == "badge-hopper.pdf"

    # 1. Change Grace's details with the keyboard alone.
    change = page.get_by_role("link", name="Change details for Grace Hopper")
    tab_to(page, change)
    assert press_and_load(page, "Enter") == 200
    expect(page).to_have_url(
        re.compile(rf"{re.escape(order.get_absolute_url())}tickets/{grace.pk}/change/$")
    )
    check_a11y(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Change Grace Hopper's details"
    )
    # The form starts with her details as they are.
    expect(page.get_by_label("First name")).to_have_value("Grace")
    expect(page.get_by_label("Email address")).to_have_value("grace@example.gov.uk")
    expect(
        page.get_by_role("group", name="Which sector do they work in?").get_by_label(
            "Local government"
        )
    ).to_be_checked()
    job_title = page.get_by_label("Job title (optional)")
    tab_to(page, job_title)
    page.keyboard.type("Head of digital")
    page.keyboard.press("Tab")  # Into the sector radios, on the checked one.
    assert has_focus(page.get_by_label("Local government")), (
        f"focus is on {focused(page)}"
    )
    page.keyboard.press("Tab")
    assert has_focus(page.get_by_label("Access needs (optional)")), focused(page)
    page.keyboard.type("Hearing loop")
    tab_to(page, page.get_by_role("button", name="Continue"))
    assert press_and_load(page, "Enter") == 200

    expect_manage_page(page, order, "Confirmed")
    expect_success(page, "The attendee's details have been changed.")
    grace_card = page.locator(f"#ticket-{grace.pk}")
    expect(grace_card).to_contain_text("Head of digital")
    expect(grace_card).to_contain_text("Hearing loop")
    grace.refresh_from_db()
    assert (grace.first_name, grace.last_name) == ("Grace", "Hopper")
    assert grace.job_title == "Head of digital"
    assert grace.access_needs == "Hearing loop"
    assert grace.status == Ticket.Status.CONFIRMED
    assert actions(order) == ["booked", "details_changed"]

    # 2. Pass Alan's place to someone else: the form starts empty.
    click_and_load(
        page,
        page.locator(f"#ticket-{alan.pk}").get_by_role(
            "link", name="Pass to someone else (Alan Turing's place)"
        ),
    )
    expect(page).to_have_url(re.compile(rf"/tickets/{alan.pk}/pass-on/$"))
    check_a11y(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Pass Alan Turing's place to someone else"
    )
    expect(page.get_by_label("First name")).to_have_value("")
    fill_attendee(
        page, "Margaret", "Hamilton", "margaret@example.gov.uk", "Coventry City Council"
    )
    click_and_load(page, page.get_by_role("button", name="Continue"))

    expect_manage_page(page, order, "Confirmed")
    expect_success(page, "The place has been passed on.")
    expect(page.locator(f"#ticket-{alan.pk}").get_by_role("heading")).to_have_text(
        "Margaret Hamilton"
    )
    expect(page.get_by_role("main")).not_to_contain_text("Alan Turing")
    alan.refresh_from_db()
    assert (alan.first_name, alan.last_name, alan.email) == (
        "Margaret",
        "Hamilton",
        "margaret@example.gov.uk",
    )
    assert alan.organisation == "Coventry City Council"
    assert alan.status == Ticket.Status.CONFIRMED
    assert actions(order) == ["booked", "details_changed", "transferred"]
    transfer = OrderChange.objects.get(order=order, action="transferred")
    assert transfer.ticket_id == alan.pk
    assert "Alan Turing" in transfer.message and "Margaret Hamilton" in transfer.message
    assert places_taken(event, free_type) == (2, 2)

    # 3. Cancel Margaret's place, keeping Grace's.
    click_and_load(
        page,
        page.get_by_role("link", name="Cancel Margaret Hamilton's place"),
    )
    expect(page).to_have_url(re.compile(rf"/tickets/{alan.pk}/cancel/$"))
    check_a11y(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Cancel Margaret Hamilton's place?"
    )
    click_and_load(page, page.get_by_role("button", name="Yes, cancel this place"))

    expect_manage_page(page, order, "Confirmed")
    expect_success(page, "The place has been cancelled.")
    expect(page.get_by_role("heading", name="1 place", exact=True)).to_be_visible()
    expect(page.locator(f"#ticket-{alan.pk}")).to_have_count(0)
    cancelled = page.get_by_role("heading", name="Cancelled places")
    expect(cancelled).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(
        "Margaret Hamilton (Public sector)"
    )
    # The last place left cannot be cancelled on its own: only the booking.
    expect(
        page.locator(f"#ticket-{grace.pk}").get_by_role(
            "link", name=re.compile("^Cancel")
        )
    ).to_have_count(0)
    alan.refresh_from_db()
    grace.refresh_from_db()
    assert alan.status == Ticket.Status.CANCELLED
    assert alan.cancelled_at is not None
    assert grace.status == Ticket.Status.CONFIRMED
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED
    assert actions(order)[-1] == "cancelled"
    assert places_taken(event, free_type) == (1, 1)

    # 4. Cancel the whole booking; "No, keep it" first changes nothing.
    cancel_booking = page.get_by_role("button", name="Cancel booking")
    click_and_load(page, cancel_booking)
    expect(page).to_have_url(re.compile(r"/cancel/$"))
    check_a11y(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Cancel your booking?")
    click_and_load(page, page.get_by_role("link", name="No, keep it"))
    expect_manage_page(page, order, "Confirmed")
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED

    click_and_load(page, cancel_booking)
    check_a11y(page)
    expect(page.get_by_role("main")).to_contain_text("Grace Hopper (Public sector)")
    click_and_load(page, page.get_by_role("button", name="Yes, cancel my booking"))

    expect_manage_page(page, order, "Cancelled")
    expect_success(page, "Your booking has been cancelled.")
    expect(page.locator(".govuk-summary-card")).to_have_count(0)
    expect(page.get_by_role("button", name="Cancel booking")).to_have_count(0)
    expect(page.get_by_role("main")).to_contain_text("Grace Hopper (Public sector)")
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert order.payment_status == Order.PaymentStatus.NOT_REQUIRED
    assert set(order.tickets.values_list("status", flat=True)) == {
        Ticket.Status.CANCELLED
    }
    assert actions(order) == [
        "booked",
        "details_changed",
        "transferred",
        "cancelled",
        "cancelled",
    ]
    assert places_taken(event, free_type) == (0, 0)


def test_whos_coming(page: Page, event, free_type):
    """From manage my booking to the attendee list: only those who agreed
    are in its table; the back link returns to the booking."""

    def book_one(first: str, last: str, org: str, listed: bool) -> Order:
        consent = ATTENDEE_LIST.version if listed else ""
        return order_create(
            event_id=event.pk,
            buyer_name=f"{first} {last}",
            buyer_email=f"{first.lower()}@example.gov.uk",
            lines=[
                OrderLine(
                    ticket_type_id=free_type.pk,
                    attendee=attendee(
                        first_name=first,
                        last_name=last,
                        organisation=org,
                        attendee_list_consent=consent,
                    ),
                )
            ],
        )

    mine = book_one("Grace", "Hopper", "Birmingham City Council", listed=False)
    book_one("Alan", "Turing", "Coventry City Council", listed=True)
    book_one("Ada", "Lovelace", "Birmingham City Council", listed=True)
    book_one("Hidden", "Person", "Quiet Council", listed=False)

    visit(page, mine.get_absolute_url())
    click_and_load(page, page.get_by_role("link", name="See the attendees"))
    expect(page).to_have_url(
        re.compile(re.escape(mine.get_absolute_url()) + "attendees/$")
    )
    check_a11y(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Who's coming")
    expect(page.locator("#attendee-count")).to_have_text("2 people are listed.")
    rows = page.get_by_role("table").locator("tbody tr")
    expect(rows).to_have_text(
        [
            re.compile(r"Ada Lovelace\s*Birmingham City Council"),
            re.compile(r"Alan Turing\s*Coventry City Council"),
        ]
    )
    expect(page.get_by_role("main")).not_to_contain_text("Grace Hopper")
    expect(page.get_by_role("main")).not_to_contain_text("Quiet Council")
    click_and_load(page, page.get_by_role("link", name="Back"))
    expect_manage_page(page, mine, "Confirmed")
