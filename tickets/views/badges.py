"""Badge downloads from the buyer's manage-my-booking link: each confirmed
place's badge as a PDF to print or a PNG to show on a phone."""

from django.http import Http404, HttpResponse
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from ..badges import badge_pdf, badge_png
from ..models import Order, Ticket
from .manage import order_for_link


def _confirmed_ticket(reference: str, secret: str, ticket_id: int) -> Ticket:
    order = order_for_link(reference, secret)
    if order.status != Order.Status.CONFIRMED:
        raise Http404
    for ticket in order.tickets.all():
        if ticket.pk == ticket_id and ticket.status == Ticket.Status.CONFIRMED:
            ticket.event = order.event  # already loaded with the order
            return ticket
    raise Http404


def _attachment(content: bytes, content_type: str, ticket: Ticket, extension: str):
    response = HttpResponse(content, content_type=content_type)
    name = slugify(ticket.last_name) or slugify(ticket.first_name) or str(ticket.pk)
    response["Content-Disposition"] = f'attachment; filename="badge-{name}.{extension}"'
    # The badge carries the ticket's secret: keep it out of shared caches.
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def badge_pdf_download(request, reference, secret, ticket_id):
    ticket = _confirmed_ticket(reference, secret, ticket_id)
    return _attachment(badge_pdf(ticket), "application/pdf", ticket, "pdf")


@require_GET
def badge_png_download(request, reference, secret, ticket_id):
    ticket = _confirmed_ticket(reference, secret, ticket_id)
    return _attachment(badge_png(ticket), "image/png", ticket, "png")
