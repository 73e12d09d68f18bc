"""Error states of the booking steps: summarised, focused, linked, accessible."""

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from .conftest import check_a11y, focused, has_focus, visit

pytestmark = pytest.mark.browser

ATTENDEE_ERRORS = {
    "First name": "Enter their first name",
    "Last name": "Enter their last name",
    "Email address": "Enter their email address",
    "Organisation": "Enter their organisation",
}
SECTOR_LEGEND = "Which sector do they work in?"
SECTOR_ERROR = "Select the sector they work in"


def submit(page: Page) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()


def error_summary(page: Page) -> Locator:
    """Check the page is in its error state and the summary has focus."""
    expect(page).to_have_title(re.compile(r"^Error: "))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    # govuk-frontend moves focus to the summary so screen readers announce it.
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    return summary


def expect_described_by(field: Locator, message: str) -> None:
    """The field's accessible description includes its error message."""
    expect(field).to_have_accessible_description(re.compile(re.escape(message)))


def missing_link_targets(summary: Locator) -> list[str]:
    return summary.get_by_role("link").evaluate_all(
        """(links) => links
            .map((a) => a.getAttribute('href'))
            .filter((href) => !document.getElementById(href.slice(1)))"""
    )


SELF_ERRORS = {
    "First name": "Enter your first name",
    "Last name": "Enter your last name",
    "Email address": "Enter your email address",
    "Organisation": "Enter your organisation",
}
SELF_SECTOR_LEGEND = "Which sector do you work in?"
SELF_SECTOR_ERROR = "Select the sector you work in"
SOMEONE_ELSE = "I'm booking this place for someone else"
EMAIL_FORMAT = "Enter an email address in the correct format, like name@example.gov.uk"


def choose_one_place_and_give_details(page: Page, event) -> None:
    """One place, booked for someone else: the buyer's details, then the
    attendee's page."""
    visit(page, f"/events/{event.slug}/book/")
    page.get_by_label("Public sector", exact=True).fill("1")
    submit(page)
    check_a11y(page)
    with page.expect_navigation():
        page.get_by_role("link", name=SOMEONE_ELSE).click()
    check_a11y(page)
    page.get_by_label("Full name").fill("Grace Hopper")
    page.get_by_label("Email address").fill("grace@example.gov.uk")
    submit(page)
    expect(page).to_have_url(re.compile(r"/book/attendee/1/$"))
    check_a11y(page)


def submit_empty_attendee(page: Page) -> None:
    page.get_by_label("Email address").fill("")  # Pre-filled from the buyer.
    submit(page)


def test_choose_places_and_your_details_errors(page: Page, event, free_type):
    visit(page, f"/events/{event.slug}/book/")
    submit(page)  # With 0 places.
    summary = error_summary(page)
    expect(summary.get_by_role("link")).to_have_text(
        ["Choose how many places you want to book"]
    )
    assert not missing_link_targets(summary)
    check_a11y(page)

    page.get_by_label("Public sector", exact=True).fill("11")
    submit(page)
    summary = error_summary(page)
    message = "You can book up to 10 Public sector places in one booking"
    expect(summary.get_by_role("link")).to_have_text([message])
    expect_described_by(page.get_by_label("Public sector", exact=True), message)
    check_a11y(page)

    page.get_by_label("Public sector", exact=True).fill("1")
    submit(page)
    check_a11y(page)
    # One place: "Your details" is the attendee's form in "your" wording.
    submit(page)  # Your details, empty.
    summary = error_summary(page)
    links = summary.get_by_role("link")
    expect(links).to_have_text([*SELF_ERRORS.values(), SELF_SECTOR_ERROR])
    assert not missing_link_targets(summary)
    for label, message in SELF_ERRORS.items():
        expect_described_by(page.get_by_label(label, exact=True), message)
    sector = page.get_by_role("group", name=SELF_SECTOR_LEGEND)
    expect(sector).to_contain_text(SELF_SECTOR_ERROR)
    check_a11y(page)
    # The sector's error link reaches its first option.
    summary.get_by_role("link", name=SELF_SECTOR_ERROR).focus()
    page.keyboard.press("Enter")
    expect(sector.get_by_label("Central government")).to_be_focused()

    page.get_by_label("First name").fill("Grace")
    page.get_by_label("Last name").fill("Hopper")
    page.get_by_label("Email address").fill("grace@")
    page.get_by_label("Organisation", exact=True).fill("Birmingham City Council")
    sector.get_by_label("Local government").check()
    submit(page)
    summary = error_summary(page)
    expect(summary.get_by_role("link")).to_have_text([EMAIL_FORMAT])
    expect_described_by(page.get_by_label("Email address"), EMAIL_FORMAT)
    # What was typed is kept.
    expect(page.get_by_label("First name")).to_have_value("Grace")
    expect(sector.get_by_label("Local government")).to_be_checked()
    check_a11y(page)

    # Booking for someone else: the buyer's own form and its errors.
    with page.expect_navigation():
        page.get_by_role("link", name=SOMEONE_ELSE).click()
    check_a11y(page)
    submit(page)  # The buyer's details, empty.
    summary = error_summary(page)
    expect(summary.get_by_role("link")).to_have_text(
        ["Enter your full name", "Enter your email address"]
    )
    assert not missing_link_targets(summary)
    expect_described_by(page.get_by_label("Full name"), "Enter your full name")
    check_a11y(page)

    page.get_by_label("Full name").fill("Grace Hopper")
    page.get_by_label("Email address").fill("grace@")
    submit(page)
    summary = error_summary(page)
    expect(summary.get_by_role("link")).to_have_text([EMAIL_FORMAT])
    expect_described_by(page.get_by_label("Email address"), EMAIL_FORMAT)
    check_a11y(page)


def test_attendee_errors_are_summarised_focused_and_accessible(
    page: Page, event, free_type
):
    choose_one_place_and_give_details(page, event)
    submit_empty_attendee(page)

    summary = error_summary(page)
    links = summary.get_by_role("link")
    expect(links).to_have_text([*ATTENDEE_ERRORS.values(), SECTOR_ERROR])
    for label, message in ATTENDEE_ERRORS.items():
        expect_described_by(page.get_by_label(label, exact=True), message)
    expect(page.get_by_role("group", name=SECTOR_LEGEND)).to_contain_text(SECTOR_ERROR)
    check_a11y(page)

    # From the summary, Tab then Enter on the first error goes to its field.
    page.keyboard.press("Tab")
    assert has_focus(links.first), f"focus is on {focused(page)}"
    page.keyboard.press("Enter")
    expect(page.get_by_label("First name")).to_be_focused()


def test_every_attendee_error_link_reaches_its_field(page: Page, event, free_type):
    choose_one_place_and_give_details(page, event)
    submit_empty_attendee(page)
    summary = error_summary(page)
    check_a11y(page)

    assert not missing_link_targets(summary), "error links with no target"
    sector_link = summary.get_by_role("link", name=SECTOR_ERROR)
    sector_link.focus()  # Start from this link (Tab order is tested above).
    page.keyboard.press("Enter")
    sector = page.get_by_role("group", name=SECTOR_LEGEND)
    expect(sector.get_by_label("Central government")).to_be_focused()
