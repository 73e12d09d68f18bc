"""The door's check-in page in a real browser: badges shown to a (fake)
camera, typed in by a handheld scanner, people found by search, a network
blip, and who may open the page at all."""

import contextlib
import re

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission, User
from django.core.cache import cache
from django.test import Client
from playwright.sync_api import Page, expect

from tests.conftest import book, make_event, make_ticket_type
from tickets.models import Scan, Ticket

from .conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    MOBILE,
    _open_page,
    check_a11y,
    has_focus,
    visit,
)
from .fake_camera import badge_video, camera_args

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"


# --- Fixtures and helpers -------------------------------------------------


@pytest.fixture(autouse=True)
def empty_cache():
    """The API caches events' ids by slug; each test makes its event anew."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def door_staff(db) -> User:
    """A volunteer in the "Door staff" group (which may only check people in)."""
    user = User.objects.create_user(
        "sam", password=PASSWORD, first_name="Sam", last_name="Porter"
    )
    # A migration makes the group; live-server tests empty the tables after
    # each test, so make it again if it has gone.
    group, _ = Group.objects.get_or_create(name="Door staff")
    group.permissions.add(
        Permission.objects.get(content_type__app_label="tickets", codename="check_in")
    )
    user.groups.add(group)
    return user


@pytest.fixture
def camera_page(browser, live_server, request, media, tmp_path):
    """Return a function that opens a phone-sized tab in a Chromium whose
    camera films the given video (see fake_camera.py)."""
    opened = []

    def open_page(video) -> Page:
        chromium = browser.browser_type.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS + camera_args(video)
        )
        tab = _open_page(
            chromium,
            live_server,
            request,
            viewport=MOBILE,
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            permissions=["camera"],
        )
        opened.append((chromium, tab))
        return next(tab)

    yield open_page
    for chromium, tab in opened:
        with contextlib.suppress(StopIteration):
            next(tab)  # closes the tab and runs the page fixture's checks
        chromium.close()


def sign_in(page: Page, live_server, user: User) -> None:
    """Give the tab a session for `user` (the login page has its own test)."""
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


def one_ticket(event, ticket_type, **changes) -> Ticket:
    ticket = book(event, ticket_type).tickets.get()
    if changes:
        Ticket.objects.filter(pk=ticket.pk).update(**changes)
        ticket.refresh_from_db()
    return ticket


def checkin_path(event) -> str:
    return f"/checkin/{event.slug}/"


def result_panel(page: Page):
    return page.locator("#result")


def expect_result(page: Page, result: str, *, timeout: int = 10_000):
    panel = result_panel(page)
    expect(panel).to_be_visible(timeout=timeout)
    expect(panel).to_have_attribute("data-result", result, timeout=timeout)
    return panel


def check_a11y_with_result(page: Page) -> None:
    """Run axe with the result panel up: focus in it holds it there."""
    panel = result_panel(page)
    panel.get_by_role("button", name="Close").focus()
    check_a11y(page)
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()


def expect_count(page: Page, checked_in: int, expected: int) -> None:
    expect(page.locator("#checkin-count")).to_have_text(
        re.compile(rf"^\s*{checked_in}\s+checked in of\s+{expected}\s*$")
    )


def checked_in(ticket: Ticket):
    ticket.refresh_from_db()
    return ticket.checked_in_at


# --- Tests ----------------------------------------------------------------


def test_camera_admits_a_badge_then_says_already_checked_in(
    camera_page, live_server, tmp_path, event, free_type, door_staff
):
    """A badge held to the camera admits its holder, with no button to press;
    held there after the result has gone, it shows as already checked in."""
    ticket = one_ticket(event, free_type, access_needs="Step-free route, please")
    book(event, free_type)  # someone else, so the counter reads "of 2"
    page = camera_page(badge_video(tmp_path / "badge.y4m", ticket))
    sign_in(page, live_server, door_staff)
    page.goto(checkin_path(event))

    panel = expect_result(page, "admitted", timeout=15_000)
    expect(panel.get_by_role("heading", level=2)).to_have_text(
        re.compile("Admitted", re.I)
    )
    expect(panel).to_contain_text(ticket.full_name)
    expect(panel).to_contain_text("Office of the Public Guardian")
    expect(panel).to_contain_text("Public sector")
    expect(panel).to_contain_text("Access needs: ask them")
    expect(page.locator("#result-announce")).to_contain_text(
        f"Admitted. {ticket.full_name}. Access needs: ask them"
    )
    expect_count(page, 1, 2)
    assert checked_in(ticket) is not None
    check_a11y_with_result(page)  # the page as loaded, and the green result

    # Still in front of the camera: once the pause is over, it is refused.
    panel = expect_result(page, "already")
    expect(panel.get_by_role("heading", level=2)).to_have_text(
        re.compile("Already checked in", re.I)
    )
    expect(panel).to_contain_text(ticket.full_name)
    expect(panel).to_contain_text("Sam Porter")
    expect(panel).to_contain_text("Main entrance")
    expect_count(page, 1, 2)
    check_a11y_with_result(page)  # black on amber

    assert Scan.objects.filter(ticket=ticket, result="admitted").count() == 1
    assert Scan.objects.filter(ticket=ticket, result="already_checked_in").exists()
    # The page called the API with its sign-in's door device token.
    devices = {scan.device for scan in Scan.objects.filter(ticket=ticket)}
    assert len(devices) == 1 and None not in devices
    assert devices.pop().kind == "page"
    timings = page.evaluate("window.checkinTimings")
    camera_scans = [scan for scan in timings["scans"] if scan["source"] == "camera"]
    assert timings["decoder"] in ("jsQR", "BarcodeDetector")
    assert camera_scans and camera_scans[0]["frameToVerdictMs"] > 0


def test_handheld_scanner_types_codes(
    page: Page, live_server, event, free_type, door_staff
):
    """A handheld scanner types the code and Enter into the focused box: the
    box keeps the focus for the next badge; a forged code is not valid."""
    ticket = one_ticket(event, free_type)
    cancelled = one_ticket(event, free_type, status=Ticket.Status.CANCELLED)
    other_event = make_event(name="OneTeamGov Midlands", slug="oneteamgov")
    elsewhere = one_ticket(other_event, make_ticket_type(other_event))
    sign_in(page, live_server, door_staff)
    visit(page, checkin_path(event))
    code = page.get_by_label("Badge code")
    expect(code).to_be_focused()  # a laptop with a scanner: ready at once

    page.keyboard.type(ticket.secret)
    page.keyboard.press("Enter")
    panel = expect_result(page, "admitted")
    expect(panel).to_contain_text(ticket.full_name)
    expect(panel).not_to_contain_text("Access needs")
    assert has_focus(code)
    expect(code).to_have_value("")
    expect_count(page, 1, 1)

    # A forged code (the right shape, signed by nobody): red, and why.
    page.keyboard.type("Zm9yZ2VkLWJhZGdlLWNvZGUtMTIzNDU2Nzg")
    page.keyboard.press("Enter")
    panel = expect_result(page, "refused")
    expect(panel.get_by_role("heading", level=2)).to_have_text(
        re.compile("Not valid", re.I)
    )
    expect(panel).to_contain_text("Unknown or forged badge")
    assert has_focus(code)
    check_a11y_with_result(page)  # white on red
    expect(code).to_be_focused()

    # The same badge again: amber, scanned here by Sam moments ago.
    page.keyboard.type(ticket.secret)
    page.keyboard.press("Enter")
    panel = expect_result(page, "already")
    expect(panel).to_contain_text("Sam Porter")
    # The result goes by itself, and the box is still ready.
    expect(panel).to_be_hidden(timeout=5_000)
    assert has_focus(code)
    expect_count(page, 1, 1)
    assert Scan.objects.filter(ticket=ticket, result="admitted").count() == 1

    # Red too, each saying why: a cancelled place, a badge for another event.
    for badge, reason in [
        (cancelled.secret, "Place cancelled or refunded"),
        (elsewhere.secret, "Badge for another event"),
    ]:
        page.keyboard.type(badge)
        page.keyboard.press("Enter")
        panel = expect_result(page, "refused")
        expect(panel).to_contain_text(reason)
        page.keyboard.press("Escape")  # tap or Escape: gone before its time
        expect(panel).to_be_hidden()
        assert has_focus(code)


def test_search_admit_and_undo(
    mobile_page: Page, live_server, event, free_type, door_staff
):
    """Someone without a badge is found by organisation and admitted with
    one tap; the admission can be undone and the counter goes back."""
    page = mobile_page
    one_ticket(event, free_type)
    student = one_ticket(
        event, free_type, first_name="Priya", organisation="Solihull College"
    )
    sign_in(page, live_server, door_staff)
    visit(page, checkin_path(event))
    expect_count(page, 0, 2)

    page.get_by_label("Find them by name, email or organisation").fill("solihull")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator("#search-status")).to_have_text("1 person found.")
    results = page.locator("#search-results > li")
    expect(results).to_have_count(1)
    expect(results).to_contain_text("Solihull College")
    check_a11y(page)

    page.get_by_role("button", name="Admit Priya Lovelace").click()
    panel = expect_result(page, "admitted")
    expect(panel).to_contain_text("Priya Lovelace")
    expect_count(page, 1, 2)
    assert checked_in(student) is not None
    # Tap the result away; the search shows her as checked in now: who let
    # her in and when, and no button to admit her again.
    panel.click()
    expect(panel).to_be_hidden()
    expect(results).to_contain_text("Already checked in")
    expect(results).to_contain_text(f"by {door_staff.get_full_name()}")
    expect(page.get_by_role("button", name="Admit Priya Lovelace")).to_have_count(0)
    check_a11y(page)

    page.get_by_role("button", name="Undo admission of Priya Lovelace").click()
    panel = expect_result(page, "neutral")
    expect(panel).to_contain_text("Admission undone")
    expect_count(page, 0, 2)
    assert checked_in(student) is None
    expect(
        page.get_by_role("button", name=re.compile("^Undo admission"))
    ).to_be_hidden()


def test_network_blip_retries_the_same_scan(
    page: Page, live_server, event, free_type, door_staff
):
    """When a scan gets no answer the page says so (never green) and sends
    the same scan again, nonce and all, until the server answers; the
    attendee is admitted once."""
    ticket = one_ticket(event, free_type)
    sign_in(page, live_server, door_staff)
    visit(page, checkin_path(event))
    sent = []

    def flaky_network(route):
        sent.append(route.request.post_data_json)
        if len(sent) == 1:
            route.fetch()  # the server admits them...
            route.abort("connectionreset")  # ...but the answer is lost
        elif len(sent) == 2:
            route.abort("internetdisconnected")
        else:
            route.continue_()

    page.route("**/checkin/api/scan", flaky_network)
    page.keyboard.type(ticket.secret)
    page.keyboard.press("Enter")
    panel = result_panel(page)
    expect(panel).to_contain_text("No connection – retrying…")
    expect(panel).to_have_attribute("data-result", "pending")
    panel = expect_result(page, "admitted")
    expect(panel).to_contain_text(ticket.full_name)
    expect_count(page, 1, 1)

    assert len(sent) == 3
    assert len({body["nonce"] for body in sent}) == 1
    assert all(body["code"] == ticket.secret for body in sent)
    assert checked_in(ticket) is not None
    assert Scan.objects.filter(ticket=ticket, result="admitted").count() == 1


def test_sign_in_page(page: Page, live_server, event, free_type, door_staff):
    """A stranger is sent to sign in; door staff sign in on a phone-friendly
    form and land on the check-in page they asked for."""
    book(event, free_type)
    response = page.goto(checkin_path(event))
    assert response is not None and response.status == 200
    expect(page).to_have_url(
        re.compile(r"/checkin/login/\?next=" + re.escape(checkin_path(event)))
    )
    check_a11y(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Sign in to check people in"
    )

    page.get_by_label("Username").fill("sam")
    page.get_by_label("Password").fill("wrong")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    check_a11y(page)
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    expect(page).to_have_title(re.compile("^Error: "))

    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(re.escape(checkin_path(event)) + "$"))
    check_a11y(page)
    expect(page.get_by_role("heading", level=1)).to_contain_text(event.name)
    expect_count(page, 0, 1)


def test_choose_the_event(page: Page, live_server, event, door_staff):
    """With two events coming up, /checkin/ asks which one the door is for."""
    make_event(name="OneTeamGov Midlands", slug="oneteamgov")
    sign_in(page, live_server, door_staff)
    visit(page, "/checkin/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose the event")
    with page.expect_navigation():
        page.get_by_role("link", name="OneTeamGov Midlands").click()
    expect(page).to_have_url(re.compile(r"/checkin/oneteamgov/$"))
    check_a11y(page)
    expect(page.get_by_role("heading", level=1)).to_contain_text("OneTeamGov Midlands")
