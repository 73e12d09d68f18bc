"""The waiting list in a real browser: join a sold-out event, then take up
the offered place through the booking pages, axe-checked throughout."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from tests.conftest import book, make_event, make_ticket_type
from tickets.models import Order, Ticket, WaitlistOffer
from tickets.services import Actor, order_cancel

from .conftest import check_a11y, visit

pytestmark = pytest.mark.browser


def click_and_load(page: Page, locator) -> None:
    with page.expect_navigation(wait_until="load"):
        locator.click()


def test_join_the_waiting_list_and_book_the_offered_place(page: Page, db):
    event = make_event(capacity=1)
    ticket_type = make_ticket_type(event)
    order = book(event, ticket_type, count=1)

    visit(page, event.get_absolute_url())
    click_and_load(page, page.get_by_role("button", name="Join the waiting list"))
    check_a11y(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Join the waiting list")
    # Nothing filled in: the error summary, also axe-checked.
    join_button = page.get_by_role("button", name="Join the waiting list")
    click_and_load(page, join_button)
    check_a11y(page)
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter your full name")
    page.get_by_label("Full name").fill("Wendy Waiting")
    page.get_by_label("Email address").fill("wendy@example.gov.uk")
    page.get_by_label("Organisation").fill("Dudley Council")
    click_and_load(page, join_button)
    check_a11y(page)
    expect(page.locator(".govuk-panel--confirmation h1")).to_have_text(
        "You are on the waiting list"
    )
    expect(page.locator(".govuk-panel__body")).to_contain_text("Number 1 in the queue")

    # A place comes free: it is offered to Wendy.
    order_cancel(order_id=order.pk, actor=Actor.system())
    offer = WaitlistOffer.objects.get()
    visit(page, reverse("tickets:offer", kwargs={"token": offer.token}))
    expect(page.get_by_role("heading", level=1)).to_have_text("A place is kept for you")
    click_and_load(page, page.get_by_role("button", name="Book your place"))
    check_a11y(page)
    page.get_by_label("Public sector", exact=True).fill("1")
    continue_button = page.get_by_role("button", name="Continue")
    click_and_load(page, continue_button)
    check_a11y(page)
    # One place for herself: one page of details, her e-mail already there.
    expect(page.get_by_role("heading", level=1)).to_have_text("Your details")
    expect(page.get_by_label("Email address")).to_have_value("wendy@example.gov.uk")
    page.get_by_label("First name").fill("Wendy")
    page.get_by_label("Last name").fill("Waiting")
    page.get_by_label("Organisation", exact=True).fill("Dudley Council")
    page.get_by_role("group", name="Which sector do you work in?").get_by_label(
        "Local government"
    ).check()
    click_and_load(page, continue_button)
    check_a11y(page)
    click_and_load(page, page.get_by_role("button", name="Confirm booking"))
    expect(page).to_have_url(re.compile(r"/bookings/PSDM-[A-Z0-9]{5}/$"))
    check_a11y(page)
    offer.refresh_from_db()
    assert offer.status == WaitlistOffer.Status.USED
    assert offer.order.status == Order.Status.CONFIRMED
    assert offer.order.buyer_email == "wendy@example.gov.uk"
    event.refresh_from_db()
    confirmed = Ticket.objects.filter(event=event, status="confirmed").count()
    assert event.places_taken == confirmed == 1
