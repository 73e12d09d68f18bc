"""Reserved places in a real browser: the countdown banner on every step,
the live region that says when 5 and 1 minutes are left, the page shown
when time has run out (try again, choose again, the waiting list), a
confirm after time ran out, releasing the places by hand, and confirming
from two tabs. axe-core on every page; short holds instead of sleeping."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from events.models import Event
from events.templatetags.psdm import govuk_time
from tests.conftest import book, make_event, make_ticket_type
from tickets.models import Order, Reservation, Ticket

from .conftest import (
    CANCEL_HOLD,
    HOLD_TITLE,
    REFERENCE_RE,
    TIME_RE,
    check_a11y,
    expect_hold,
    visit,
)

pytestmark = pytest.mark.browser

PAID_LABEL = "Supplier, £95 each"
ENDED = "Your reservation has ended"
RELEASED = "We have released your places. Nothing has been booked."
RUN_OUT = (
    "Time has run out and your places may have been released. "
    "Continue to see if they can still be booked."
)


def announcement(mark: int) -> str:
    left = "1 minute" if mark == 1 else f"{mark} minutes"
    return f"{left} left to complete your booking before your places are released."


def click_and_load(page: Page, locator: Locator) -> int:
    """Click something that loads a page; return the page's status."""
    with page.expect_navigation(wait_until="load") as navigation:
        locator.click()
    response = navigation.value
    return response.status if response else 0


def button(page: Page, name: str) -> Locator:
    return page.get_by_role("button", name=name)


def choose(page: Page, event: Event, label: str, places: int) -> None:
    """Step 1: choose `places` places of one type, which reserves them."""
    visit(page, f"/events/{event.slug}/book/")
    page.get_by_label(label, exact=True).fill(str(places))
    assert click_and_load(page, button(page, "Continue")) == 200
    expect(page).to_have_url(re.compile(r"/book/your-details/$"))


def give_own_details(page: Page) -> None:
    """One place: "Your details" is the attendee's form, for oneself."""
    expect(page.get_by_role("heading", level=1)).to_have_text("Your details")
    page.get_by_label("First name").fill("Grace")
    page.get_by_label("Last name").fill("Hopper")
    page.get_by_label("Email address").fill("grace@example.gov.uk")
    page.get_by_label("Organisation", exact=True).fill("Birmingham City Council")
    page.get_by_role("group", name="Which sector do you work in?").get_by_label(
        "Local government"
    ).check()
    assert click_and_load(page, button(page, "Continue")) == 200


def book_one_free_place_to_check(page: Page, event: Event) -> None:
    """Choose one free place and give your details: check your answers."""
    choose(page, event, "Public sector", 1)
    check_a11y(page)
    give_own_details(page)
    expect(page).to_have_url(re.compile(r"/book/check/$"))
    check_a11y(page)
    expect_hold(page, 1)


def expect_ended_page(page: Page, places: int) -> Locator:
    """The page for a reservation whose time ran out (no countdown on it)."""
    expect(page.get_by_role("heading", level=1)).to_have_text(ENDED)
    expect(page).to_have_title(re.compile("^" + ENDED))
    what = "your place" if places == 1 else f"your {places} places"
    main = page.get_by_role("main")
    expect(main).to_contain_text(
        re.compile(rf"We held {what} until {TIME_RE}, but time ran out")
    )
    expect(main).to_contain_text("Nothing has been booked for you.")
    expect(page.get_by_role("region", name=HOLD_TITLE)).to_have_count(0)
    return main


def expect_grace_booked() -> Order:
    order = Order.objects.get()
    assert order.status == Order.Status.CONFIRMED
    assert (order.buyer_name, order.buyer_email) == (
        "Grace Hopper",
        "grace@example.gov.uk",
    )
    ticket = order.tickets.get()
    assert ticket.status == Ticket.Status.CONFIRMED
    assert (ticket.first_name, ticket.last_name) == ("Grace", "Hopper")
    assert ticket.organisation == "Birmingham City Council"
    assert ticket.sector == Ticket.Sector.LOCAL_GOVERNMENT
    return order


def run_out(seconds: float = -1) -> None:
    """Make this test's reservations end `seconds` from now (past if < 0)."""
    Reservation.objects.filter(status=Reservation.Status.ACTIVE).update(
        expires_at=timezone.now() + timedelta(seconds=seconds)
    )


# --- The countdown --------------------------------------------------------


