"""Removing attendees' personal data a set number of days after an event.

`personal_data_anonymise_due` (a daily Celery beat task and the
`anonymise_past_events` command) finds the events that ended more than
PSDM_RETENTION_DAYS ago and not yet done; `event_personal_data_anonymise`
replaces, for one event, everything that names or reaches a person:

- buyers' names and e-mails; attendees' names, e-mails, job titles,
  dietary and access needs;
- invoices' contact names and e-mails (the invoice number, amounts, paying
  organisation, its address and purchase order stay: UK law asks us to keep
  invoices for six years);
- the e-mail outbox's recipients, names and saved details; e-mails not sent
  yet are marked failed;
- waiting list entries' names and addresses;
- order history lines and refund reasons that held a name or an address;
- badge print sheets (the PDFs have names on them).

What the organiser counts stays: orders, places, ticket types, sectors,
organisations, statuses, prices, totals, payments, refunds and check-in
times. Each order and place gets `anonymised_at`, and the event an
`EventAnonymisation` row, written in the same transaction, so running it
twice changes nothing.

`tickets.services.personal_data` uses the same helpers to erase one person.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from events.models import Event

from ..models import (
    BadgeSheet,
    Email,
    EventAnonymisation,
    Invoice,
    Order,
    OrderChange,
    Refund,
    Ticket,
    WaitlistEntry,
)
from .history import Actor, order_change_record

# Stored in place of a name. Plain text, not translated: it is data.
ANONYMISED_NAME = "Anonymised"
REMOVED_MESSAGE = "Details removed: they named a person."
# Order history actions whose message always names someone or holds free
# text from the organiser.
NAMING_ACTIONS = {"cancelled", "transferred", "details_changed", "ticket_type_changed"}


@dataclass(frozen=True)
class Plan:
    """What anonymising one event changes (or changed)."""

    event: Event
    orders: int
    tickets: int
    emails: int


def retention_cutoff(*, now: datetime | None = None) -> datetime | None:
    """Return the moment before which an event must have ended to be
    anonymised, or None when PSDM_RETENTION_DAYS is 0 (switched off)."""
    days = settings.PSDM_RETENTION_DAYS
    if days <= 0:
        return None
    return (now or timezone.now()) - timedelta(days=days)


def events_due(*, now: datetime | None = None) -> list[Event]:
    """Return the events that ended before the cut-off and are not done yet."""
    cutoff = retention_cutoff(now=now)
    if cutoff is None:
        return []
    done = EventAnonymisation.objects.values("event_id")
    return list(
        Event.objects.filter(ends_at__lt=cutoff)
        .exclude(pk__in=done)
        .order_by("ends_at", "pk")
    )


def event_personal_data_plan(*, event: Event) -> Plan:
    """Count what anonymising `event` would change."""
    return Plan(
        event=event,
        orders=Order.objects.filter(event=event, anonymised_at__isnull=True).count(),
        tickets=Ticket.objects.filter(event=event, anonymised_at__isnull=True).count(),
        emails=_event_emails(event).exclude(to_email="").count(),
    )


def personal_data_anonymise_due(
    *, now: datetime | None = None, dry_run: bool = False
) -> list[Plan]:
    """Anonymise every event that is due (with `dry_run`, only say what
    would be done). Returns one Plan per event."""
    plans = []
    for event in events_due(now=now):
        if dry_run:
            plans.append(event_personal_data_plan(event=event))
        else:
            plans.append(event_personal_data_anonymise(event_id=event.pk))
    return plans


def event_personal_data_anonymise(
    *, event_id: int, now: datetime | None = None
) -> Plan:
    """Remove the personal data of one event's buyers and attendees.

    Idempotent: rows already anonymised are left alone, and an event done
    before is skipped (its Plan counts nothing)."""
    now = now or timezone.now()
    with transaction.atomic():
        event = Event.objects.select_for_update().get(pk=event_id)
        if EventAnonymisation.objects.filter(event=event).exists():
            return Plan(event=event, orders=0, tickets=0, emails=0)
        plan = event_personal_data_plan(event=event)
        # Every order, also those whose buyer was erased on request before:
        # their other attendees, invoice and history are still to do.
        orders = list(
            Order.objects.filter(event=event).select_for_update().order_by("pk")
        )
        for order in orders:
            tickets = list(order.tickets.all())
            words = order_personal_words(order=order, tickets=tickets)
            history_scrub(orders=[order], words=words, everything_named=True)
            tickets_anonymise(
                tickets=[ticket for ticket in tickets if ticket.anonymised_at is None],
                now=now,
            )
            if order.anonymised_at is None:
                order_buyer_anonymise(order=order, now=now)
            invoices_contact_anonymise(order_ids=[order.pk])
            order_change_record(
                order=order,
                actor=Actor.system(),
                action="personal_data_removed",
                message=_(
                    "Personal data removed %(days)d days after the event; "
                    "places, amounts and check-in times kept."
                )
                % {"days": settings.PSDM_RETENTION_DAYS},
            )
            admin_log_scrub(orders=[order], tickets=tickets)
        emails_anonymise(emails=_event_emails(event))
        waitlist_anonymise(entries=WaitlistEntry.objects.filter(event=event))
        BadgeSheet.objects.filter(event=event).delete()
        EventAnonymisation.objects.create(
            event=event,
            anonymised_at=now,
            orders=plan.orders,
            tickets=plan.tickets,
            emails=plan.emails,
        )
    return plan


# -- helpers shared with tickets.services.personal_data -----------------------


def _event_emails(event: Event):
    return Email.objects.filter(
        Q(order__event=event) | Q(ticket__event=event) | Q(broadcast__event=event)
    )


def order_personal_words(*, order: Order, tickets: list[Ticket]) -> set[str]:
    """Return the names and addresses an order's free text may contain."""
    words = {order.buyer_name, order.buyer_email}
    for ticket in tickets:
        words |= {ticket.full_name, ticket.email}
    invoice = Invoice.objects.filter(order=order).first()
    if invoice is not None:
        words |= {invoice.contact_name, invoice.contact_email}
    for to_name, to_email, data in Email.objects.filter(order=order).values_list(
        "to_name", "to_email", "data"
    ):
        words |= {to_name, to_email}
        if isinstance(data, dict):
            words |= {
                str(data.get(key, "")) for key in ("old_name", "new_name", "name")
            }
    return {word.strip() for word in words if word and len(word.strip()) >= 3}


