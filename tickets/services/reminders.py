"""E-mails to everyone coming: the reminder before the event (Celery beat)
and the organiser's messages to all attendees."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from events.models import Event

from ..models import Broadcast, Email, Ticket
from .outbox import email_queue

Kind = Email.Kind


def reminders_queue(*, now=None) -> int:
    """Queue a reminder, with the badge, for each confirmed place at events
    whose reminder is due. Places booked after the reminder went out are
    skipped: their confirmation is recent. Returns how many were queued."""
    now = now or timezone.now()
    count = 0
    events = Event.objects.filter(
        reminder_days_before__gt=0,
        starts_at__gt=now,
        starts_at__lte=now + timedelta(days=61),
    )
    for event in events:
        due_from = event.starts_at - timedelta(days=event.reminder_days_before)
        if now < due_from:
            continue
        tickets = (
            Ticket.objects.filter(
                event=event, status=Ticket.Status.CONFIRMED, created_at__lt=due_from
            )
            .exclude(emails__kind=Kind.REMINDER)
            .select_related("order")
        )
        with transaction.atomic():
            for ticket in tickets:
                email_queue(
                    kind=Kind.REMINDER,
                    key=f"reminder:{ticket.pk}",
                    to_email=ticket.email,
                    to_name=ticket.full_name,
                    order=ticket.order,
                    ticket=ticket,
                )
                count += 1
    return count


def broadcast_send(*, event_id: int, subject: str, body: str, user=None) -> Broadcast:
    """Send the organiser's message once to each address with a confirmed
    place at the event."""
    with transaction.atomic():
        event = Event.objects.get(pk=event_id)
        message = Broadcast.objects.create(
            event=event, subject=subject.strip(), body=body.strip(), created_by=user
        )
        seen = set()
        tickets = Ticket.objects.filter(
            event=event, status=Ticket.Status.CONFIRMED
        ).order_by("pk")
        for ticket in tickets:
            address = ticket.email.strip().casefold()
            if address in seen:
                continue
            seen.add(address)
            email_queue(
                kind=Kind.BROADCAST,
                key=f"broadcast:{message.pk}:{ticket.pk}",
                to_email=ticket.email,
                to_name=ticket.full_name,
                ticket=ticket,
                broadcast=message,
            )
        message.recipient_count = len(seen)
        message.save(update_fields=["recipient_count"])
        return message