def test_the_countdown_banner_is_on_every_step(page: Page, settings, event, paid_type):
    """Two paid places by invoice: your details, both attendees, payment,
    invoice, check your answers and the first step again each say how long
    the places are held, and pass axe with the banner on them."""
    settings.PSDM_RESERVATION_MINUTES = 20
    Event.objects.filter(pk=event.pk).update(
        invoice_payment_enabled=True,
        invoice_issuer="Public Sector Digital Midlands\n1 High Street\nBirmingham",
        invoice_payment_details="Pay within 30 days by bank transfer.",
    )
    choose(page, event, PAID_LABEL, 2)
    reservation = Reservation.objects.get()
    assert (reservation.status, reservation.places) == (Reservation.Status.ACTIVE, 2)
    until = govuk_time(reservation.expires_at)

    def on_a_step(heading: str) -> None:
        check_a11y(page)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        banner = expect_hold(page, 2)
        expect(banner.locator("#hold-countdown")).to_contain_text(
            re.compile(rf"We're holding your 2 places until {until} – (20|19) minutes")
        )
        expect(banner).to_contain_text(
            "Complete your booking before then, or the places go to other people."
        )
        # Nothing said aloud: the 5 and 1 minute marks are far off.
        expect(page.locator("#hold-announce")).to_be_empty()

    # Two places: the buyer's details, then each attendee's.
    on_a_step("Your details")
    expect(page.get_by_role("link", name=re.compile("someone else"))).to_have_count(0)
    page.get_by_label("Full name").fill("Katherine Johnson")
    page.get_by_label("Email address").fill("katherine@example.co.uk")
    click_and_load(page, button(page, "Continue"))
    for number, (first, heading) in enumerate(
        [
            ("Katherine", "Who is the first attendee?"),
            ("Dorothy", "Who is this place for?"),
        ],
        start=1,
    ):
        expect(page).to_have_url(re.compile(rf"/book/attendee/{number}/$"))
        on_a_step(heading)
        page.get_by_label("First name").fill(first)
        page.get_by_label("Last name").fill("Johnson" if number == 1 else "Vaughan")
        page.get_by_label("Email address").fill(f"{first.lower()}@example.co.uk")
        page.get_by_label("Organisation", exact=True).fill("Orbital Software Ltd")
        page.get_by_role("group", name="Which sector do they work in?").get_by_label(
            "Supplier or private sector"
        ).check()
        click_and_load(page, button(page, "Continue"))

    expect(page).to_have_url(re.compile(r"/book/payment/$"))
    on_a_step("How will you pay?")
    page.get_by_label("By invoice, with a purchase order if you need one").check()
    click_and_load(page, button(page, "Continue"))

    expect(page).to_have_url(re.compile(r"/book/invoice/$"))
    on_a_step("Who should we invoice?")
    page.get_by_label("Organisation paying the invoice").fill("Orbital Software Ltd")
    page.get_by_label("Name of the person or team who pays invoices").fill(
        "Accounts Payable"
    )
    page.get_by_label("Email address for the invoice").fill("ap@example.co.uk")
    page.get_by_label("Billing address").fill("2 Low Street\nCoventry CV1 1AA")
    click_and_load(page, button(page, "Continue"))

    expect(page).to_have_url(re.compile(r"/book/check/$"))
    on_a_step("Check your answers before booking")

    # The first step again, from "Change": still held, the same 2 places.
    change = page.get_by_role("link", name="Change number of places")
    assert click_and_load(page, change) == 200
    on_a_step("How many places do you want to book?")
    expect(page.get_by_label(PAID_LABEL, exact=True)).to_have_value("2")

    # Looking at the pages took nothing more and changed no time.
    assert Reservation.objects.get().expires_at == reservation.expires_at
    event.refresh_from_db()
    assert event.places_taken == 2


