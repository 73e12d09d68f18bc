"""Which e-mails a change to an order causes. Each function is called inside
the transaction that makes the change, so the e-mails are saved with it (or
not at all); the outbox sends them after the commit."""

from django.db import transaction
from django.utils.translation import gettext as _

from ..models import Email, Order, Refund, Ticket
from .history import order_change_record
from .outbox import email_queue, emails_queue_new

Kind = Email.Kind


def _is_buyer(order: Order, email: str) -> bool:
    return email.strip().casefold() == order.buyer_email.strip().casefold()


def order_confirmed_notify(
    *, order: Order, tickets: list[Ticket], new: bool = False
) -> None:
    """The buyer gets the confirmation with every badge; each attendee with
    an address of their own gets their place and badge; an invoice goes to
    the billing contact. `new`: the order was made in this transaction, so
    its e-mails are written in one statement."""
    emails = [
        {
            "kind": Kind.CONFIRMATION,
            "key": f"confirmation:{order.pk}",
            "to_email": order.buyer_email,
            "to_name": order.buyer_name,
            "order": order,
        }
    ]
    for ticket in tickets:
        if not _is_buyer(order, ticket.email):
            emails.append(
                {
                    "kind": Kind.ATTENDEE_TICKET,
                    "key": f"attendee_ticket:{ticket.pk}",
                    "to_email": ticket.email,
                    "to_name": ticket.full_name,
                    "order": order,
                    "ticket": ticket,
                }
            )
    if order.payment_method == Order.PaymentMethod.INVOICE:
        invoice = getattr(order, "invoice", None)
        if invoice is not None:
            emails.append(
                {
                    "kind": Kind.INVOICE,
                    "key": f"invoice:{order.pk}",
                    "to_email": invoice.contact_email,
                    "to_name": invoice.contact_name,
                    "order": order,
                }
            )
    if new:
        emails_queue_new(emails)
        return
    for email in emails:
        email_queue(**email)


def order_confirmation_resend(*, order_id: int, actor) -> bool:
    """Send a confirmed order's confirmation again (the buyer lost it, or it
    went to a mistyped address that has since been corrected). Returns False
    for an order that is not confirmed."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        if order.status != Order.Status.CONFIRMED:
            return False
        change = order_change_record(
            order=order,
            actor=actor,
            action="confirmation_resent",
            message=_("Confirmation e-mail sent again to %(email)s.")
            % {"email": order.buyer_email},
        )
        email_queue(
            kind=Kind.CONFIRMATION,
            key=f"confirmation:{order.pk}:again:{change.pk}",
            to_email=order.buyer_email,
            to_name=order.buyer_name,
            order=order,
        )
        return True


def tickets_cancelled_notify(
    *, order: Order, tickets: list[Ticket], whole: bool, refund: Refund | None
) -> None:
    """The buyer is told what was cancelled and what happens to the money;
    attendees with their own address are told their place has gone."""
    ids = sorted(ticket.pk for ticket in tickets)
    key = f"cancellation:{order.pk}:{','.join(map(str, ids))}"[:180]
    data = {
        "ticket_ids": ids,
        "whole": whole,
        "refund_pence": refund.amount_pence if refund else 0,
        "refund_method": refund.method if refund else "",
        "invoice_void": order.payment_status == Order.PaymentStatus.VOID,
    }
    email_queue(
        kind=Kind.CANCELLATION,
        key=key,
        to_email=order.buyer_email,
        to_name=order.buyer_name,
        order=order,
        data=data,
    )
    for ticket in tickets:
        if not _is_buyer(order, ticket.email):
            email_queue(
                kind=Kind.CANCELLATION,
                key=f"{key}:t{ticket.pk}",
                to_email=ticket.email,
                to_name=ticket.full_name,
                order=order,
                ticket=ticket,
                data={**data, "ticket_ids": [ticket.pk], "attendee": True},
            )


def refund_made_notify(*, refund: Refund) -> None:
    """Money has gone back to the buyer (card, or bank transfer)."""
    order = refund.order
    email_queue(
        kind=Kind.REFUND,
        key=f"refund:{refund.pk}",
        to_email=order.buyer_email,
        to_name=order.buyer_name,
        order=order,
        data={"refund_id": refund.pk},
    )


def ticket_passed_on_notify(
    *, ticket: Ticket, old_name: str, old_email: str, change_id: int
) -> None:
    """A place was passed to someone else: the new attendee gets the badge;
    the old one learns that their badge no longer works."""
    email_queue(
        kind=Kind.TRANSFER_NEW,
        key=f"transfer_new:{ticket.pk}:{change_id}",
        to_email=ticket.email,
        to_name=ticket.full_name,
        order=ticket.order,
        ticket=ticket,
        data={"old_name": old_name},
    )
    if old_email.strip().casefold() != ticket.email.strip().casefold():
        email_queue(
            kind=Kind.TRANSFER_OLD,
            key=f"transfer_old:{ticket.pk}:{change_id}",
            to_email=old_email,
            to_name=old_name,
            order=ticket.order,
            ticket=ticket,
            data={"old_name": old_name, "new_name": ticket.full_name},
        )
