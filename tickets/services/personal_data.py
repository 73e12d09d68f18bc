"""One person's personal data, found by e-mail address: a copy of all of it
(a subject access request) and its erasure on request (UK GDPR articles 15
and 17).

A person is everyone who used the address: as a buyer, an attendee, an
invoice's billing contact, a recipient of e-mails, on a waiting list, or as
a sponsor's contact. Addresses match in any case.

Erasure uses tickets.services.retention's helpers, so an erased person
looks exactly like an attendee of an event past its retention period:
places, amounts, sectors, organisations and check-in times stay; names,
addresses, job titles, needs and consents go.

Erasure is refused while the person has something still going on that
needs their details: a live place at an event not over yet (cancel it
first: cancelling touches money and perhaps other people's places, so the
organiser does it on purpose, with its refund), an unpaid invoice (the
contact is needed to be paid) or a refund still to be made to them.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ..consents import CONSENTS, consent_wording
from ..models import (
    BadgeSheet,
    Email,
    Invoice,
    Order,
    OrderChange,
    Refund,
    Ticket,
    WaitlistEntry,
)
from .history import Actor, order_change_record
from .retention import (
    ANONYMISED_NAME,
    REMOVED_MESSAGE,
    admin_log_scrub,
    emails_anonymise,
    emails_data_scrub,
    history_scrub,
    invoices_contact_anonymise,
    order_buyer_anonymise,
    tickets_anonymise,
    waitlist_anonymise,
)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def normalise_email(email: str) -> str:
    return (email or "").strip()


@dataclass(frozen=True)
class Found:
    """Every row that holds the address."""

    orders: list[Order]
    tickets: list[Ticket]
    invoices: list[Invoice]
    emails: list[Email]
    waitlist: list[WaitlistEntry]
    sponsors: list

    def is_empty(self) -> bool:
        return not any(
            [
                self.orders,
                self.tickets,
                self.invoices,
                self.emails,
                self.waitlist,
                self.sponsors,
            ]
        )


def personal_data_find(*, email: str) -> Found:
    """Return everything held under `email` (nothing for a blank one)."""
    from sponsors.models import Sponsor

    email = normalise_email(email)
    if not email:
        return Found([], [], [], [], [], [])
    return Found(
        orders=list(
            Order.objects.filter(buyer_email__iexact=email)
            .select_related("event")
            .order_by("created_at", "pk")
        ),
        tickets=list(
            Ticket.objects.filter(email__iexact=email)
            .select_related("order", "event", "ticket_type")
            .order_by("created_at", "pk")
        ),
        invoices=list(
            Invoice.objects.filter(contact_email__iexact=email)
            .select_related("order")
            .order_by("issued_at", "pk")
        ),
        emails=list(
            Email.objects.filter(to_email__iexact=email).order_by("created_at", "pk")
        ),
        waitlist=list(
            WaitlistEntry.objects.filter(email__iexact=email)
            .select_related("event")
            .order_by("joined_at", "pk")
        ),
        sponsors=list(Sponsor.objects.filter(contact_email__iexact=email)),
    )


# -- the copy ----------------------------------------------------------------


def _history(changes) -> list[dict]:
    return [
        {
            "when": _iso(change.created_at),
            "who": change.actor,
            "action": change.action,
            "what": change.message,
        }
        for change in changes
    ]


def _consents(ticket: Ticket) -> dict:
    given = {}
    for consent in CONSENTS:
        at = getattr(ticket, f"{consent.field}_at")
        version = getattr(ticket, f"{consent.field}_version")
        given[consent.field.removesuffix("_consent")] = {
            "given": at is not None,
            "given_at": _iso(at),
            "wording_version": version or None,
            "wording": consent_wording(consent.field, version) if at else None,
        }
    return given


def personal_data_export(*, email: str, now: datetime | None = None) -> dict:
    """Return everything held about the person using `email`, as plain data
    (JSON-ready). Other people's details in the same orders are left out."""
    found = personal_data_find(email=email)
    return {
        "email": normalise_email(email),
        "exported_at": _iso(now or timezone.now()),
        "orders_as_buyer": [
            {
                "reference": order.reference,
                "event": order.event.name,
                "buyer_name": order.buyer_name,
                "buyer_email": order.buyer_email,
                "status": order.get_status_display(),
                "payment_method": order.get_payment_method_display(),
                "payment": order.get_payment_status_display(),
                "places": order.tickets.count(),
                "total_pence": order.total_pence,
                "paid_pence": order.paid_pence,
                "refunded_pence": order.refunded_pence,
                "currency": order.currency,
                "booked_at": _iso(order.created_at),
                "history": _history(order.changes.all()),
            }
            for order in found.orders
        ],
        "places_as_attendee": [
            {
                "order_reference": ticket.order.reference,
                "event": ticket.event.name,
                "ticket_type": ticket.ticket_type.name,
                "first_name": ticket.first_name,
                "last_name": ticket.last_name,
                "email": ticket.email,
                "organisation": ticket.organisation,
                "job_title": ticket.job_title,
                "sector": ticket.get_sector_display(),
                "access_needs": ticket.access_needs,
                "dietary_needs": ticket.dietary_needs,
                "status": ticket.get_status_display(),
                "price_pence": ticket.price_pence,
                "booked_at": _iso(ticket.created_at),
                "cancelled_at": _iso(ticket.cancelled_at),
                "checked_in_at": _iso(ticket.checked_in_at),
                "checked_in_door": ticket.checked_in_door,
                "consents": _consents(ticket),
                "door_scans": [
                    {
                        "when": _iso(scan.scanned_at),
                        "door": scan.door,
                        "result": scan.get_result_display(),
                    }
                    for scan in ticket.scans.order_by("scanned_at", "pk")
                ],
                "history": _history(
                    OrderChange.objects.filter(ticket=ticket).order_by(
                        "created_at", "pk"
                    )
                ),
            }
            for ticket in found.tickets
        ],
        "invoices_as_billing_contact": [
            {
                "number": invoice.number,
                "order_reference": invoice.order.reference,
                "organisation": invoice.organisation,
                "contact_name": invoice.contact_name,
                "contact_email": invoice.contact_email,
                "address": invoice.address,
                "purchase_order": invoice.po_number,
                "issued_at": _iso(invoice.issued_at),
                "paid_at": _iso(invoice.paid_at),
            }
            for invoice in found.invoices
        ],
        "emails_sent": [
            {
                "kind": email.get_kind_display(),
                "to": email.to_email,
                "name": email.to_name,
                "subject": email.subject,
                "status": email.get_status_display(),
                "queued_at": _iso(email.created_at),
                "sent_at": _iso(email.sent_at),
            }
            for email in found.emails
        ],
        "waiting_lists": [
            {
                "event": entry.event.name,
                "name": entry.name,
                "email": entry.email,
                "organisation": entry.organisation,
                "status": entry.get_status_display(),
                "joined_at": _iso(entry.joined_at),
            }
            for entry in found.waitlist
        ],
        "sponsor_contact_for": [
            {
                "sponsor": sponsor.name,
                "contact_name": sponsor.contact_name,
                "contact_email": sponsor.contact_email,
            }
            for sponsor in found.sponsors
        ],
    }