@pytest.mark.parametrize("mark", [5, 1])
def test_the_live_region_says_when_the_last_minutes_start(
    page: Page, settings, event, free_type, mark
):
    """Held for `mark` minutes and 4 seconds: the page opens saying one
    minute more, and within seconds the countdown ticks to the mark and the
    assertive live region says so, once."""
    settings.PSDM_RESERVATION_MINUTES = mark + 4 / 60
    visit(page, f"/events/{event.slug}/book/")
    page.get_by_label("Public sector", exact=True).fill("1")
    assert click_and_load(page, button(page, "Continue")) == 200

    countdown = page.locator("#hold-countdown")
    announce = page.locator("#hold-announce")
    # As the page opens (before axe takes its time): nothing said yet.
    expect(countdown).to_contain_text(f"{mark + 1} minutes left", timeout=2_000)
    expect(announce).to_be_empty(timeout=1_000)
    check_a11y(page)
    expect_hold(page, 1)

    left = "1 minute left" if mark == 1 else f"{mark} minutes left"
    expect(announce).to_have_text(announcement(mark), timeout=15_000)
    expect(countdown).to_contain_text(f"– {left}")
    expect(announce).to_have_attribute("aria-atomic", "true")
    # Visually hidden, yet in the accessibility tree (not display: none).
    expect(announce).to_have_class(re.compile(r"\bgovuk-visually-hidden\b"))
    assert announce.evaluate("(el) => getComputedStyle(el).display") != "none"
    check_a11y(page)  # The page as it stands now, with the announcement.

    # Said once: a second later it has not been replaced by anything else.
    page.wait_for_timeout(1_500)
    expect(announce).to_have_text(announcement(mark))


# --- When time has run out ------------------------------------------------


def test_time_runs_out_then_try_again_keeps_the_answers(page: Page, event, free_type):
    """The open page says time has run out; the next step says what
    happened (410) and "Try again" reserves the same place with the answers
    kept, and the booking completes."""
    book_one_free_place_to_check(page, event)

    # Two seconds left: the page (reloaded) counts down to nothing and says so.
    run_out(seconds=2)
    page.reload(wait_until="load")
    check_a11y(page)
    expect(page.locator("#hold-countdown")).to_contain_text(
        "time has run out", timeout=10_000
    )
    expect(page.locator("#hold-announce")).to_have_text(RUN_OUT)

    # Any step now: "Your reservation has ended".
    response = page.reload(wait_until="load")
    assert response is not None and response.status == 410
    check_a11y(page)
    main = expect_ended_page(page, 1)
    expect(main).to_contain_text(
        "There are still enough places left. "
        "Try again and we will keep the answers you gave."
    )
    expect(page.get_by_role("link", name="Back to Test conference")).to_have_attribute(
        "href", event.get_absolute_url()
    )
    response = page.goto(f"/events/{event.slug}/book/your-details/")
    assert response is not None and response.status == 410
    check_a11y(page)
    expect_ended_page(page, 1)
    page.psdm_log.bad_responses[:] = [
        bad for bad in page.psdm_log.bad_responses if not bad.startswith("410 ")
    ]
    first = Reservation.objects.get()
    assert not first.is_live()

    # Try again: the same place reserved again, the answers as they were.
    assert click_and_load(page, button(page, "Try again")) == 200
    expect(page).to_have_url(re.compile(r"/book/your-details/$"))
    check_a11y(page)
    expect_hold(page, 1)
    expect(page.get_by_label("First name")).to_have_value("Grace")
    expect(page.get_by_label("Last name")).to_have_value("Hopper")
    expect(page.get_by_label("Email address")).to_have_value("grace@example.gov.uk")
    expect(page.get_by_label("Organisation", exact=True)).to_have_value(
        "Birmingham City Council"
    )
    expect(page.get_by_label("Local government")).to_be_checked()
    again = Reservation.objects.exclude(pk=first.pk).get()
    assert again.is_live() and again.places == 1

    assert click_and_load(page, button(page, "Continue")) == 200
    expect(page).to_have_url(re.compile(r"/book/check/$"))
    check_a11y(page)
    expect_hold(page, 1)
    assert click_and_load(page, button(page, "Confirm booking")) == 200
    expect(page).to_have_url(re.compile(r"/bookings/PSDM-[A-Z0-9]{5}/$"))
    check_a11y(page)
    expect(page.locator(".govuk-panel--confirmation h1")).to_have_text(
        "Booking complete"
    )
    order = expect_grace_booked()
    again.refresh_from_db()
    assert (again.status, again.order) == (Reservation.Status.CONFIRMED, order)
    first.refresh_from_db()
    assert first.status != Reservation.Status.CONFIRMED
    event.refresh_from_db()
    assert event.places_taken == 1  # Counted once, not for both reservations.


def test_a_confirm_after_time_ran_out_books_if_the_place_is_free(
    page: Page, event, free_type
):
    """Check your answers was left open past the time: pressing Confirm
    still books, since nobody else took the place."""
    book_one_free_place_to_check(page, event)
    run_out()
    assert click_and_load(page, button(page, "Confirm booking")) == 200
    expect(page).to_have_url(re.compile(r"/bookings/PSDM-[A-Z0-9]{5}/$"))
    check_a11y(page)
    expect(page.locator(".govuk-panel--confirmation h1")).to_have_text(
        "Booking complete"
    )
    order = expect_grace_booked()
    assert Reservation.objects.get().order == order


