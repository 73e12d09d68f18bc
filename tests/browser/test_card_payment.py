"""Paying for places in a real browser: by card on (fake) Stripe's hosted
page, leaving that page without paying, and by invoice."""

import re

import pytest
from playwright.sync_api import Page, expect

from events.models import Event
from tickets.models import (
    Invoice,
    Order,
    OrderChange,
    Reservation,
    StripeEvent,
    Ticket,
)

from .conftest import (
    AXE_JS,
    REFERENCE_RE,
    check_a11y,
    expect_hold,
    format_violations,
    visit,
)

pytestmark = pytest.mark.browser

PAID_LABEL = "Supplier, £95 each"
CARD = "By debit or credit card now"
INVOICE = "By invoice, with a purchase order if you need one"
NOT_PAID = (
    "You have not paid, so your places have not been booked. "
    "You can try again or choose another way to pay."
)


def check_a11y_off_site(page: Page) -> None:
    """axe-core on a page that is not ours (the fake Stripe payment page).

    conftest's check_a11y insists on our stylesheet, which Stripe's page does
    not use; otherwise this does the same: zero violations, and the load is
    marked checked for the `page` fixture's bookkeeping.
    """
    page.wait_for_load_state("load")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    violations = page.evaluate("async () => (await axe.run()).violations")
    assert not violations, (
        f"axe-core found {len(violations)} accessibility violation(s) on "
        f"{page.url}:\n{format_violations(violations)}"
    )
    log = page.psdm_log
    skipped = log.loads[log.checked : -1]
    assert not skipped, f"pages loaded but never axe-checked: {skipped}"
    log.checked = len(log.loads)


def click_and_load(page: Page, button: str) -> None:
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name=button).click()


def book_one_paid_place(page: Page, event: Event, how: str) -> None:
    """Choose one paid place, give your own details on the one "Your
    details" page (the buyer is the attendee) and choose how to pay,
    checking every page with axe."""
    book = f"/events/{event.slug}/book/"
    visit(page, book)
    page.get_by_label(PAID_LABEL, exact=True).fill("1")
    click_and_load(page, "Continue")
    expect(page).to_have_url(re.compile(re.escape(book + "your-details/") + "$"))
    check_a11y(page)
    expect_hold(page, 1)

    page.get_by_label("First name").fill("Katherine")
    page.get_by_label("Last name").fill("Johnson")
    page.get_by_label("Email address").fill("katherine@example.co.uk")
    page.get_by_label("Organisation", exact=True).fill("Orbital Software Ltd")
    page.get_by_role("group", name="Which sector do you work in?").get_by_label(
        "Supplier or private sector"
    ).check()
    click_and_load(page, "Continue")
    expect(page).to_have_url(re.compile(re.escape(book + "payment/") + "$"))
    check_a11y(page)
    expect_hold(page, 1)

    methods = page.get_by_role("group", name="How will you pay?")
    expect(page.get_by_role("heading", level=1)).to_have_text("How will you pay?")
    methods.get_by_label(how).check()
    click_and_load(page, "Continue")


