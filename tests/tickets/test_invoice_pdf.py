"""The invoice PDF: its text, VAT sums, awkward names, and cancelled orders."""

from decimal import Decimal
from io import BytesIO

import pytest
from django.utils import timezone
from pypdf import PdfReader

from tests.conftest import make_ticket_type
from tickets.invoice_pdf import (
    format_pence,
    invoice_lines,
    invoice_pdf,
    vat_breakdown,
)
from tickets.models import Invoice, Order, Ticket


def make_order(event, tickets, reference="PSDM-AB12", **overrides) -> Order:
    """An invoice order with one ticket per (ticket_type, status) pair."""
    values = {
        "event": event,
        "reference": reference,
        "buyer_name": "Grace Hopper",
        "buyer_email": "grace@example.gov.uk",
        "status": Order.Status.CONFIRMED,
        "payment_method": Order.PaymentMethod.INVOICE,
        "payment_status": Order.PaymentStatus.AWAITING,
    }
    values.update(overrides)
    order = Order.objects.create(**values)
    for i, (ticket_type, status) in enumerate(tickets):
        Ticket.objects.create(
            order=order,
            event=event,
            ticket_type=ticket_type,
            first_name=f"Ada{i}",
            last_name="Lovelace",
            email=f"ada{i}@example.gov.uk",
            organisation="Office of the Public Guardian",
            sector="supplier",
            price_pence=ticket_type.price_pence,
            status=status,
        )
    order.total_pence = sum(
        t.price_pence
        for t in order.tickets.all()
        if t.status != Ticket.Status.CANCELLED
    )
    order.save()
    return order


def make_invoice(order, **overrides) -> Invoice:
    values = {
        "order": order,
        "number": "INV-00042",
        "organisation": "Acme Digital Ltd",
        "contact_name": "Alan Turing",
        "contact_email": "accounts@acme.example",
        "address": "2 Bletchley Road\nMilton Keynes\nMK3 6EB",
        "po_number": "PO-998877",
        "vat_rate_percent": Decimal("20.00"),
        "vat_number": "GB123456789",
        "issuer": "Public Sector Digital Midlands CIC\n10 Colmore Row\nBirmingham",
        "payment_details": "Sort code 12-34-56\nAccount 12345678\nPay within 30 days",
    }
    values.update(overrides)
    return Invoice.objects.create(**values)


