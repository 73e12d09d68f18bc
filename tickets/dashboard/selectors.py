"""Read-only numbers for the organiser's dashboard, a few aggregate queries
each (never one per order or ticket)."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Q, Sum
from django.db.models.functions import ExtractMinute, TruncDate, TruncHour
from django.utils import timezone

from events.models import Event

from ..models import Email, Order, Reservation, Ticket, TicketType

ARRIVAL_SLOT_MINUTES = 15


@dataclass(frozen=True)
class Pool:
    capacity: int
    confirmed: int
    held: int
    # Chosen at the first step by people still typing their details.
    reserved: int = 0

    @property
    def remaining(self) -> int:
        return max(self.capacity - self.confirmed - self.held - self.reserved, 0)


@dataclass(frozen=True)
class Tally:
    """A label and how many (places, tickets, check-ins...)."""

    label: str
    value: int


@dataclass(frozen=True)
class TicketTypeSales:
    name: str
    confirmed: int
    held: int
    revenue_pence: int


@dataclass(frozen=True)
class DaySales:
    day: date
    confirmed: int
    cumulative: int


@dataclass(frozen=True)
class Revenue:
    paid_pence: int
    refunded_pence: int
    outstanding_invoices: int
    outstanding_pence: int

    @property
    def net_pence(self) -> int:
        return self.paid_pence - self.refunded_pence


@dataclass(frozen=True)
class Outbox:
    queued: int
    sending: int
    sent: int
    failed: int


@dataclass(frozen=True)
class ArrivalSlot:
    starts_at: datetime
    arrivals: int


@dataclass(frozen=True)
class Arrivals:
    expected: int
    checked_in: int
    slots: list[ArrivalSlot]


def dashboard_event(*, slug: str | None = None) -> Event | None:
    """Return the event asked for, else the one on now or next, else the latest."""
    events = Event.objects.all()
    if slug:
        chosen = events.filter(slug=slug).first()
        if chosen is not None:
            return chosen
    upcoming = events.filter(ends_at__gte=timezone.now()).order_by("starts_at")
    return upcoming.first() or events.order_by("-starts_at").first()


def dashboard_events() -> list[Event]:
    """Every event, newest first, for the chooser."""
    return list(Event.objects.order_by("-starts_at").only("pk", "name", "slug"))


def _held_now(prefix: str = "") -> Q:
    # A held place counts only while its hold lasts, as on the booking pages.
    return Q(
        **{
            f"{prefix}status": Ticket.Status.HELD,
            f"{prefix}order__hold_expires_at__gt": timezone.now(),
        }
    )


def ticket_type_sales(*, event: Event) -> list[TicketTypeSales]:
    """Return confirmed and held places and takings per ticket type, hidden
    types included (their places come out of the pool too). One query."""
    confirmed = Q(tickets__status=Ticket.Status.CONFIRMED)
    rows = (
        TicketType.objects.filter(event=event)
        .annotate(
            n_confirmed=Count("tickets", filter=confirmed),
            n_held=Count("tickets", filter=_held_now("tickets__")),
            takings=Sum("tickets__price_pence", filter=confirmed, default=0),
        )
        .order_by("position", "pk")
    )
    return [
        TicketTypeSales(
            name=row.name,
            confirmed=row.n_confirmed,
            held=row.n_held,
            revenue_pence=row.takings,
        )
        for row in rows
    ]


def event_pool(*, event: Event, sales: list[TicketTypeSales]) -> Pool:
    """The pool from the sales, and the places in live reservations. One
    query."""
    reserved = Reservation.objects.filter(
        event=event,
        status=Reservation.Status.ACTIVE,
        expires_at__gt=timezone.now(),
    ).aggregate(places=Sum("places", default=0))["places"]
    return Pool(
        capacity=event.capacity,
        confirmed=sum(item.confirmed for item in sales),
        held=sum(item.held for item in sales),
        reserved=reserved,
    )


def sector_sales(*, event: Event) -> list[Tally]:
    """Return confirmed places per sector, every sector listed. One query."""
    counts = dict(
        Ticket.objects.filter(event=event, status=Ticket.Status.CONFIRMED)
        .values("sector")
        .annotate(n=Count("pk"))
        .order_by()  # Ticket's Meta.ordering would join orders for nothing
        .values_list("sector", "n")
    )
    return [
        Tally(label=str(label), value=counts.get(value, 0))
        for value, label in Ticket.Sector.choices
    ]


def daily_sales(*, event: Event) -> list[DaySales]:
    """Return places confirmed per day booked (local time), with the running
    total, every day from the first sale to the last. One query."""
    per_day = dict(
        Ticket.objects.filter(event=event, status=Ticket.Status.CONFIRMED)
        .annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(n=Count("pk"))
        .order_by()  # Ticket's Meta.ordering would join orders for nothing
        .values_list("day", "n")
    )
    if not per_day:
        return []
    day, last = min(per_day), max(per_day)
    days, total = [], 0
    while day <= last:
        total += per_day.get(day, 0)
        days.append(DaySales(day=day, confirmed=per_day.get(day, 0), cumulative=total))
        day += timedelta(days=1)
    return days


def event_revenue(*, event: Event) -> Revenue:
    """Return money taken, refunded and still owed on invoices. One query."""
    unpaid_invoice = Q(
        status=Order.Status.CONFIRMED,
        payment_method=Order.PaymentMethod.INVOICE,
        payment_status=Order.PaymentStatus.AWAITING,
    )
    totals = Order.objects.filter(event=event).aggregate(
        paid=Sum("paid_pence", default=0),
        refunded=Sum("refunded_pence", default=0),
        invoices=Count("pk", filter=unpaid_invoice),
        owed=Sum("total_pence", filter=unpaid_invoice, default=0),
        owed_paid=Sum("paid_pence", filter=unpaid_invoice, default=0),
    )
    return Revenue(
        paid_pence=totals["paid"],
        refunded_pence=totals["refunded"],
        outstanding_invoices=totals["invoices"],
        outstanding_pence=totals["owed"] - totals["owed_paid"],
    )


def outbox_health() -> Outbox:
    """Return the whole outbox's e-mails by status (one outbox serves every
    event, and a stuck queue is everyone's problem). One query."""
    counts = dict(
        Email.objects.values("status")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("status", "n")
    )
    return Outbox(
        queued=counts.get(Email.Status.QUEUED, 0),
        sending=counts.get(Email.Status.SENDING, 0),
        sent=counts.get(Email.Status.SENT, 0),
        failed=counts.get(Email.Status.FAILED, 0),
    )


