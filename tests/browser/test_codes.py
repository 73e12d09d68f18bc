"""Codes in a real browser: a wrong code explained, a sponsor's code that
unlocks its hidden free places, and check your answers; axe on every page."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import make_ticket_type
from tickets.models import BadgeRole, Code, Order

from .conftest import check_a11y, visit

pytestmark = pytest.mark.browser


def click_and_load(page: Page, name: str) -> None:
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name=name).click()
    check_a11y(page)


def test_a_sponsor_books_its_free_places_with_its_code(page: Page, event, paid_type):
    sponsor_type = make_ticket_type(
        event,
        name="Sponsor",
        price_pence=9500,
        is_visible=False,
        badge_role=BadgeRole.SPONSOR,
        position=9,
    )
    code = Code.objects.create(
        event=event,
        code="CURIUM4FREE",
        kind=Code.Kind.SPONSOR,
        discount_type=Code.DiscountType.PERCENT,
        discount_percent=100,
        max_uses=2,
    )
    code.ticket_types.set([sponsor_type])

    visit(page, f"/events/{event.slug}/book/")
    expect(page.get_by_role("textbox", name=re.compile("^Sponsor"))).to_have_count(0)

    # A wrong code: the details stay open, the error is summarised and linked.
    page.get_by_text("Have a code?").click()
    page.get_by_label("Code", exact=True).fill("curium-4-free")
    click_and_load(page, "Use code")
    expect(page).to_have_title(re.compile(r"^Error: "))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text(
        ["We do not recognise that code. Check it and enter it again"]
    )
    expect(page.get_by_label("Code", exact=True)).to_be_visible()

    # The right code, typed in lower case: the hidden Sponsor places appear.
    page.get_by_label("Code", exact=True).fill("curium4free")
    click_and_load(page, "Use code")
    expect(page.locator("#code-applied")).to_contain_text("CURIUM4FREE")
    sponsor_places = page.get_by_role(
        "textbox", name=re.compile("^Sponsor, free with your code")
    )
    expect(sponsor_places).to_be_visible()
    sponsor_places.fill("1")
    click_and_load(page, "Continue")

    page.get_by_label("Full name").fill("Priya Shah")
    page.get_by_label("Email address").fill("priya@curium.example")
    click_and_load(page, "Continue")
    page.get_by_label("First name", exact=True).fill("Priya")
    page.get_by_label("Last name", exact=True).fill("Shah")
    page.get_by_label("Organisation", exact=True).fill("Curium Solutions")
    page.get_by_label("Supplier or private sector").check()
    click_and_load(page, "Continue")

    # No payment step: the code makes the place free.
    expect(page).to_have_url(re.compile(r"/book/check/$"))
    expect(page.locator("#order-code")).to_have_text("CURIUM4FREE: £95 off")
    click_and_load(page, "Confirm booking")
    expect(page.get_by_role("heading", level=1)).to_have_text("Booking complete")

    order = Order.objects.get()
    assert order.total_pence == 0
    ticket = order.tickets.get()
    assert (ticket.ticket_type, ticket.code, ticket.price_pence) == (
        sponsor_type,
        code,
        0,
    )
    code.refresh_from_db()
    assert code.uses == 1
