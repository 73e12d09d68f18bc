"""Invoices: the organiser records that one has been paid."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Order
from ..money import format_pence
from .cancellations import order_amount_due
from .history import Actor, order_change_record


def invoice_mark_paid(*, order_id: int, actor: Actor, note: str = "") -> bool:
    """Record payment of an order's invoice. Returns False, changing nothing,
    if the order is not an invoice awaiting payment."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        if (
            order.payment_method != Order.PaymentMethod.INVOICE
            or order.payment_status != Order.PaymentStatus.AWAITING
            or order.status != Order.Status.CONFIRMED
        ):
            return False
        amount = order_amount_due(order=order)
        order.paid_pence += amount
        order.payment_status = Order.PaymentStatus.PAID
        order.save(update_fields=["paid_pence", "payment_status", "updated_at"])
        invoice = order.invoice
        invoice.paid_at = timezone.now()
        invoice.payment_note = note[:200]
        invoice.save(update_fields=["paid_at", "payment_note"])
        order_change_record(
            order=order,
            actor=actor,
            action="invoice_paid",
            message=_("Invoice %(number)s marked paid (%(amount)s).")
            % {
                "number": invoice.number,
                "amount": format_pence(amount, order.currency),
            },
        )
        return True
