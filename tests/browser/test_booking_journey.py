"""Booking a free place in a real browser using the keyboard alone: for
oneself on one "Your details" page (the default for one place), and for
someone else through the buyer's page and the attendee's."""

import re

import pytest
from playwright.sync_api import Page, expect

from tickets.consents import ATTENDEE_LIST, FUTURE_EVENTS
from tickets.models import Order, Reservation, Ticket

from .conftest import (
    CANCEL_HOLD,
    REFERENCE_RE,
    check_a11y,
    expect_hold,
    focused,
    has_focus,
    press_and_load,
    tab_to,
    visit,
)

pytestmark = pytest.mark.browser

SOMEONE_ELSE = "I'm booking this place for someone else"


def expect_focus(page: Page, locator, what: str) -> None:
    assert has_focus(locator), f"expected focus on {what}, but it is on {focused(page)}"


def choose_one_place_by_keyboard(page: Page, event) -> str:
    """From the event page to "Your details" with one place reserved, by
    keyboard alone; return the booking pages' base path."""
    book = f"/events/{event.slug}/book/"
    visit(page, event.get_absolute_url())

    # The first Tab stop is the skip link, so keyboard users can bypass the header.
    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Skip to main content")
    expect_focus(page, skip_link, "the skip link")
    expect(skip_link).to_be_visible()

    start = page.get_by_role("button", name="Book your place")
    tab_to(page, start)
    assert press_and_load(page, "Enter") == 200
    expect(page).to_have_url(re.compile(re.escape(book) + "$"))

    # 1. How many places: reach the box by Tab, replace its 0 with 1.
    check_a11y(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "How many places do you want to book?"
    )
    # Nothing is reserved until the places are chosen.
    expect(page.get_by_role("region", name="Your places are reserved")).to_have_count(0)
    quantity = page.get_by_label("Public sector", exact=True)
    tab_to(page, quantity)
    page.keyboard.press("Control+a")
    page.keyboard.type("1")
    expect(quantity).to_have_value("1")
    assert press_and_load(page, "Enter") == 200  # Enter submits the form.
    expect(page).to_have_url(re.compile(re.escape(book + "your-details/") + "$"))
    check_a11y(page)
    # The place is the buyer's from now on, for a limited time.
    reservation = Reservation.objects.get()
    assert (reservation.status, reservation.places) == (Reservation.Status.ACTIVE, 1)
    expect_hold(page, 1)
    return book


def tab_through_needs_and_consents(page: Page, sector_legend: str) -> None:
    """From the job title: the sector radios, the needs, the two consents and
    Continue, each the next Tab stop after the one before."""
    # Tab enters the radio group on its first option; an arrow key moves and
    # selects, Space selects the focused option.
    page.keyboard.press("Tab")
    sector = page.get_by_role("group", name=sector_legend)
    expect_focus(page, sector.get_by_label("Central government"), "the first sector")
    page.keyboard.press("ArrowDown")
    local = sector.get_by_label("Local government")
    expect_focus(page, local, "Local government")
    page.keyboard.press("Space")
    expect(local).to_be_checked()

    page.keyboard.press("Tab")
    expect_focus(page, page.get_by_label("Access needs (optional)"), "Access needs")
    page.keyboard.type("Step-free access")
    page.keyboard.press("Tab")
    expect_focus(page, page.get_by_label("Dietary needs (optional)"), "Dietary needs")
    page.keyboard.type("Vegetarian")
    # Then the two optional consents, each unticked until the attendee ticks it.
    for wording in (ATTENDEE_LIST.wording, FUTURE_EVENTS.wording):
        page.keyboard.press("Tab")
        box = page.get_by_role("checkbox", name=str(wording))
        expect_focus(page, box, str(wording))
        expect(box).not_to_be_checked()
    page.keyboard.press("Tab")
    expect_focus(page, page.get_by_role("button", name="Continue"), "Continue")


def check_and_confirm_by_keyboard(page: Page, book: str) -> str:
    """Check your answers, confirm with Enter; return the booking reference."""
    expect(page).to_have_url(re.compile(re.escape(book + "check/") + "$"))
    check_a11y(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check your answers before booking"
    )
    expect_hold(page, 1)
    main = page.get_by_role("main")
    for text in [
        "Grace Hopper",
        "grace@example.gov.uk",
        "Birmingham City Council",
        "Service designer",
        "Step-free access",
        "Vegetarian",
    ]:
        expect(main).to_contain_text(text)
    tab_to(page, page.get_by_role("button", name="Confirm booking"))
    assert press_and_load(page, "Enter") == 200

    # Confirmation.
    expect(page).to_have_url(re.compile(r"/bookings/PSDM-[A-Z0-9]{5}/$"))
    check_a11y(page)
    expect(page.locator(".govuk-panel--confirmation h1")).to_have_text(
        "Booking complete"
    )
    # Booked: the places are no longer "reserved".
    expect(page.get_by_role("region", name="Your places are reserved")).to_have_count(0)
    reference = page.locator("#order-reference").inner_text().strip()
    assert REFERENCE_RE.fullmatch(reference), reference
    expect(main).to_contain_text("Grace Hopper")
    return reference