def _mentions(text: str, words: set[str]) -> bool:
    folded = text.casefold()
    return any(word.casefold() in folded for word in words)


def history_scrub(
    *, orders: list[Order], words: set[str], everything_named: bool
) -> int:
    """Replace the order history lines (and refund reasons) that contain one
    of `words`; with `everything_named`, also every line of an action that
    names people. Returns how many lines changed."""
    changed = 0
    for change in OrderChange.objects.filter(order__in=orders):
        if _mentions(change.message, words) or (
            everything_named and change.action in NAMING_ACTIONS
        ):
            if change.message != REMOVED_MESSAGE:
                change.message = REMOVED_MESSAGE
                change.save(update_fields=["message"])
                changed += 1
    for refund in Refund.objects.filter(order__in=orders):
        if _mentions(refund.reason, words):
            refund.reason = REMOVED_MESSAGE
            refund.save(update_fields=["reason"])
    return changed


def tickets_anonymise(*, tickets: list[Ticket], now: datetime) -> None:
    """Replace the attendee's own details; keep what is counted."""
    for ticket in tickets:
        ticket.first_name = ANONYMISED_NAME
        ticket.last_name = ""
        ticket.email = ""
        ticket.job_title = ""
        ticket.access_needs = ""
        ticket.dietary_needs = ""
        # Nobody is left to list or to e-mail.
        ticket.attendee_list_consent_at = None
        ticket.attendee_list_consent_version = ""
        ticket.future_events_consent_at = None
        ticket.future_events_consent_version = ""
        ticket.anonymised_at = now
        ticket.save(
            update_fields=[
                "first_name",
                "last_name",
                "email",
                "job_title",
                "access_needs",
                "dietary_needs",
                "attendee_list_consent_at",
                "attendee_list_consent_version",
                "future_events_consent_at",
                "future_events_consent_version",
                "anonymised_at",
            ]
        )


def order_buyer_anonymise(*, order: Order, now: datetime) -> None:
    order.buyer_name = ANONYMISED_NAME
    order.buyer_email = ""
    order.anonymised_at = now
    order.save(update_fields=["buyer_name", "buyer_email", "anonymised_at"])


def invoices_contact_anonymise(
    *, order_ids: list[int], email: str | None = None
) -> int:
    """Remove the billing contact's name and e-mail (of every invoice of the
    orders, or only where the contact is `email`), and the lines of the
    address that name them. The invoice itself stays."""
    invoices = Invoice.objects.filter(order_id__in=order_ids)
    if email is not None:
        invoices = invoices.filter(contact_email__iexact=email)
    count = 0
    for invoice in invoices:
        if invoice.contact_name.strip():
            invoice.address = "\n".join(
                line
                for line in invoice.address.splitlines()
                if not _mentions(line, {invoice.contact_name.strip()})
            )
        invoice.contact_name = ""
        invoice.contact_email = ""
        invoice.save(update_fields=["contact_name", "contact_email", "address"])
        count += 1
    return count


def emails_anonymise(*, emails) -> int:
    """Blank the recipients and saved details of outbox rows; a row not sent
    yet is marked failed, so it is never sent."""
    count = 0
    for email in emails.exclude(to_email="", to_name="", data={}):
        email.to_email = ""
        email.to_name = ""
        email.data = {}
        email.last_error = ""
        fields = ["to_email", "to_name", "data", "last_error"]
        if email.status in (Email.Status.QUEUED, Email.Status.SENDING):
            email.status = Email.Status.FAILED
            email.last_error = "Not sent: personal data removed."
            email.claimed_until = None
            fields += ["status", "claimed_until"]
        email.save(update_fields=fields)
        count += 1
    return count


def emails_data_scrub(*, orders: list[Order], words: set[str]) -> int:
    """Blank the saved details (an old attendee's name...) of the orders'
    e-mails that mention one of `words`; the recipients stay."""
    count = 0
    for email in Email.objects.filter(order__in=orders).exclude(data={}):
        if _mentions(str(email.data), words):
            email.data = {}
            email.save(update_fields=["data"])
            count += 1
    return count


def admin_log_scrub(*, orders: list[Order], tickets: list[Ticket]) -> int:
    """Replace the names of these orders and places in the admin's own log
    ("Changed Ada Lovelace (PSDM-7KQ3X)")."""
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    count = 0
    for model, objects in ((Order, orders), (Ticket, tickets)):
        ids = [str(obj.pk) for obj in objects]
        if not ids:
            continue
        count += LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(model), object_id__in=ids
        ).update(object_repr=ANONYMISED_NAME, change_message="")
    return count


def waitlist_anonymise(*, entries) -> int:
    """Replace waiting list entries' names and addresses (each address stays
    unique, as a live entry's must be); organisation and status stay."""
    count = 0
    for entry in entries.exclude(name=ANONYMISED_NAME):
        entry.name = ANONYMISED_NAME
        entry.email = f"{entry.pk}@anonymised.invalid"
        entry.save(update_fields=["name", "email", "updated_at"])
        count += 1
    return count