# -- erasure -----------------------------------------------------------------


def personal_data_erase_blockers(
    *, email: str, now: datetime | None = None
) -> list[str]:
    """Return why the person cannot be erased yet (empty: they can)."""
    now = now or timezone.now()
    email = normalise_email(email)
    if not email:
        return []
    reasons = []
    live = Q(status__in=[Ticket.Status.CONFIRMED, Ticket.Status.HELD])
    for ticket in Ticket.objects.filter(
        live, email__iexact=email, event__ends_at__gte=now
    ).select_related("order", "event"):
        reasons.append(
            _(
                "%(name)s has a place at %(event)s (%(reference)s). Cancel it "
                "first, from the order's page."
            )
            % {
                "name": ticket.full_name,
                "event": ticket.event.name,
                "reference": ticket.order.reference,
            }
        )
    for order in Order.objects.filter(
        buyer_email__iexact=email,
        status__in=[Order.Status.CONFIRMED, Order.Status.PENDING],
        event__ends_at__gte=now,
        tickets__status__in=[Ticket.Status.CONFIRMED, Ticket.Status.HELD],
    ).distinct():
        reasons.append(
            _(
                "They booked %(reference)s for %(event)s, which still has "
                "places. Cancel them, or wait until the event is over."
            )
            % {"reference": order.reference, "event": order.event.name}
        )
    awaiting = Q(order__buyer_email__iexact=email) | Q(contact_email__iexact=email)
    for invoice in Invoice.objects.filter(
        awaiting, order__payment_status=Order.PaymentStatus.AWAITING
    ).select_related("order"):
        reasons.append(
            _("Invoice %(number)s (%(reference)s) is not paid yet.")
            % {"number": invoice.number, "reference": invoice.order.reference}
        )
    for refund in Refund.objects.filter(
        order__buyer_email__iexact=email, status=Refund.Status.PENDING
    ).select_related("order"):
        reasons.append(
            _("A refund for %(reference)s is still to be made to them.")
            % {"reference": refund.order.reference}
        )
    return reasons