def expect_booked(reference: str, free_type) -> None:
    assert Ticket.objects.filter(status=Ticket.Status.CONFIRMED).count() == 1
    order = Order.objects.get()
    assert order.reference == reference
    assert order.status == Order.Status.CONFIRMED
    assert (order.buyer_name, order.buyer_email) == (
        "Grace Hopper",
        "grace@example.gov.uk",
    )
    assert Reservation.objects.get().status == Reservation.Status.CONFIRMED
    ticket = Ticket.objects.get()
    assert ticket.status == Ticket.Status.CONFIRMED
    assert ticket.order == order
    assert ticket.ticket_type == free_type
    assert (ticket.first_name, ticket.last_name) == ("Grace", "Hopper")
    assert ticket.email == "grace@example.gov.uk"
    assert ticket.organisation == "Birmingham City Council"
    assert ticket.job_title == "Service designer"
    assert ticket.sector == Ticket.Sector.LOCAL_GOVERNMENT
    assert ticket.access_needs == "Step-free access"
    assert ticket.dietary_needs == "Vegetarian"
    # The boxes were left unticked: no consent recorded.
    assert ticket.attendee_list_consent_at is None
    assert ticket.future_events_consent_at is None


def test_keyboard_only_booking(page: Page, event, free_type):
    """A newcomer books one free place for themself from the event page with
    the keyboard alone: one "Your details" page, then check and confirm."""
    book = choose_one_place_by_keyboard(page, event)

    # 2. Your details, worded to the reader. Tab goes through the banner's
    # cancel button and the "someone else" link before the first field.
    expect(page.get_by_role("heading", level=1)).to_have_text("Your details")
    tab_to(page, page.get_by_role("button", name=CANCEL_HOLD))
    page.keyboard.press("Tab")
    expect_focus(page, page.get_by_role("link", name=SOMEONE_ELSE), SOMEONE_ELSE)
    page.keyboard.press("Tab")
    expect_focus(page, page.get_by_label("First name"), "First name")
    page.keyboard.type("Grace")
    for label, text in [
        ("Last name", "Hopper"),
        ("Email address", "grace@example.gov.uk"),
        ("Organisation", "Birmingham City Council"),
        ("Job title (optional)", "Service designer"),
    ]:
        page.keyboard.press("Tab")
        expect_focus(page, page.get_by_label(label, exact=True), label)
        page.keyboard.type(text)
    tab_through_needs_and_consents(page, "Which sector do you work in?")
    assert press_and_load(page, "Enter") == 200

    # 3. Check your answers (a free place: no payment step), then confirmed.
    reference = check_and_confirm_by_keyboard(page, book)
    expect_booked(reference, free_type)


def test_keyboard_only_booking_for_someone_else(page: Page, event, free_type):
    """The "someone else" link, by keyboard: the buyer's details, then the
    attendee's, each field the next Tab stop after the one before."""
    book = choose_one_place_by_keyboard(page, event)

    # 2. Your details: follow "I'm booking this place for someone else".
    tab_to(page, page.get_by_role("link", name=SOMEONE_ELSE))
    assert press_and_load(page, "Enter") == 200
    expect(page).to_have_url(
        re.compile(re.escape(book + "your-details/?for=someone-else") + "$")
    )
    check_a11y(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your details")
    expect_hold(page, 1)
    tab_to(page, page.get_by_label("Full name"))
    page.keyboard.type("Grace Hopper")
    page.keyboard.press("Tab")
    expect_focus(page, page.get_by_label("Email address"), "Email address")
    page.keyboard.type("grace@example.gov.uk")
    assert press_and_load(page, "Enter") == 200
    expect(page).to_have_url(re.compile(re.escape(book + "attendee/1/") + "$"))

    # 3. Attendee 1: every field is the next Tab stop after the one before.
    check_a11y(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Who is the first attendee?"
    )
    expect_hold(page, 1)
    tab_to(page, page.get_by_label("First name"))
    page.keyboard.type("Grace")
    for label, text in [
        ("Last name", "Hopper"),
        ("Email address", None),  # Already filled in from "Your details".
        ("Organisation", "Birmingham City Council"),
        ("Job title (optional)", "Service designer"),
    ]:
        page.keyboard.press("Tab")
        expect_focus(page, page.get_by_label(label, exact=True), label)
        if text:
            page.keyboard.type(text)
    expect(page.get_by_label("Email address")).to_have_value("grace@example.gov.uk")
    tab_through_needs_and_consents(page, "Which sector do they work in?")
    assert press_and_load(page, "Enter") == 200

    # 4. Check your answers, then confirmed.
    reference = check_and_confirm_by_keyboard(page, book)
    expect_booked(reference, free_type)
