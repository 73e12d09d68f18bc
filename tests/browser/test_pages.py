"""Every public page, in its interesting states, checked with axe in Chromium."""

import re
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from playwright.sync_api import Page, expect

from events.models import Session, Speaker
from sponsors.models import Sponsor, SponsorTier
from tests.conftest import book, make_event, make_ticket_type
from tickets.models import Reservation

from .conftest import STYLESHEET, TIME_RE, check_a11y, png_bytes, visit

pytestmark = pytest.mark.browser


@pytest.fixture
def full_event(event, free_type, paid_type, media):
    """The event with everything its pages can show: speakers, agenda, sponsors."""
    event.description = "A day of talks and workshops.\n\nLunch is provided."
    event.aims = "Meet other teams\nShare what works"
    event.save()
    speaker = Speaker.objects.create(
        event=event,
        name="Ada Lovelace",
        slug="ada-lovelace",
        role="Head of Digital",
        organisation="Birmingham City Council",
        bio="Ada leads the council's digital service team.",
    )
    speaker.photo.save("ada.png", ContentFile(png_bytes((96, 96))))
    Speaker.objects.create(
        event=event, name="Alan Turing", slug="alan-turing", position=1
    )
    talk = Session.objects.create(
        event=event,
        title="Opening keynote",
        description="Why the Midlands needs a digital network.",
        starts_at=event.starts_at,
        ends_at=event.starts_at + timedelta(hours=1),
        room="Main hall",
    )
    talk.speakers.add(speaker)
    headline = SponsorTier.objects.create(name="Headline", rank=1)
    supporter = SponsorTier.objects.create(name="Supporter", rank=2)
    sponsor = Sponsor.objects.create(
        event=event,
        tier=headline,
        name="Midlands Cloud Ltd",
        website="https://example.com/",
        description="Hosting for public services.",
    )
    sponsor.logo.save("midlands-cloud.png", ContentFile(png_bytes()))
    Sponsor.objects.create(event=event, tier=supporter, name="Text Only Co")
    return event


def expect_images_loaded(page: Page) -> None:
    broken = page.locator("img").evaluate_all(
        "(imgs) => imgs.filter((i) => !i.complete || i.naturalWidth === 0)"
        ".map((i) => i.src)"
    )
    assert not broken, f"images that did not load: {broken}"


def test_stylesheet_is_served(page: Page, live_server):
    response = page.request.get(f"{live_server.url}{STYLESHEET}")
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/css")
    assert ".govuk-button" in response.text()


