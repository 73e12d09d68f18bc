"""Tickets' tables: ticket types, orders and their places, payments and
refunds, the e-mail outbox, badge print sheets and the door's scan log."""

from .badges import BadgeSheet
from .checkins import DoorDevice, Scan
from .codes import Code, code_normalise
from .emails import Broadcast, Email
from .orders import (
    MAX_PLACES_PER_ORDER,
    BadgeRole,
    Invoice,
    Order,
    OrderChange,
    Refund,
    RevokedSecret,
    StripeEvent,
    Ticket,
    TicketType,
    new_secret,
    new_ticket_secret,
)
from .reservations import Reservation, ReservationLine
from .retention import EventAnonymisation
from .waitlist import WaitlistEntry, WaitlistOffer

__all__ = [
    "MAX_PLACES_PER_ORDER",
    "BadgeRole",
    "BadgeSheet",
    "Broadcast",
    "Code",
    "DoorDevice",
    "Email",
    "EventAnonymisation",
    "Invoice",
    "Order",
    "OrderChange",
    "Refund",
    "Reservation",
    "ReservationLine",
    "RevokedSecret",
    "Scan",
    "StripeEvent",
    "Ticket",
    "TicketType",
    "WaitlistEntry",
    "WaitlistOffer",
    "code_normalise",
    "new_secret",
    "new_ticket_secret",
]
