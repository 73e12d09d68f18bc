"""The invoice as an A4 PDF, drawn with reportlab's platypus.

Prices are VAT-inclusive integer pence, so VAT is worked back out of the gross
total. The lines and money helpers are plain so an HTML page can reuse them.
"""

import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from io import BytesIO
from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .models import Order, Ticket
from .money import format_pence  # noqa: F401 - re-exported for callers


def vat_breakdown(gross_pence: int, rate_percent: Decimal) -> tuple[int, int]:
    """Split a VAT-inclusive gross into (net, vat), rounding net half up."""
    rate = Decimal(str(rate_percent))
    if rate <= 0:
        return gross_pence, 0
    net = (Decimal(gross_pence) * 100 / (100 + rate)).quantize(
        Decimal(1), rounding=ROUND_HALF_UP
    )
    return int(net), gross_pence - int(net)


def _order_is_cancelled(order, tickets) -> bool:
    if order.status == Order.Status.CANCELLED:
        return True
    # Every ticket cancelled one by one leaves nothing to invoice either.
    return bool(tickets) and all(t.status == Ticket.Status.CANCELLED for t in tickets)


def _tickets(order) -> list:
    return list(order.tickets.select_related("ticket_type", "event"))


def invoice_lines(order) -> list[dict]:
    """One line per ticket type (and price): the places still booked, or every
    place when the whole order has been cancelled."""
    tickets = _tickets(order)
    if not _order_is_cancelled(order, tickets):
        tickets = [t for t in tickets if t.status != Ticket.Status.CANCELLED]
    tickets.sort(key=lambda t: (t.ticket_type.position, t.ticket_type_id, t.pk))
    grouped: dict[tuple[int, int], dict] = {}
    for ticket in tickets:
        key = (ticket.ticket_type_id, ticket.price_pence)
        if key not in grouped:
            grouped[key] = {
                "description": f"{ticket.ticket_type.name} place — {order.event.name}",
                "quantity": 0,
                "unit_pence": ticket.price_pence,
                "amount_pence": 0,
            }
        grouped[key]["quantity"] += 1
        grouped[key]["amount_pence"] += ticket.price_pence
    return list(grouped.values())


def _pdf_safe(text: str) -> str:
    """Keep what Helvetica (WinAnsi) can draw; fold or replace the rest."""
    out = []
    for char in unicodedata.normalize("NFC", str(text)):
        try:
            char.encode("cp1252")
            out.append(char)
            continue
        except UnicodeEncodeError:
            pass
        base = unicodedata.normalize("NFKD", char).encode("cp1252", "ignore")
        out.append(base.decode("cp1252") or "?")
    return "".join(out)


def _markup(text: str) -> str:
    """User text as Paragraph markup: escaped, one <br/> per line."""
    lines = [line.strip() for line in str(text or "").splitlines()]
    return "<br/>".join(escape(_pdf_safe(line)) for line in lines if line)


def _date(value) -> str:
    value = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{value.day} {value:%B %Y}"


def _rate_label(rate: Decimal) -> str:
    return f"{Decimal(str(rate)).normalize():f}"


def _styles() -> dict:
    base = getSampleStyleSheet()
    body = ParagraphStyle("Body", parent=base["Normal"], fontSize=10, leading=13)
    return {
        "title": ParagraphStyle("Title", parent=base["Title"], alignment=0),
        "h2": ParagraphStyle("H2", parent=base["Heading2"], fontSize=12),
        "body": body,
        "right": ParagraphStyle("Right", parent=body, alignment=TA_RIGHT),
        "bold": ParagraphStyle("Bold", parent=body, fontName="Helvetica-Bold"),
        "banner": ParagraphStyle(
            "Banner",
            parent=body,
            fontName="Helvetica-Bold",
            fontSize=16,
            leading=20,
            borderColor=colors.black,
            borderWidth=1.5,
            borderPadding=6,
            spaceBefore=8,
            spaceAfter=8,
        ),
    }


def _banner(text: str, style) -> list:
    return [Spacer(1, 4 * mm), Paragraph(escape(text), style), Spacer(1, 2 * mm)]