def test_a_confirm_after_time_ran_out_and_the_place_went(page: Page, db):
    """The last place went to someone else after time ran out: Confirm
    says what happened (409) and offers the waiting list."""
    event = make_event(slug="tiny-meetup", name="Tiny meetup", capacity=1)
    ticket_type = make_ticket_type(event)
    book_one_free_place_to_check(page, event)
    run_out()
    book(event, ticket_type, count=1, buyer_name="Someone Else")

    assert click_and_load(page, button(page, "Confirm booking")) == 409
    page.psdm_log.bad_responses.clear()  # the 409 is this page's point
    check_a11y(page)
    main = expect_ended_page(page, 1)
    expect(main).to_contain_text("the event is now sold out")
    expect(page.locator("#booking-problem")).to_be_visible()
    expect(button(page, "Try again")).to_have_count(0)
    assert Order.objects.get().buyer_name == "Someone Else"

    assert click_and_load(page, button(page, "Join the waiting list")) == 200
    check_a11y(page)
    expect(page).to_have_url(re.compile(r"/events/tiny-meetup/waiting-list/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Join the waiting list")


# --- Releasing the places by hand -----------------------------------------


def test_cancel_and_release_these_places(page: Page, event, free_type):
    """ "Cancel and release these places" on a step gives them back at once:
    the event page's count goes back up and nothing is booked."""
    visit(page, event.get_absolute_url())
    places_left = page.locator("#places-left")
    expect(places_left).to_have_text("250 of 250 places left")

    visit(page, f"/events/{event.slug}/book/")
    page.get_by_label("Public sector", exact=True).fill("3")
    assert click_and_load(page, button(page, "Continue")) == 200
    check_a11y(page)
    expect_hold(page, 3)
    visit(page, event.get_absolute_url())
    expect(places_left).to_have_text("247 of 250 places left")

    # Back to a step (the reservation is still this browser's), and cancel.
    visit(page, f"/events/{event.slug}/book/your-details/")
    expect_hold(page, 3)
    assert click_and_load(page, button(page, CANCEL_HOLD)) == 200
    expect(page).to_have_url(re.compile(re.escape(event.get_absolute_url()) + "$"))
    check_a11y(page)
    expect(page.get_by_role("alert")).to_contain_text(RELEASED)
    expect(places_left).to_have_text("250 of 250 places left")
    expect(page.get_by_role("region", name=HOLD_TITLE)).to_have_count(0)

    reservation = Reservation.objects.get()
    assert reservation.status == Reservation.Status.RELEASED
    assert not Order.objects.exists()
    event.refresh_from_db()
    assert event.places_taken == 0

    # The steps start again from the first: nothing is held for this browser.
    visit(page, f"/events/{event.slug}/book/your-details/")
    expect(page).to_have_url(re.compile(rf"/events/{event.slug}/book/$"))
    expect(page.get_by_label("Public sector", exact=True)).to_have_value("0")
    expect(page.get_by_role("region", name=HOLD_TITLE)).to_have_count(0)


# --- Confirming once ------------------------------------------------------


def test_confirm_from_two_tabs_books_once(page: Page, event, free_type):
    """Check your answers open in two tabs, Confirm pressed in both: both
    land on the same confirmation page and one booking is made."""
    book_one_free_place_to_check(page, event)
    other = page.context.new_page()
    try:
        other.goto(page.url, wait_until="load")
        check_a11y(other)
        expect_hold(other, 1)

        assert click_and_load(page, button(page, "Confirm booking")) == 200
        check_a11y(page)
        expect(page).to_have_url(re.compile(r"/bookings/PSDM-[A-Z0-9]{5}/$"))
        reference = page.locator("#order-reference").inner_text().strip()
        assert REFERENCE_RE.fullmatch(reference), reference

        # The other tab still shows the button; pressing it changes nothing.
        assert click_and_load(other, button(other, "Confirm booking")) == 200
        check_a11y(other)
        expect(other).to_have_url(page.url)
        expect(other.locator("#order-reference")).to_have_text(reference)
    finally:
        other.close()

    order = expect_grace_booked()
    assert order.reference == reference
    assert Ticket.objects.count() == 1
    event.refresh_from_db()
    assert event.places_taken == 1
