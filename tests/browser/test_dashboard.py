"""The organiser's dashboard in a real browser, light and dark: reached from
the admin index, its tables open, and no axe-core violations."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.conftest import billing, book, hold, make_event, make_ticket_type
from tickets.models import Email, Ticket

from .conftest import ADMIN_STYLESHEET, check_a11y

pytestmark = pytest.mark.browser


@pytest.fixture
def busy_event(db):
    event = make_event(invoice_payment_enabled=True)
    free = make_ticket_type(event)
    paid = make_ticket_type(event, name="Supplier", price_pence=9500, position=2)
    make_ticket_type(event, name='<b>Speaker</b> & "guests"', is_visible=False)
    order = book(event, free, count=4)
    book(event, paid, count=2, payment_method="invoice", billing=billing())
    hold(book(event, paid, payment_method="invoice", billing=billing()))
    start = timezone.now() - timedelta(hours=2)
    for minutes, ticket in enumerate(order.tickets.all()):
        Ticket.objects.filter(pk=ticket.pk).update(
            created_at=start - timedelta(days=minutes),
            checked_in_at=start + timedelta(minutes=20 * minutes),
        )
    Email.objects.filter(pk=Email.objects.first().pk).update(status=Email.Status.FAILED)
    return event


def load(page: Page, action) -> None:
    with page.expect_navigation(wait_until="load"):
        action()
    check_a11y(page, stylesheet=ADMIN_STYLESHEET)


def log_in(page: Page, live_server, django_user_model) -> None:
    """Sign the tab in as a superuser through a session cookie.

    Not through Django's own login page: it has no level-one heading, which
    axe reports, and it is not ours to change.
    """
    user = django_user_model.objects.create_superuser(
        "dashboard-organiser", "dashboard@example.gov.uk", "pw"
    )
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": cookie.key, "value": cookie.value, "url": live_server.url}]
    )


def open_dashboard(page: Page) -> None:
    load(page, lambda: page.goto("/admin/"))
    load(page, lambda: page.get_by_role("link", name=re.compile("^Dashboard")).click())
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Dashboard: Test conference"
    )


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_dashboard_is_accessible(
    page: Page, live_server, django_user_model, busy_event, scheme
):
    page.emulate_media(color_scheme=scheme)
    log_in(page, live_server, django_user_model)
    open_dashboard(page)
    expect(page.get_by_role("img", name="Places: 7 of 250 taken")).to_be_visible()
    expect(page.locator("#checked-in")).to_have_text(
        "4 checked in of 6 expected (67%)."
    )
    for summary in page.locator("details summary").all():
        summary.click()
    expect(page.locator("#ticket-types-table")).to_contain_text(
        '<b>Speaker</b> & "guests"'
    )
    check_a11y(page, stylesheet=ADMIN_STYLESHEET)
    failed = page.get_by_role("link", name=re.compile("failed e-mail"))
    expect(failed).to_have_attribute(
        "href", reverse("admin:tickets_email_changelist") + "?status__exact=failed"
    )
