"""Booking a free place in a real browser using the keyboard alone."""

import re

import pytest
from playwright.sync_api import Page, expect

from tickets.consents import ATTENDEE_LIST, FUTURE_EVENTS
from tickets.models import Order, Ticket

from .conftest import (
    REFERENCE_RE,
    check_a11y,
    focused,
    has_focus,
    press_and_load,
    tab_to,
    visit,
)

pytestmark = pytest.mark.browser


def expect_focus(page: Page, locator, what: str) -> None:
    assert has_focus(locator), f"expected focus on {what}, but it is on {focused(page)}"


def test_keyboard_only_booking(page: Page, event, free_type):
    """A newcomer books one free place from the event page with the keyboard alone."""
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
    quantity = page.get_by_label("Public sector", exact=True)
    tab_to(page, quantity)
    page.keyboard.press("Control+a")
    page.keyboard.type("1")
    expect(quantity).to_have_value("1")
    assert press_and_load(page, "Enter") == 200  # Enter submits the form.
    expect(page).to_have_url(re.compile(re.escape(book + "your-details/") + "$"))

    # 2. Your details.
    check_a11y(page)
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

    # Tab enters the radio group on its first option; an arrow key moves and
    # selects, Space selects the focused option.
    page.keyboard.press("Tab")
    sector = page.get_by_role("group", name="Which sector do they work in?")
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
    assert press_and_load(page, "Enter") == 200
    expect(page).to_have_url(re.compile(re.escape(book + "check/") + "$"))

    # 4. Check your answers.
    check_a11y(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check your answers before booking"
    )
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

    # 5. Confirmation.
    expect(page).to_have_url(re.compile(r"/bookings/PSDM-[A-Z0-9]{5}/$"))
    check_a11y(page)
    expect(page.locator(".govuk-panel--confirmation h1")).to_have_text(
        "Booking complete"
    )
    reference = page.locator("#order-reference").inner_text().strip()
    assert REFERENCE_RE.fullmatch(reference), reference
    expect(main).to_contain_text("Grace Hopper")

    assert Ticket.objects.filter(status=Ticket.Status.CONFIRMED).count() == 1
    order = Order.objects.get()
    assert order.reference == reference
    assert order.status == Order.Status.CONFIRMED
    assert (order.buyer_name, order.buyer_email) == (
        "Grace Hopper",
        "grace@example.gov.uk",
    )
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
