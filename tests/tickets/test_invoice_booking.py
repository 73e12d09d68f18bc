"""Paying by invoice: places confirmed at once, an invoice to download, and
the organiser marks it paid."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.conftest import billing, book
from tests.tickets.flow import fill_up_to_check, url
from tickets.models import Invoice, Order
from tickets.services import (
    Actor,
    InvalidBooking,
    PaymentNotAvailable,
    invoice_mark_paid,
    order_cancel,
)

BILLING_FORM = {
    "organisation": "Sandwell Council",
    "contact_name": "Accounts Payable",
    "contact_email": "ap@sandwell.gov.uk",
    "address": "Freeth Street\nOldbury B69 3DE",
    "po_number": "PO-991",
}


@pytest.fixture
def invoicing(event):
    event.invoice_payment_enabled = True
    event.vat_rate_percent = Decimal("20")
    event.vat_number = "GB123456789"
    event.invoice_issuer = "Public Sector Digital Midlands\nBirmingham"
    event.invoice_payment_details = "Sort code 00-00-00, account 12345678"
    event.save()
    return event


def test_booking_by_invoice_through_the_pages(client, invoicing, paid_type, settings):
    settings.STRIPE_SECRET_KEY = ""
    event = invoicing
    fill_up_to_check(client, event, paid_type, count=2)
    response = client.post(url("payment", event), {"method": "invoice"})
    assert response["Location"] == url("invoice", event)
    response = client.post(url("invoice", event), BILLING_FORM)
    assert response["Location"] == url("check", event)
    page = client.get(url("check", event)).content.decode()
    assert "By invoice" in page and "Sandwell Council" in page and "PO-991" in page
    assert "£190" in page

    response = client.post(url("check", event))

    order = Order.objects.get()
    assert response["Location"] == f"/bookings/{order.reference}/"
    assert order.status == Order.Status.CONFIRMED
    assert order.payment_method == Order.PaymentMethod.INVOICE
    assert order.payment_status == Order.PaymentStatus.AWAITING
    assert set(order.tickets.values_list("status", flat=True)) == {"confirmed"}
    invoice = order.invoice
    assert invoice.number.startswith("INV-")
    assert (invoice.organisation, invoice.po_number) == ("Sandwell Council", "PO-991")
    # A snapshot: later changes to the event do not rewrite the invoice.
    assert invoice.vat_rate_percent == Decimal("20")
    assert invoice.payment_details.startswith("Sort code")
    page = client.get(response["Location"]).content.decode()
    assert invoice.number in page
    pdf = client.get(order.get_absolute_url() + "invoice.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_invoice_numbers_are_unique_and_in_sequence(invoicing, paid_type):
    numbers = [
        book(
            invoicing, paid_type, payment_method="invoice", billing=billing()
        ).invoice.number
        for _ in range(3)
    ]
    assert len(set(numbers)) == 3
    assert numbers == sorted(numbers)


def test_invoice_payment_is_refused_when_not_offered(event, paid_type):
    with pytest.raises(PaymentNotAvailable):
        book(event, paid_type, payment_method="invoice", billing=billing())
    assert Order.objects.count() == 0


def test_invoice_payment_stops_at_its_cut_off(invoicing, paid_type):
    invoicing.invoice_payment_until = timezone.now() - timedelta(minutes=1)
    invoicing.save()
    with pytest.raises(PaymentNotAvailable):
        book(invoicing, paid_type, payment_method="invoice", billing=billing())


@pytest.mark.parametrize(
    "change",
    [
        {"contact_email": "not an email"},
        {"organisation": ""},
        {"address": ""},
        {"po_number": "x" * 101},
    ],
)
def test_bad_billing_details_are_refused(invoicing, paid_type, change):
    with pytest.raises(InvalidBooking):
        book(invoicing, paid_type, payment_method="invoice", billing=billing(**change))
    assert Order.objects.count() == Invoice.objects.count() == 0


def test_bad_billing_details_on_the_form_show_errors(client, invoicing, paid_type):
    fill_up_to_check(client, invoicing, paid_type)
    client.post(url("payment", invoicing), {"method": "invoice"})
    response = client.post(
        url("invoice", invoicing), {**BILLING_FORM, "contact_email": "nope"}
    )
    assert response.status_code == 200
    assert "Enter an email address in the correct format" in response.content.decode()


def test_the_organiser_marks_an_invoice_paid_once(
    invoicing, paid_type, django_user_model
):
    organiser = django_user_model.objects.create_user("organiser")
    order = book(
        invoicing, paid_type, count=2, payment_method="invoice", billing=billing()
    )

    assert invoice_mark_paid(
        order_id=order.pk, actor=Actor.user(organiser), note="BACS 1"
    )
    assert not invoice_mark_paid(order_id=order.pk, actor=Actor.user(organiser))

    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.PAID
    assert order.paid_pence == 19000
    assert order.invoice.paid_at is not None
    assert order.changes.filter(action="invoice_paid", actor="organiser").count() == 1


def test_cancelling_an_unpaid_invoice_order_voids_it(invoicing, paid_type):
    order = book(invoicing, paid_type, payment_method="invoice", billing=billing())
    order_cancel(order_id=order.pk, actor=Actor.buyer())
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert order.payment_status == Order.PaymentStatus.VOID
    assert order.refunds.count() == 0
    invoicing.refresh_from_db()
    assert invoicing.places_taken == 0


def test_cancelling_a_paid_invoice_order_records_a_manual_refund(
    invoicing, paid_type, django_user_model
):
    organiser = django_user_model.objects.create_user("organiser")
    order = book(
        invoicing, paid_type, count=2, payment_method="invoice", billing=billing()
    )
    invoice_mark_paid(order_id=order.pk, actor=Actor.user(organiser))
    ticket = order.tickets.first()

    order_cancel(order_id=order.pk, actor=Actor.buyer(), ticket_ids=[ticket.pk])

    [refund] = order.refunds.all()
    assert (refund.method, refund.amount_pence, refund.status) == (
        "manual",
        9500,
        "pending",
    )
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED
