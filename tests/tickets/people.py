"""A past event with people in every place personal data is kept: buyers,
attendees, an invoice contact, a place passed on, a cancellation, e-mails
and a scan at the door."""

from datetime import timedelta

from django.utils import timezone

from events.models import Event
from tests.conftest import attendee, billing, book, make_event, make_ticket_type
from tickets.models import Scan, Ticket
from tickets.services import Actor, order_cancel, ticket_attendee_change

ORGANISER = Actor("An organiser")


def populate(event: Event) -> dict:
    """Book, cancel, pass on and check in at `event` (still upcoming)."""
    free_type = make_ticket_type(event, name="Free")
    paid_type = make_ticket_type(event, name="Supplier", price_pence=9500)
    Event.objects.filter(pk=event.pk).update(invoice_payment_enabled=True)
    event.refresh_from_db()
    grace = book(event, free_type, count=3)
    first, second, third = grace.tickets.order_by("pk")
    Ticket.objects.filter(pk=first.pk).update(
        dietary_needs="Vegan", access_needs="Step-free access", job_title="Head"
    )
    order_cancel(
        order_id=grace.pk,
        actor=ORGANISER,
        ticket_ids=[third.pk],
        by_organiser=True,
        reason="Ada2 Lovelace cannot come",
    )
    linus = book(
        event,
        paid_type,
        count=2,
        payment_method="invoice",
        billing=billing(
            contact_name="Margaret Hamilton",
            contact_email="margaret@birmingham.gov.uk",
            address="FAO Margaret Hamilton\nCouncil House\nBirmingham B1 1BB",
        ),
        buyer_name="Linus Buyer",
        buyer_email="linus@example.com",
    )
    moved = linus.tickets.order_by("pk").first()
    ticket_attendee_change(
        order_id=linus.pk,
        ticket_id=moved.pk,
        details=attendee(
            9, first_name="Jane", last_name="Newcomer", email="jane@example.org"
        ),
        actor=ORGANISER,
        transfer=True,
        by_organiser=True,
    )
    checked_in_at = event.starts_at + timedelta(minutes=5)
    Ticket.objects.filter(pk=first.pk).update(
        checked_in_at=checked_in_at, checked_in_door="Main"
    )
    Scan.objects.create(
        event=event,
        ticket=first,
        door="Main",
        code=first.secret,
        result=Scan.Result.ADMITTED,
        scanned_at=checked_in_at,
    )
    return {"grace": grace, "linus": linus, "free_type": free_type}


def move_to_past(event: Event, *, days: int) -> None:
    """Make `event` one that ended `days` days ago."""
    start = timezone.now() - timedelta(days=days, hours=9)
    Event.objects.filter(pk=event.pk).update(
        starts_at=start, ends_at=start + timedelta(hours=8)
    )
    event.refresh_from_db()


def past_event(*, slug: str, days: int) -> tuple[Event, dict]:
    event = make_event(slug=slug, name=f"Event {slug}")
    people = populate(event)
    move_to_past(event, days=days)
    return event, people


PERSONAL = [
    "Grace Hopper",
    "grace@example.gov.uk",
    "Ada0",
    "ada0@example.gov.uk",
    "Ada2",
    "Linus Buyer",
    "linus@example.com",
    "Margaret Hamilton",
    "margaret@birmingham.gov.uk",
    "Jane",
    "Newcomer",
    "jane@example.org",
    "Vegan",
    "Step-free",
]


def rows_mentioning(text: str) -> list[str]:
    """Return "app.Model.field #pk" for every text column, in the events,
    tickets and sponsors apps, that contains `text` (any case)."""
    from django.apps import apps
    from django.db import models
    from django.db.models.functions import Cast

    found = []
    for label in ("events", "tickets", "sponsors"):
        for model in apps.get_app_config(label).get_models():
            for field in model._meta.concrete_fields:
                if not isinstance(field, models.CharField | models.TextField):
                    if not isinstance(field, models.JSONField):
                        continue
                matches = (
                    model.objects.annotate(
                        _as_text=Cast(field.name, models.TextField())
                    )
                    .filter(_as_text__icontains=text)
                    .values_list("pk", flat=True)
                )
                found += [
                    f"{label}.{model.__name__}.{field.name} #{pk}" for pk in matches
                ]
    return found
