"""Manage my booking: the buyer's unguessable link to see, change, pass on
and cancel their places, and download the invoice."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from ..consents import CONSENT_FIELDS
from ..forms import AttendeeForm
from ..invoice_pdf import invoice_pdf
from ..models import Order, Ticket
from ..selectors import order_with_tickets
from ..services import (
    Actor,
    AttendeeDetails,
    BookingError,
    order_amount_due,
    order_cancel,
    ticket_attendee_change,
)


def order_for_link(reference: str, secret: str) -> Order:
    """The order a manage-my-booking link is for, or 404 for any wrong part
    (the same answer either way, so links cannot be probed)."""
    order = order_with_tickets(reference=reference)
    if order is None or not constant_time_compare(order.secret, secret):
        raise Http404
    return order


def order_holds_a_place(order: Order) -> bool:
    """Whether the booking still has a confirmed place (its holder may see
    the attendee list)."""
    return order.status == Order.Status.CONFIRMED and any(
        ticket.status == Ticket.Status.CONFIRMED for ticket in order.tickets.all()
    )


def _ticket(order: Order, ticket_id: int) -> Ticket:
    for ticket in order.tickets.all():
        if ticket.pk == ticket_id:
            return ticket
    raise Http404


@never_cache
@require_GET
def manage(request, reference, secret):
    order = order_for_link(reference, secret)
    event = order.event
    live = [t for t in order.tickets.all() if t.status != Ticket.Status.CANCELLED]
    confirmed = order.status == Order.Status.CONFIRMED
    return render(
        request,
        "tickets/manage.html",
        {
            "order": order,
            "event": event,
            "live_tickets": live,
            "cancelled_tickets": [t for t in order.tickets.all() if t not in live],
            "can_change": confirmed and event.allows_changes(),
            "can_see_attendees": order_holds_a_place(order),
            "can_cancel": confirmed and event.allows_cancellation(),
            "amount_due": order_amount_due(order=order),
            "invoice": getattr(order, "invoice", None),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def ticket_change(request, reference, secret, ticket_id, transfer=False):
    order = order_for_link(reference, secret)
    ticket = _ticket(order, ticket_id)
    if not (
        order.status == Order.Status.CONFIRMED
        and ticket.status == Ticket.Status.CONFIRMED
        and order.event.allows_changes()
    ):
        messages.error(request, _("This place can no longer be changed online."))
        return redirect(order)
    initial = (
        {}
        if transfer
        else {
            **{f: getattr(ticket, f) for f in AttendeeForm.Meta.fields},
            **{c: getattr(ticket, f"{c}_at") is not None for c in CONSENT_FIELDS},
        }
    )
    form = AttendeeForm(
        request.POST if request.method == "POST" else None, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        details = AttendeeDetails(
            **{key: form.cleaned_data[key] for key in AttendeeForm.Meta.fields},
            **form.consent_values(),
        )
        try:
            ticket_attendee_change(
                order_id=order.pk,
                ticket_id=ticket.pk,
                details=details,
                actor=Actor.buyer(),
                transfer=transfer,
                consents=True,
            )
        except BookingError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("The place has been passed on.")
                if transfer
                else _("The attendee's details have been changed."),
            )
            return redirect(order)
    return render(
        request,
        "tickets/ticket_change.html",
        {
            "order": order,
            "event": order.event,
            "ticket": ticket,
            "form": form,
            "transfer": transfer,
            "back_url": order.get_absolute_url(),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def cancel(request, reference, secret, ticket_id=None):
    """Ask, then cancel the whole booking or one place in it."""
    order = order_for_link(reference, secret)
    ticket = _ticket(order, ticket_id) if ticket_id is not None else None
    error = None
    if request.method == "POST":
        try:
            order_cancel(
                order_id=order.pk,
                actor=Actor.buyer(),
                ticket_ids=[ticket.pk] if ticket else None,
            )
        except BookingError as exc:
            error = exc.message
        else:
            messages.success(
                request,
                _("The place has been cancelled.")
                if ticket
                else _("Your booking has been cancelled."),
            )
            return redirect(order)
    elif not (
        order.status == Order.Status.CONFIRMED and order.event.allows_cancellation()
    ):
        messages.error(request, _("This booking can no longer be cancelled online."))
        return redirect(order)
    tickets = (
        [ticket]
        if ticket
        else [t for t in order.tickets.all() if t.status != Ticket.Status.CANCELLED]
    )
    return render(
        request,
        "tickets/cancel.html",
        {
            "order": order,
            "event": order.event,
            "ticket": ticket,
            "tickets": tickets,
            "refund_pence": sum(t.price_pence for t in tickets)
            if order.paid_pence
            else 0,
            "error": error,
            "back_url": order.get_absolute_url(),
        },
        status=409 if error else 200,
    )


@never_cache
@require_GET
def invoice_download(request, reference, secret):
    order = order_for_link(reference, secret)
    invoice = getattr(order, "invoice", None)
    if invoice is None:
        raise Http404
    response = HttpResponse(invoice_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{invoice.number}.pdf"'
    return response
