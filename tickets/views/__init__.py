"""Views: parse the request, call one service, respond."""

from .attendees import attendee_list
from .badges import badge_pdf_download, badge_png_download
from .booking import (
    attendee_details,
    availability_json,
    buyer_details,
    check_answers,
    choose_places,
    code_apply,
    confirmation,
    invoice_details,
    payment_method,
    reservation_cancel,
)
from .manage import cancel, invoice_download, manage, ticket_change
from .payments import payment_cancel, payment_return, stripe_webhook
from .waitlist import offer, waitlist_join_view, waitlist_joined

__all__ = [
    "attendee_details",
    "attendee_list",
    "availability_json",
    "badge_pdf_download",
    "badge_png_download",
    "buyer_details",
    "cancel",
    "check_answers",
    "choose_places",
    "reservation_cancel",
    "code_apply",
    "confirmation",
    "invoice_details",
    "invoice_download",
    "manage",
    "offer",
    "payment_cancel",
    "payment_method",
    "payment_return",
    "stripe_webhook",
    "ticket_change",
    "waitlist_join_view",
    "waitlist_joined",
]