def event_arrivals(*, event: Event) -> Arrivals:
    """Return check-ins per 15 minutes (local time), every slot from the first
    arrival to the last, and checked in of expected. Two queries."""
    confirmed = Ticket.objects.filter(event=event, status=Ticket.Status.CONFIRMED)
    counts = confirmed.aggregate(
        expected=Count("pk"),
        checked_in=Count("pk", filter=Q(checked_in_at__isnull=False)),
    )
    tz = timezone.get_current_timezone()
    per_minute = (
        confirmed.filter(checked_in_at__isnull=False)
        .annotate(
            hour=TruncHour("checked_in_at", tzinfo=tz),
            minute=ExtractMinute("checked_in_at", tzinfo=tz),
        )
        .values("hour", "minute")
        .annotate(n=Count("pk"))
        .order_by()  # Ticket's Meta.ordering would join orders for nothing
        .values_list("hour", "minute", "n")
    )
    per_slot: dict[datetime, int] = {}
    for hour, minute, n in per_minute:
        start = timezone.localtime(hour, tz).replace(
            minute=minute - minute % ARRIVAL_SLOT_MINUTES
        )
        per_slot[start] = per_slot.get(start, 0) + n
    slots = []
    if per_slot:
        slot, last = min(per_slot), max(per_slot)
        step = timedelta(minutes=ARRIVAL_SLOT_MINUTES)
        while slot <= last:
            slots.append(ArrivalSlot(starts_at=slot, arrivals=per_slot.get(slot, 0)))
            slot = timezone.localtime(slot + step, tz)
    return Arrivals(
        expected=counts["expected"], checked_in=counts["checked_in"], slots=slots
    )