def invoice_pdf(invoice) -> bytes:
    """Render `invoice` as an A4 PDF and return its bytes."""
    order = invoice.order
    event = order.event
    currency = order.currency
    s = _styles()
    P = Paragraph
    cancelled = _order_is_cancelled(order, _tickets(order))
    lines = invoice_lines(order)
    gross = sum(line["amount_pence"] for line in lines)
    rate = invoice.vat_rate_percent or Decimal(0)
    net, vat = vat_breakdown(gross, rate)

    story = [P(_markup(f"Invoice {invoice.number}"), s["title"])]
    meta = [
        f"<b>Invoice number:</b> {_markup(invoice.number)}",
        f"<b>Date:</b> {_date(invoice.issued_at)}",
        f"<b>Order reference:</b> {_markup(order.reference)}",
    ]
    if invoice.po_number:
        meta.append(f"<b>Purchase order:</b> {_markup(invoice.po_number)}")
    story += [P(line, s["body"]) for line in meta]
    if cancelled:
        story += _banner("CANCELLED – nothing to pay", s["banner"])
    if invoice.paid_at:
        story += _banner(f"PAID on {_date(invoice.paid_at)}", s["banner"])

    issuer = _markup(invoice.issuer)
    if invoice.vat_number:
        vat_no = f"VAT number: {_markup(invoice.vat_number)}"
        issuer = f"{issuer}<br/>{vat_no}" if issuer else vat_no
    to = "<br/>".join(
        part
        for part in (
            _markup(invoice.organisation),
            _markup(invoice.contact_name),
            _markup(invoice.contact_email),
            _markup(invoice.address),
        )
        if part
    )
    parties = Table(
        [
            [P("From", s["h2"]), P("To", s["h2"])],
            [P(issuer, s["body"]), P(to, s["body"])],
        ],
        colWidths=[85 * mm, 85 * mm],
    )
    parties.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [Spacer(1, 6 * mm), parties, Spacer(1, 4 * mm)]

    story.append(P("Event", s["h2"]))
    story.append(P(_markup(event.name), s["bold"]))
    starts = timezone.localtime(event.starts_at)
    when = f"{_date(starts)}, {starts:%H:%M}"
    story.append(P(f"{when}, {_markup(event.venue_name)}", s["body"]))
    story.append(P(_markup(event.venue_address), s["body"]))
    story.append(Spacer(1, 6 * mm))

    def row(*cells):
        first, *rest = cells
        return [P(first, s["body"])] + [P(cell, s["right"]) for cell in rest]

    def money(pence):
        return format_pence(pence, currency)

    headings = ("Description", "Quantity", "Unit price", "Amount")
    rows = [row(*(f"<b>{heading}</b>" for heading in headings))]
    for line in lines:
        quantity, unit = str(line["quantity"]), money(line["unit_pence"])
        rows.append(
            row(
                _markup(line["description"]),
                quantity,
                unit,
                money(line["amount_pence"]),
            )
        )
    totals = [("Net", net), (f"VAT at {_rate_label(rate)}%", vat)] if rate > 0 else []
    for label, pence in [*totals, ("Total", gross)]:
        rows.append(row("", "", f"<b>{label}</b>", f"<b>{money(pence)}</b>"))
    table = Table(rows, colWidths=[95 * mm, 20 * mm, 27 * mm, 28 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, 0), 1, colors.black),
                ("LINEBELOW", (0, len(lines)), (-1, len(lines)), 0.5, colors.grey),
            ]
        )
    )
    story.append(table)
    if rate <= 0:
        story.append(P("No VAT charged", s["body"]))

    if not cancelled:
        story += [Spacer(1, 6 * mm), P("How to pay", s["h2"])]
        if invoice.payment_details:
            story.append(P(_markup(invoice.payment_details), s["body"]))
        quote = f"Please quote {_markup(invoice.number)} as the payment reference."
        story.append(P(quote, s["body"]))

    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        title=_pdf_safe(f"Invoice {invoice.number}"),
    )
    doc.build(story)
    return buffer.getvalue()