def pdf_text(data: bytes) -> str:
    reader = PdfReader(BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def flat(text: str) -> str:
    """Extracted text with all runs of whitespace made single spaces."""
    return " ".join(text.split())


@pytest.fixture
def student_type(event):
    return make_ticket_type(event, name="Student", price_pence=2500, position=3)


@pytest.mark.django_db
def test_pdf_has_the_invoice_details_lines_and_total(event, paid_type, student_type):
    order = make_order(
        event,
        [
            (paid_type, Ticket.Status.CONFIRMED),
            (paid_type, Ticket.Status.CONFIRMED),
            (student_type, Ticket.Status.CONFIRMED),
        ],
    )
    invoice = make_invoice(order)

    data = invoice_pdf(invoice)

    assert data.startswith(b"%PDF")
    text = flat(pdf_text(data))
    assert "Invoice INV-00042" in text
    assert "PSDM-AB12" in text
    assert "Purchase order: PO-998877" in text
    assert "Acme Digital Ltd" in text
    assert "Alan Turing" in text
    assert "accounts@acme.example" in text
    assert "Milton Keynes" in text
    assert "GB123456789" in text
    assert "Test conference" in text
    assert "Test venue" in text
    assert "Supplier place — Test conference" in text
    assert "Student place — Test conference" in text
    assert "£190.00" in text  # 2 x £95.00
    assert "£25.00" in text
    assert "Total £215.00" in text
    assert "Sort code 12-34-56" in text
    assert "Please quote INV-00042 as the payment reference." in text
    assert "PAID" not in text
    assert "CANCELLED" not in text
    reader = PdfReader(BytesIO(data))
    assert reader.metadata.title == "Invoice INV-00042"


@pytest.mark.django_db
def test_vat_at_20_percent_on_95_pounds(event, paid_type):
    order = make_order(event, [(paid_type, Ticket.Status.CONFIRMED)])
    text = flat(pdf_text(invoice_pdf(make_invoice(order))))

    assert "Net £79.17" in text
    assert "VAT at 20% £15.83" in text
    assert "Total £95.00" in text
    assert "No VAT charged" not in text


@pytest.mark.django_db
def test_zero_rate_shows_only_total_and_no_vat_line(event, paid_type):
    order = make_order(event, [(paid_type, Ticket.Status.CONFIRMED)])
    invoice = make_invoice(order, vat_rate_percent=Decimal("0"), vat_number="")
    text = flat(pdf_text(invoice_pdf(invoice)))

    assert "Total £95.00" in text
    assert "No VAT charged" in text
    assert "Net" not in text
    assert "VAT at" not in text


@pytest.mark.parametrize(
    ("gross", "rate", "expected"),
    [
        (9500, Decimal("20"), (7917, 1583)),
        (9500, Decimal("20.00"), (7917, 1583)),
        (0, Decimal("20"), (0, 0)),
        (1, Decimal("20"), (1, 0)),  # 0.833 rounds up to 1
        (3, Decimal("20"), (3, 0)),  # 2.5 rounds half up to 3
        (12001, Decimal("20"), (10001, 2000)),  # 10000.83
        (1175, Decimal("17.5"), (1000, 175)),
        (1050, Decimal("5"), (1000, 50)),
        (9999, Decimal("0"), (9999, 0)),
    ],
)
def test_vat_breakdown(gross, rate, expected):
    net, vat = vat_breakdown(gross, rate)
    assert (net, vat) == expected
    assert net + vat == gross


def test_format_pence():
    assert format_pence(0) == "£0.00"
    assert format_pence(5) == "£0.05"
    assert format_pence(123450) == "£1,234.50"
    assert format_pence(1200, "EUR") == "EUR 12.00"
    assert format_pence(-150) == "-£1.50"


@pytest.mark.django_db
def test_markup_characters_and_accents_appear(event, paid_type):
    order = make_order(event, [(paid_type, Ticket.Status.CONFIRMED)])
    invoice = make_invoice(
        order,
        organisation="Smith & Sons <Holdings> Ltd",
        contact_name="Zoë Ó Súilleabháin",
        address="1 Rue de l'Église\n<b>not bold</b> & Co",
        po_number="PO<1>&2",
        issuer="Dvořák & Łukasz 🎉 Ltd\nBirmingham",
    )

    data = invoice_pdf(invoice)

    text = flat(pdf_text(data))
    assert "Smith & Sons <Holdings> Ltd" in text
    assert "Zoë Ó Súilleabháin" in text
    assert "Rue de l'Église" in text
    assert "<b>not bold</b> & Co" in text
    assert "Purchase order: PO<1>&2" in text
    # Outside what Helvetica can draw: folded or replaced, never a crash.
    assert "Dvor" in text
    assert "ukasz" in text


@pytest.mark.django_db
def test_very_long_organisation_name_wraps(event, paid_type):
    order = make_order(event, [(paid_type, Ticket.Status.CONFIRMED)])
    words = "Department for Very Long Names and Further Administrative Matters "
    organisation = (words * 6)[:200]  # the longest the field allows
    unbroken = "X" * 200
    invoice = make_invoice(order, organisation=organisation, contact_name=unbroken)

    data = invoice_pdf(invoice)

    assert data.startswith(b"%PDF")
    reader = PdfReader(BytesIO(data))
    assert len(reader.pages) >= 1
    text = flat(pdf_text(data))
    assert "Department for Very Long Names" in text
    assert "Total £95.00" in text


@pytest.mark.django_db
def test_cancelled_tickets_are_left_out(event, paid_type, student_type):
    order = make_order(
        event,
        [
            (paid_type, Ticket.Status.CONFIRMED),
            (paid_type, Ticket.Status.CANCELLED),
            (student_type, Ticket.Status.CANCELLED),
        ],
    )

    assert invoice_lines(order) == [
        {
            "description": "Supplier place — Test conference",
            "quantity": 1,
            "unit_pence": 9500,
            "amount_pence": 9500,
        }
    ]
    text = flat(pdf_text(invoice_pdf(make_invoice(order))))
    assert "Student place" not in text
    assert "£190.00" not in text
    assert "Total £95.00" in text
    assert "CANCELLED" not in text


@pytest.mark.django_db
def test_fully_cancelled_order_shows_the_banner(event, paid_type):
    order = make_order(
        event,
        [(paid_type, Ticket.Status.CANCELLED), (paid_type, Ticket.Status.CANCELLED)],
        status=Order.Status.CANCELLED,
        payment_status=Order.PaymentStatus.VOID,
    )

    lines = invoice_lines(order)
    assert [(line["quantity"], line["amount_pence"]) for line in lines] == [(2, 19000)]
    text = flat(pdf_text(invoice_pdf(make_invoice(order))))
    assert "CANCELLED – nothing to pay" in text
    assert "Supplier place — Test conference" in text
    assert "Please quote" not in text


@pytest.mark.django_db
def test_paid_invoice_shows_paid(event, paid_type):
    order = make_order(
        event,
        [(paid_type, Ticket.Status.CONFIRMED)],
        payment_status=Order.PaymentStatus.PAID,
        paid_pence=9500,
    )
    paid_at = timezone.make_aware(timezone.datetime(2025, 3, 14, 12, 0))
    text = flat(pdf_text(invoice_pdf(make_invoice(order, paid_at=paid_at))))

    assert "PAID on 14 March 2025" in text
