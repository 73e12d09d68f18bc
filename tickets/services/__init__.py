"""Business rules for orders and places. Views, admin and tasks call these."""

from .attendees import ticket_attendee_change
from .cancellations import order_amount_due, order_cancel
from .errors import (
    BookingBusy,
    BookingClosed,
    BookingError,
    ChangeNotAllowed,
    InvalidBooking,
    PaymentNotAvailable,
    PaymentStartFailed,
    SoldOut,
)
from .history import Actor, order_change_record
from .holds import holds_expire, order_hold_release
from .invoices import invoice_mark_paid
from .orders import AttendeeDetails, BillingDetails, OrderLine, order_create
from .payments import (
    Outcome,
    checkout_abandon,
    checkout_payment_failed,
    checkout_session_sync,
    checkout_start,
    payment_confirm,
    stripe_event_process,
)
from .refunds import refund_make, refund_mark_done, refunds_retry_pending

__all__ = [
    "Actor",
    "AttendeeDetails",
    "BillingDetails",
    "BookingBusy",
    "BookingClosed",
    "BookingError",
    "ChangeNotAllowed",
    "InvalidBooking",
    "OrderLine",
    "Outcome",
    "PaymentNotAvailable",
    "PaymentStartFailed",
    "SoldOut",
    "checkout_abandon",
    "checkout_payment_failed",
    "checkout_session_sync",
    "checkout_start",
    "holds_expire",
    "invoice_mark_paid",
    "order_amount_due",
    "order_cancel",
    "order_change_record",
    "order_create",
    "order_hold_release",
    "payment_confirm",
    "refund_make",
    "refund_mark_done",
    "refunds_retry_pending",
    "stripe_event_process",
    "ticket_attendee_change",
]
