"""The organiser's admin for ticket types, orders, places, refunds and
Stripe events.

Orders, places and refunds change only through `tickets.services`: their
pages are read-only, and every change is an action (or a button on an
order's page) that calls a service and reports what it did.

Read-only pages: `has_change_permission(request, obj)` is False for a single
order, refund or non-confirmed ticket, so Django shows its "view" page with
no save button. Asked without an object it answers with the user's real
permission, which is what actions and the order's buttons check.
"""

from . import (  # noqa: F401 - registers
    badges,
    checkins,
    codes,
    emails,
    orders,
    refunds,
    reservations,
    ticket_types,
    tickets,
    waitlist,
)
