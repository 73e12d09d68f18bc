"""Codes in a real browser: a wrong code explained, a sponsor's code that
unlocks its hidden free places, and check your answers; axe on every page."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import make_ticket_type
from tickets.models import BadgeRole, Code, Order

from .conftest import check_a11y, expect_hold, visit

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

    # One place, so one page for the buyer who is its attendee.
    expect(page).to_have_url(re.compile(r"/book/your-details/$"))
    expect_hold(page, 1)
    page.get_by_label("First name", exact=True).fill("Priya")
    page.get_by_label("Last name", exact=True).fill("Shah")
    page.get_by_label("Email address").fill("priya@curium.example")
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
    assert (order.buyer_name, order.buyer_email) == (
        "Priya Shah",
        "priya@curium.example",
    )
    code.refresh_from_db()
    assert code.uses == 1


def test_the_organiser_makes_codes_in_admin(
    page: Page, live_server, django_user_model, event, paid_type
):
    """The codes list and form, a refused percentage explained, and the
    sponsor's free-place codes from its list: axe-checked admin pages."""
    from django.conf import settings
    from django.test import Client

    from sponsors.models import Sponsor, SponsorTier

    from .conftest import ADMIN_STYLESHEET

    make_ticket_type(
        event,
        name="Sponsor",
        is_visible=False,
        badge_role=BadgeRole.SPONSOR,
        position=9,
    )
    tier = SponsorTier.objects.create(name="Headline", rank=1, free_places=4)
    Sponsor.objects.create(event=event, tier=tier, name="Curium Solutions")
    user = django_user_model.objects.create_superuser(
        "codes-organiser", "codes@example.gov.uk", "pw"
    )
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": cookie.key, "value": cookie.value, "url": live_server.url}]
    )

    def load(action) -> None:
        with page.expect_navigation(wait_until="load"):
            action()
        check_a11y(page, stylesheet=ADMIN_STYLESHEET)

    load(lambda: page.goto("/admin/tickets/code/add/"))
    page.locator("#id_event").select_option(label=str(event))
    page.locator("#id_code").fill("early-bird")
    page.locator("#id_discount_percent").fill("0")
    load(lambda: page.get_by_role("button", name="Save", exact=True).click())
    expect(page.locator(".errorlist")).to_contain_text(
        "Enter a percentage from 1 to 100."
    )
    page.locator("#id_discount_percent").fill("15")
    load(lambda: page.get_by_role("button", name="Save", exact=True).click())
    expect(page.locator("#result_list")).to_contain_text("EARLY-BIRD")
    expect(page.locator("#result_list")).to_contain_text("0 of 1")
    assert Code.objects.get().discount_percent == 15

    load(lambda: page.goto("/admin/sponsors/sponsor/"))
    page.get_by_role("checkbox", name=re.compile("^Select this object.*Curium")).check()
    page.locator("select[name=action]").select_option(label="Create free-place codes")
    load(lambda: page.get_by_role("button", name="Go").click())
    sponsor_code = Code.objects.get(kind=Code.Kind.SPONSOR)
    expect(page.locator(".messagelist")).to_contain_text(
        f"code {sponsor_code.code} for 4 free places"
    )
    expect(page.locator("#result_list")).to_contain_text("0 of 4")