def expect_check_answers(page: Page, event: Event) -> None:
    expect(page).to_have_url(re.compile(rf"/events/{event.slug}/book/check/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check your answers before booking"
    )


# --- Card -----------------------------------------------------------------


def start_card_payment(page: Page, event: Event, fake_stripe) -> Order:
    """Book one paid place by card up to Stripe's page; return the order."""
    book_one_paid_place(page, event, CARD)
    expect_check_answers(page, event)
    check_a11y(page)
    main = page.get_by_role("main")
    expect(page.locator("#order-total")).to_have_text("£95")
    expect(main).to_contain_text("By card now")
    expect(main).to_contain_text("Katherine Johnson")
    expect(main).to_contain_text("Orbital Software Ltd")

    click_and_load(page, "Continue to payment")
    expect(page).to_have_url(re.compile(r"^" + re.escape(fake_stripe.url) + "/pay/"))
    check_a11y_off_site(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Pay £95.00 to Public Sector Digital Midlands"
    )
    expect(page.get_by_role("main")).to_contain_text("Supplier: Test conference")

    # The places are held while the buyer is on Stripe's page.
    order = Order.objects.get()
    assert order.status == Order.Status.PENDING
    assert order.payment_method == Order.PaymentMethod.CARD
    assert order.payment_status == Order.PaymentStatus.AWAITING
    assert order.total_pence == 9500
    assert order.stripe_session_id in fake_stripe.sessions
    assert list(order.tickets.values_list("status", flat=True)) == [Ticket.Status.HELD]
    event.refresh_from_db()
    assert event.places_taken == 1
    return order


def test_pay_by_card(page: Page, live_server, event, paid_type, fake_stripe):
    fake_stripe.webhook_url = live_server.url + "/stripe/webhook/"
    order = start_card_payment(page, event, fake_stripe)

    click_and_load(page, "Pay £95.00")
    expect(page).to_have_url(re.compile(rf"/bookings/{order.reference}/$"))
    check_a11y(page)
    expect(page.locator(".govuk-panel--confirmation h1")).to_have_text(
        "Booking complete"
    )
    reference = page.locator("#order-reference").inner_text().strip()
    assert REFERENCE_RE.fullmatch(reference), reference
    assert reference == order.reference
    main = page.get_by_role("main")
    expect(main).to_contain_text("You have paid £95 by card.")
    expect(page.locator("#manage-link")).to_have_text("Manage your booking")
    expect(page.locator("#manage-link")).to_have_attribute(
        "href", order.get_absolute_url()
    )

    # Stripe's signed webhook reached us and was accepted, once.
    assert [status for _, status in fake_stripe.deliveries] == [200]
    assert StripeEvent.objects.filter(
        type="checkout.session.completed", order=order
    ).exists()

    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED
    assert order.payment_status == Order.PaymentStatus.PAID
    assert order.paid_pence == 9500
    assert order.stripe_payment_intent_id
    assert (order.buyer_name, order.buyer_email) == (
        "Katherine Johnson",
        "katherine@example.co.uk",
    )
    ticket = order.tickets.get()
    assert ticket.status == Ticket.Status.CONFIRMED
    assert ticket.ticket_type == paid_type
    assert ticket.price_pence == 9500
    assert ticket.sector == Ticket.Sector.SUPPLIER
    # The webhook and the return page both sync the payment: recorded once.
    assert OrderChange.objects.filter(order=order, action="paid").count() == 1
    event.refresh_from_db()
    assert event.places_taken == 1

    # The draft went when the payment was confirmed: booking again starts
    # from nothing.
    visit(page, f"/events/{event.slug}/book/")
    expect(page.get_by_label(PAID_LABEL, exact=True)).to_have_value("0")


def test_leaving_the_payment_page_without_paying(
    page: Page, live_server, event, paid_type, fake_stripe
):
    fake_stripe.webhook_url = live_server.url + "/stripe/webhook/"
    order = start_card_payment(page, event, fake_stripe)

    with page.expect_navigation(wait_until="load"):
        page.get_by_role("link", name="Cancel and go back").click()
    expect_check_answers(page, event)
    check_a11y(page)

    # Two banners: what happened, and the place reserved again for them.
    banners = page.locator(".govuk-notification-banner")
    expect(banners).to_have_count(2)
    banner = banners.filter(has=page.get_by_role("heading", name="Important"))
    expect(banner).to_have_count(1)
    expect(banner).to_contain_text(NOT_PAID)
    expect_hold(page, 1)

    # Their answers are kept, so they can try again without typing them.
    main = page.get_by_role("main")
    expect(page.locator("#order-total")).to_have_text("£95")
    for text in [
        "By card now",
        "Katherine Johnson",
        "katherine@example.co.uk",
        "Orbital Software Ltd",
    ]:
        expect(main).to_contain_text(text)
    expect(page.get_by_role("button", name="Continue to payment")).to_be_visible()

    # The order's held place went back to the pool and was reserved again
    # for this buyer (counted once), and Stripe's page can no longer be paid.
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert order.payment_status == Order.PaymentStatus.VOID
    assert order.paid_pence == 0
    assert list(order.tickets.values_list("status", flat=True)) == [
        Ticket.Status.CANCELLED
    ]
    assert OrderChange.objects.filter(order=order, action="cancelled").count() == 1
    assert not OrderChange.objects.filter(order=order, action="paid").exists()
    event.refresh_from_db()
    paid_type.refresh_from_db()
    assert (event.places_taken, paid_type.places_taken) == (1, 1)
    again = Reservation.objects.get(status=Reservation.Status.ACTIVE)
    assert again.places == 1
    assert again.order is None
    assert Reservation.objects.get(order=order).status == Reservation.Status.CONFIRMED
    assert fake_stripe.sessions[order.stripe_session_id]["status"] == "expired"

    # The message is shown once, not again on the next page; the place is
    # still reserved.
    page.reload(wait_until="load")
    check_a11y(page)
    expect(page.get_by_role("heading", name="Important")).to_have_count(0)
    expect(page.locator(".govuk-notification-banner")).to_have_count(1)
    expect_hold(page, 1)


# --- Invoice --------------------------------------------------------------


def test_pay_by_invoice(page: Page, event, paid_type, fake_stripe):
    Event.objects.filter(pk=event.pk).update(
        invoice_payment_enabled=True,
        invoice_issuer="Public Sector Digital Midlands\n1 High Street\nBirmingham",
        invoice_payment_details="Pay within 30 days by bank transfer.",
    )
    book_one_paid_place(page, event, INVOICE)
    expect(page).to_have_url(re.compile(rf"/events/{event.slug}/book/invoice/$"))
    check_a11y(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Who should we invoice?")
    page.get_by_label("Organisation paying the invoice").fill("Orbital Software Ltd")
    page.get_by_label("Name of the person or team who pays invoices").fill(
        "Accounts Payable"
    )
    page.get_by_label("Email address for the invoice").fill("ap@example.co.uk")
    page.get_by_label("Billing address").fill("2 Low Street\nCoventry CV1 1AA")
    page.get_by_label("Purchase order number (optional)").fill("PO-98765")
    click_and_load(page, "Continue")

    expect_check_answers(page, event)
    check_a11y(page)
    main = page.get_by_role("main")
    expect(page.locator("#order-total")).to_have_text("£95")
    for text in ["By invoice", "Orbital Software Ltd", "ap@example.co.uk", "PO-98765"]:
        expect(main).to_contain_text(text)
    expect(page.get_by_role("button", name="Continue to payment")).to_have_count(0)

    click_and_load(page, "Confirm booking")
    expect(page).to_have_url(re.compile(r"/bookings/PSDM-[A-Z0-9]{5}/$"))
    check_a11y(page)
    expect(page.locator(".govuk-panel--confirmation h1")).to_have_text(
        "Booking complete"
    )

    order = Order.objects.get()
    invoice = Invoice.objects.get(order=order)
    assert order.status == Order.Status.CONFIRMED
    assert order.payment_method == Order.PaymentMethod.INVOICE
    assert order.payment_status == Order.PaymentStatus.AWAITING
    assert order.total_pence == 9500
    assert order.tickets.get().status == Ticket.Status.CONFIRMED
    assert (invoice.organisation, invoice.contact_email, invoice.po_number) == (
        "Orbital Software Ltd",
        "ap@example.co.uk",
        "PO-98765",
    )
    # Browsers send a textarea's new lines as CRLF.
    assert invoice.address.splitlines() == ["2 Low Street", "Coventry CV1 1AA"]
    assert not fake_stripe.requests, "an invoice booking must not call Stripe"

    link = page.get_by_role("link", name=f"Download invoice {invoice.number} (PDF)")
    expect(link).to_be_visible()
    href = link.get_attribute("href")
    assert href == f"{order.get_absolute_url()}invoice.pdf"
    response = page.request.get(href)
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="{invoice.number}.pdf"'
    )
    assert response.body().startswith(b"%PDF-")
