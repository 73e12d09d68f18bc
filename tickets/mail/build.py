"""Build the message for an outbox row, from the order as it is now.

Each kind of e-mail has a function giving its subject, template context and
attachments; `templates/emails/<kind>.txt` and `.html` are its plain-text
and HTML bodies.
"""

from dataclasses import dataclass, field
from email.mime.image import MIMEImage
from email.utils import formataddr
from urllib.parse import quote_plus

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from ..badges import badge_pdf, qr_png
from ..invoice_pdf import invoice_pdf
from ..models import Email, Refund, Ticket
from ..money import format_pence
from .calendar import event_ics, venue_one_line

Kind = Email.Kind


@dataclass
class Attachment:
    filename: str
    content: bytes
    mimetype: str


@dataclass
class Content:
    subject: str
    context: dict = field(default_factory=dict)
    attachments: list[Attachment] = field(default_factory=list)
    # Tickets whose QR code is shown in the HTML body (as cid:qr-<pk>).
    qr_tickets: list[Ticket] = field(default_factory=list)


def absolute(path: str) -> str:
    return settings.PSDM_SITE_URL + path


def message_build(email: Email) -> EmailMultiAlternatives:
    content = BUILDERS[email.kind](email)
    context = {**_common_context(email), **content.context}
    context["subject"] = content.subject
    text = render_to_string(f"emails/{email.kind}.txt", context)
    html = render_to_string(f"emails/{email.kind}.html", context)
    message = EmailMultiAlternatives(
        subject=content.subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[formataddr((email.to_name, email.to_email))],
        headers={"Message-ID": email.message_id, "Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(html, "text/html")
    for ticket in content.qr_tickets:
        image = MIMEImage(qr_png(ticket.secret), "png")
        image.add_header("Content-ID", f"<qr-{ticket.pk}>")
        image.add_header(
            "Content-Disposition", "inline", filename=f"qr-{ticket.pk}.png"
        )
        message.attach(image)
    for attachment in content.attachments:
        message.attach(attachment.filename, attachment.content, attachment.mimetype)
    return message


def _common_context(email: Email) -> dict:
    order = email.order
    if order is not None:
        event = order.event
    elif email.broadcast_id:
        event = email.broadcast.event
    else:
        event = email.waitlist_offer.event
    return {
        "email": email,
        "site_name": settings.PSDM_SITE_NAME,
        "site_url": settings.PSDM_SITE_URL,
        "name": email.to_name,
        "order": order,
        "event": event,
        "event_url": absolute(event.get_absolute_url()),
        "venue": venue_one_line(event),
        "map_url": "https://www.google.com/maps/search/?api=1&query="
        + quote_plus(venue_one_line(event)),
    }


def _manage_url(order) -> str:
    return absolute(order.get_absolute_url())


def _live_tickets(order) -> list[Ticket]:
    return list(
        order.tickets.filter(status=Ticket.Status.CONFIRMED).select_related(
            "ticket_type"
        )
    )


def _badge(ticket: Ticket) -> Attachment:
    name = slugify(ticket.full_name) or "attendee"
    return Attachment(f"badge-{name}.pdf", badge_pdf(ticket), "application/pdf")


def _invite(order_or_event, url: str) -> Attachment:
    event = getattr(order_or_event, "event", order_or_event)
    return Attachment(
        "invite.ics", event_ics(event, url=url), "text/calendar; method=PUBLISH"
    )


def _ticket_email(ticket: Ticket, subject: str, **context) -> Content:
    """One attendee's place: their badge attached and its QR code inline."""
    order = ticket.order
    url = absolute(order.event.get_absolute_url())
    return Content(
        subject=subject,
        context={"ticket": ticket, **context},
        attachments=[_badge(ticket), _invite(order, url)],
        qr_tickets=[ticket],
    )


def confirmation(email: Email) -> Content:
    order = email.order
    tickets = _live_tickets(order)
    manage = _manage_url(order)
    return Content(
        subject=_("Booking confirmed: %(event)s (%(reference)s)")
        % {"event": order.event.name, "reference": order.reference},
        context={
            "tickets": tickets,
            "manage_url": manage,
            "invoice": getattr(order, "invoice", None),
            "total": format_pence(order.total_pence, order.currency, short=True),
        },
        attachments=[*map(_badge, tickets), _invite(order, manage)],
        qr_tickets=tickets,
    )


def attendee_ticket(email: Email) -> Content:
    ticket = email.ticket
    return _ticket_email(
        ticket, _("Your place at %(event)s") % {"event": ticket.event.name}
    )


def transfer_new(email: Email) -> Content:
    ticket = email.ticket
    return _ticket_email(
        ticket,
        _("A place at %(event)s has been passed to you") % {"event": ticket.event.name},
        old_name=email.data.get("old_name", ""),
    )


def reminder(email: Email) -> Content:
    ticket = email.ticket
    return _ticket_email(
        ticket, _("Reminder: %(event)s is coming up") % {"event": ticket.event.name}
    )


def transfer_old(email: Email) -> Content:
    return Content(
        subject=_("Your place at %(event)s has been passed on")
        % {"event": email.order.event.name},
        context={"new_name": email.data.get("new_name", "")},
    )


def cancellation(email: Email) -> Content:
    order = email.order
    data = email.data
    tickets = list(
        order.tickets.filter(pk__in=data.get("ticket_ids", [])).select_related(
            "ticket_type"
        )
    )
    if data.get("attendee"):
        subject = _("Your place at %(event)s has been cancelled")
    elif data.get("whole"):
        subject = _("Booking cancelled: %(event)s (%(reference)s)")
    else:
        subject = _("Places cancelled: %(event)s (%(reference)s)")
    return Content(
        subject=subject % {"event": order.event.name, "reference": order.reference},
        context={
            "tickets": tickets,
            "whole": data.get("whole"),
            "attendee": data.get("attendee"),
            "refund": format_pence(
                data.get("refund_pence", 0), order.currency, short=True
            )
            if data.get("refund_pence")
            else "",
            "refund_by_card": data.get("refund_method") == Refund.Method.CARD,
            "invoice_void": data.get("invoice_void"),
            "manage_url": _manage_url(order),
        },
    )


def refund(email: Email) -> Content:
    order = email.order
    made = Refund.objects.get(pk=email.data["refund_id"], order=order)
    amount = format_pence(made.amount_pence, order.currency, short=True)
    return Content(
        subject=_("Refund of %(amount)s: %(event)s (%(reference)s)")
        % {"amount": amount, "event": order.event.name, "reference": order.reference},
        context={
            "refund": made,
            "amount": amount,
            "by_card": made.method == Refund.Method.CARD,
            "manage_url": _manage_url(order),
        },
    )


def invoice(email: Email) -> Content:
    order = email.order
    issued = order.invoice
    return Content(
        subject=_("Invoice %(number)s: %(event)s")
        % {"number": issued.number, "event": order.event.name},
        context={
            "invoice": issued,
            "total": format_pence(order.total_pence, order.currency, short=True),
            "invoice_url": absolute(
                reverse(
                    "tickets:invoice_pdf",
                    kwargs={"reference": order.reference, "secret": order.secret},
                )
            ),
        },
        attachments=[
            Attachment(f"{issued.number}.pdf", invoice_pdf(issued), "application/pdf")
        ],
    )


def broadcast(email: Email) -> Content:
    message = email.broadcast
    return Content(subject=message.subject, context={"broadcast": message})


def _offer_deadline(offer) -> str:
    """The time to book by, in UK time, as people say it: "2:30pm on
    Friday 27 September 2024"."""
    local = timezone.localtime(offer.expires_at)
    hour = local.strftime("%I").lstrip("0") or "12"
    minutes = f":{local:%M}" if local.minute else ""
    day = f"{local:%A} {local.day} {local:%B %Y}"
    return f"{hour}{minutes}{local:%p}".lower() + " on " + day


def waitlist_offer(email: Email) -> Content:
    offer = email.waitlist_offer
    return Content(
        subject=_("A place at %(event)s is free for you") % {"event": offer.event.name},
        context={
            "offer": offer,
            "offer_url": absolute(
                reverse("tickets:offer", kwargs={"token": offer.token})
            ),
            "deadline": _offer_deadline(offer),
        },
    )


def waitlist_expired(email: Email) -> Content:
    offer = email.waitlist_offer
    return Content(
        subject=_("Your offer of a place at %(event)s has passed on")
        % {"event": offer.event.name},
        context={
            "offer": offer,
            "deadline": _offer_deadline(offer),
            "waitlist_url": absolute(
                reverse("tickets:waitlist_join", kwargs={"slug": offer.event.slug})
            ),
        },
    )


BUILDERS = {
    Kind.CONFIRMATION: confirmation,
    Kind.ATTENDEE_TICKET: attendee_ticket,
    Kind.CANCELLATION: cancellation,
    Kind.REFUND: refund,
    Kind.TRANSFER_NEW: transfer_new,
    Kind.TRANSFER_OLD: transfer_old,
    Kind.INVOICE: invoice,
    Kind.REMINDER: reminder,
    Kind.BROADCAST: broadcast,
    Kind.WAITLIST_OFFER: waitlist_offer,
    Kind.WAITLIST_EXPIRED: waitlist_expired,
}