def test_home_and_event_page(page: Page, full_event):
    visit(page, "/")
    event_link = page.get_by_role("link", name=full_event.name)
    expect(event_link).to_be_visible()
    with page.expect_navigation():
        event_link.click()
    check_a11y(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(full_event.name)
    expect(page.locator("#places-left")).to_have_text("250 of 250 places left")
    expect(page.get_by_role("button", name="Book your place")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("Opening keynote")
    expect(page.get_by_role("img", name="Midlands Cloud Ltd")).to_be_visible()
    expect_images_loaded(page)


def test_speakers_and_sponsors_pages(page: Page, live_server, full_event):
    visit(page, f"/events/{full_event.slug}/speakers/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Speakers")
    main = page.get_by_role("main")
    expect(main.get_by_role("heading", level=2)).to_have_text(
        ["Ada Lovelace", "Alan Turing"]
    )
    expect_images_loaded(page)

    with page.expect_navigation():
        page.get_by_role("link", name="Ada Lovelace").click()
    expect(page).to_have_url(
        f"{live_server.url}/events/{full_event.slug}/speakers/ada-lovelace/"
    )
    check_a11y(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Ada Lovelace")
    expect(page.get_by_role("img", name="Photo of Ada Lovelace")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("Opening keynote (Main hall)")
    expect_images_loaded(page)

    visit(page, f"/events/{full_event.slug}/sponsors/")
    expect(main.get_by_role("heading", level=2)).to_have_text(["Headline", "Supporter"])
    logo_link = page.get_by_role("link", name="Midlands Cloud Ltd")
    expect(logo_link).to_have_attribute("href", "https://example.com/")
    expect(page.get_by_role("main")).to_contain_text("Hosting for public services.")
    expect(page.get_by_role("main")).to_contain_text("Text Only Co")
    expect_images_loaded(page)


def test_agenda_page(page: Page, live_server, full_event):
    visit(page, f"/events/{full_event.slug}/agenda/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Agenda")
    main = page.get_by_role("main")
    expect(main).to_contain_text("Opening keynote")
    expect(main).to_contain_text("Main hall")
    feed = page.get_by_role("link", name="Add the agenda to your calendar")
    response = page.request.get(f"{live_server.url}{feed.get_attribute('href')}")
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    with page.expect_navigation():
        main.get_by_role("link", name="Ada Lovelace").click()
    check_a11y(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Ada Lovelace")


def test_home_with_past_events_and_the_archive(page: Page, live_server, db):
    make_event(slug="next", name="OneTeamGov Midlands")
    now = timezone.now()
    for days in (30, 60, 90, 120):
        start = now - timedelta(days=days)
        make_event(
            slug=f"past-{days}",
            name=f"Meet-up {days} days ago",
            starts_at=start,
            ends_at=start + timedelta(hours=3),
        )
    visit(page, "/")
    expect(page.get_by_role("heading", name="Past events")).to_be_visible()
    with page.expect_navigation():
        page.get_by_role("link", name="All past events").click()
    check_a11y(page)
    expect(page.get_by_role("main").get_by_role("heading", level=2)).to_have_count(4)
    with page.expect_navigation():
        page.get_by_role("link", name="Meet-up 120 days ago").click()
    check_a11y(page)
    expect(page.get_by_role("main")).to_contain_text("This event took place on")


def test_accessibility_and_privacy_pages(page: Page, live_server):
    visit(page, "/accessibility/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Accessibility statement")
    with page.expect_navigation():
        page.get_by_role("contentinfo").get_by_role(
            "link", name="Privacy notice"
        ).click()
    check_a11y(page)
    expect(page).to_have_url(f"{live_server.url}/privacy/")


def test_event_page_with_few_places_left(page: Page, db):
    event = make_event(slug="small-meetup", name="Small meetup", capacity=5)
    ticket_type = make_ticket_type(event)
    book(event, ticket_type, count=2)
    visit(page, event.get_absolute_url())
    expect(page.locator("#places-left")).to_have_text("Only 3 places left")
    expect(page.get_by_role("button", name="Book your place")).to_be_visible()

    visit(page, f"/events/{event.slug}/book/")
    expect(page.locator("#places-left")).to_have_text("Only 3 places left")
    expect(
        page.get_by_label("Public sector", exact=True)
    ).to_have_accessible_description("Up to 3 in one booking.")


def test_places_left_counter_follows_availability_json(page: Page, db):
    """The event page's counter updates itself from availability.json."""
    event = make_event(slug="live-meetup", name="Live meetup", capacity=30)
    ticket_type = make_ticket_type(event)
    visit(page, event.get_absolute_url())
    counter = page.locator("#places-left")
    expect(counter).to_have_text("30 of 30 places left")

    for _ in range(2):  # someone else books 14 places meanwhile
        book(event, ticket_type, count=7)
    # The page refreshes every 30 s and whenever it becomes visible again.
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    expect(counter).to_have_text("Only 16 places left")
    expect(counter).to_have_class("psdm-places psdm-places--few")
    check_a11y(page)


def test_event_page_when_sold_out(page: Page, db):
    event = make_event(slug="full-meetup", name="Full meetup", capacity=2)
    ticket_type = make_ticket_type(event)
    book(event, ticket_type, count=2)
    visit(page, event.get_absolute_url())
    expect(page.locator("#places-left")).to_have_text("Sold out")
    expect(page.get_by_role("main")).to_contain_text("All places have been booked.")
    expect(page.get_by_role("button", name="Book your place")).to_have_count(0)

    visit(page, f"/events/{event.slug}/book/")
    expect(page.get_by_role("main")).to_contain_text(
        "Sorry, all places have been booked."
    )
    expect(page.get_by_role("spinbutton")).to_have_count(0)


def test_mobile_event_page_and_first_step(mobile_page: Page, full_event):
    page = mobile_page
    visit(page, full_event.get_absolute_url())
    assert_no_horizontal_scroll(page)
    start = page.get_by_role("button", name="Book your place")
    expect(start).to_be_visible()
    with page.expect_navigation():
        start.tap()
    check_a11y(page)
    assert_no_horizontal_scroll(page)
    quantity = page.get_by_label("Public sector", exact=True)
    expect(quantity).to_be_visible()
    box = quantity.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390


def test_quantity_box_is_a_styled_gov_uk_input(mobile_page: Page, event, free_type):
    page = mobile_page
    visit(page, f"/events/{event.slug}/book/")
    quantity = page.get_by_label("Public sector", exact=True)
    # A regression test for the unstyled 13px/15px-tall number box of the first
    # version. focus() only to read the focus style; Tab order is tested in
    # test_booking_journey.py.
    quantity.focus()
    style = quantity.evaluate(
        """(el) => {
            const s = getComputedStyle(el);
            return {
                className: el.className,
                fontSize: parseFloat(s.fontSize),
                height: el.getBoundingClientRect().height,
                outlineColor: s.outlineColor,
            };
        }"""
    )
    assert "govuk-input" in style["className"], style
    # At least 16px or iOS zooms in on focus; WCAG 2.5.8 wants 24px targets.
    assert style["fontSize"] >= 16, style
    assert style["height"] >= 24, style
    # GOV.UK focus state: yellow (#ffdd00) outline.
    assert style["outlineColor"] == "rgb(255, 221, 0)", style


def assert_no_horizontal_scroll(page: Page) -> None:
    """Content reflows at 390 px wide (WCAG 1.4.10): nothing scrolls sideways."""
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert widths[0] <= widths[1], f"{page.url} scrolls sideways: {widths}"


def test_places_gone_page(page: Page, db):
    """Someone whose reservation ran out while others booked its places is
    told plainly, and offered the places that are left."""
    event = make_event(slug="busy-meetup", name="Busy meetup", capacity=3)
    ticket_type = make_ticket_type(event)
    visit(page, f"/events/{event.slug}/book/")
    page.get_by_label("Public sector", exact=True).fill("2")
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="Continue").click()
    check_a11y(page)
    expect(page).to_have_url(re.compile(r"/book/your-details/$"))
    # Time runs out; meanwhile two of the three places are booked by others.
    Reservation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    book(event, ticket_type, count=2)
    response = page.reload(wait_until="load")
    assert response is not None and response.status == 410
    page.psdm_log.bad_responses.clear()  # the 410 is this page's point
    check_a11y(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Your reservation has ended"
    )
    main = page.get_by_role("main")
    expect(main).to_contain_text(
        re.compile(rf"We held your 2 places until {TIME_RE}, but time ran out")
    )
    expect(main).to_contain_text("There is only 1 place left now.")
    expect(page.get_by_role("button", name="Try again")).to_have_count(0)
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="Choose again").click()
    check_a11y(page)
    expect(page).to_have_url(re.compile(r"/book/$"))
    expect(page.locator("#places-left")).to_have_text("Only 1 place left")


def test_a_confirmation_opened_in_another_browser(page: Page, live_server):
    """A bookmarked confirmation page opened elsewhere says where to look."""
    response = page.goto("/bookings/PSDM-ZZZZZ/")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "We cannot show this booking here"
    )
    check_a11y(page)
    page.psdm_log.bad_responses.clear()  # the 404 is this page's point