@dataclass(frozen=True)
class Erased:
    orders: int
    tickets: int
    invoices: int
    emails: int
    waitlist: int
    sponsors: int


class ErasureRefused(Exception):
    def __init__(self, reasons: list[str]):
        super().__init__(" ".join(reasons))
        self.reasons = reasons


def personal_data_erase(
    *, email: str, actor: Actor, now: datetime | None = None
) -> Erased:
    """Remove every trace of `email` and of the names used with it, and note
    in each order's history that a person was erased (without who).

    Raises ErasureRefused while personal_data_erase_blockers has reasons."""
    from sponsors.services import sponsor_contact_erase

    now = now or timezone.now()
    email = normalise_email(email)
    live = WaitlistEntry.objects.filter(
        email__iexact=email, status__in=WaitlistEntry.LIVE
    )
    if live.exists():
        from .waitlist import entry_remove

        for entry in live:
            # Off the list first (a live offer's place goes to the next one).
            entry_remove(entry_id=entry.pk, now=now)
    with transaction.atomic():
        blockers = personal_data_erase_blockers(email=email, now=now)
        if blockers:
            raise ErasureRefused(blockers)
        found = personal_data_find(email=email)
        buyer_orders = list(
            Order.objects.select_for_update().filter(
                pk__in=[order.pk for order in found.orders]
            )
        )
        words = {email}
        words |= {order.buyer_name for order in buyer_orders}
        words |= {ticket.full_name for ticket in found.tickets}
        words |= {invoice.contact_name for invoice in found.invoices}
        words |= {row.to_name for row in found.emails}
        words |= {entry.name for entry in found.waitlist}
        words = {w.strip() for w in words if w and len(w.strip()) >= 3}
        words.discard(ANONYMISED_NAME)

        order_ids = (
            {order.pk for order in buyer_orders}
            | {ticket.order_id for ticket in found.tickets}
            | {invoice.order_id for invoice in found.invoices}
            | {row.order_id for row in found.emails if row.order_id}
        )
        orders = list(Order.objects.filter(pk__in=order_ids).order_by("pk"))

        history_scrub(orders=orders, words=words, everything_named=False)
        OrderChange.objects.filter(ticket__in=found.tickets).exclude(
            action="personal_data_removed"
        ).update(message=REMOVED_MESSAGE)
        emails_data_scrub(orders=orders, words=words)
        tickets_anonymise(tickets=found.tickets, now=now)
        for order in buyer_orders:
            order_buyer_anonymise(order=order, now=now)
        invoices = invoices_contact_anonymise(order_ids=list(order_ids), email=email)
        emails = emails_anonymise(emails=Email.objects.filter(to_email__iexact=email))
        waitlist = waitlist_anonymise(
            entries=WaitlistEntry.objects.filter(email__iexact=email)
        )
        BadgeSheet.objects.filter(
            event_id__in={ticket.event_id for ticket in found.tickets}
        ).delete()
        admin_log_scrub(orders=buyer_orders, tickets=found.tickets)
        sponsors = sponsor_contact_erase(email=email)
        for order in orders:
            order_change_record(
                order=order,
                actor=actor,
                action="personal_data_erased",
                message=_("One person's personal data was erased at their request."),
            )
    return Erased(
        orders=len(buyer_orders),
        tickets=len(found.tickets),
        invoices=invoices,
        emails=emails,
        waitlist=waitlist,
        sponsors=sponsors,
    )
