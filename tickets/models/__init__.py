"""Tickets' tables: ticket types, orders and their places, payments and
refunds, the e-mail outbox and badge print sheets."""

from .badges import BadgeSheet
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

__all__ = [
    "MAX_PLACES_PER_ORDER",
    "BadgeRole",
    "BadgeSheet",
    "Broadcast",
    "Email",
    "Invoice",
    "Order",
    "OrderChange",
    "Refund",
    "RevokedSecret",
    "StripeEvent",
    "Ticket",
    "TicketType",
    "new_secret",
    "new_ticket_secret",
]
