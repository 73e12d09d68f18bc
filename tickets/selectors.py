"""Read-only queries about places, orders and tickets."""

from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from events.models import Event
from psdm.ops.remembered import remembered

from .consents import ATTENDEE_LIST, WORDINGS
from .models import (
    Order,
    Reservation,
    ReservationLine,
    Ticket,
    TicketType,
    WaitlistOffer,
)
from .references import looks_like_reference
from .stripe_api import card_payments_available


@dataclass(frozen=True)
class TicketTypeAvailability:
    ticket_type: TicketType
    remaining: int
    on_sale: bool
    payable: bool = True

    @property
    def bookable(self) -> bool:
        if not (self.on_sale and self.remaining > 0):
            return False
        return self.ticket_type.is_free or self.payable


@dataclass(frozen=True)
class Availability:
    capacity: int
    confirmed: int
    held: int
    few_places_threshold: int
    ticket_types: list[TicketTypeAvailability] = field(default_factory=list)
    # Places offered to people on the waiting list, less the one offered to
    # whoever is looking (it is theirs to book).
    offered: int = 0
    # Places reserved by people still typing their details, less those of
    # whoever is looking.
    reserved: int = 0

    @property
    def remaining(self) -> int:
        taken = self.confirmed + self.held + self.offered + self.reserved
        return max(self.capacity - taken, 0)

    @property
    def sold_out(self) -> bool:
        return self.remaining == 0

    @property
    def few_left(self) -> bool:
        return 0 < self.remaining <= self.few_places_threshold

    def as_json(self) -> dict:
        return {
            "capacity": self.capacity,
            "confirmed": self.confirmed,
            "held": self.held,
            "offered": self.offered,
            "reserved": self.reserved,
            "remaining": self.remaining,
            "ticket_types": [
                {
                    "id": item.ticket_type.pk,
                    "name": item.ticket_type.name,
                    "price_pence": item.ticket_type.price_pence,
                    "on_sale": item.on_sale,
                    "remaining": item.remaining,
                }
                for item in self.ticket_types
            ],
        }


def event_availability(
    *,
    event: Event,
    include_hidden: bool = False,
    offer_places: int = 0,
    mine: Reservation | None = None,
) -> Availability:
    """Count the places taken from the tickets themselves, the places
    reserved at the first step of a booking and those offered to the
    waiting list.

    Reservations, held places and offers count only while they last: the
    moment one runs out its place is free again, whether or not anything has
    tidied it up yet. `offer_places`: places offered to the person asking
    (see services.waitlist.offer_reserved_places), which are free for them;
    `mine`: the asker's own reservation, whose places are free for them too.
    """
    now = timezone.now()
    ticket_types = list(
        TicketType.objects.filter(event=event).annotate(
            confirmed=Count(
                "tickets", filter=Q(tickets__status=Ticket.Status.CONFIRMED)
            ),
            held=Count(
                "tickets",
                filter=Q(
                    tickets__status=Ticket.Status.HELD,
                    tickets__order__hold_expires_at__gt=now,
                ),
            ),
        )
    )
    reserved_by_type = _reserved_by_type(event, now, mine)
    # Hidden types' places still come out of the pool.
    confirmed = sum(ticket_type.confirmed for ticket_type in ticket_types)
    held = sum(ticket_type.held for ticket_type in ticket_types)
    reserved = sum(reserved_by_type.values())
    offered = max(
        WaitlistOffer.objects.filter(
            event=event, status=WaitlistOffer.Status.OFFERED, expires_at__gt=now
        ).count()
        - offer_places,
        0,
    )
    pool_left = max(event.capacity - confirmed - held - reserved - offered, 0)
    event_on_sale = event.is_on_sale(now)
    payable = card_payments_available() or event.offers_invoice_payment(now)
    items = []
    for ticket_type in ticket_types:
        if not (ticket_type.is_visible or include_hidden):
            continue
        remaining = pool_left
        if ticket_type.quota is not None:
            own_left = (
                ticket_type.quota
                - ticket_type.confirmed
                - ticket_type.held
                - reserved_by_type.get(ticket_type.pk, 0)
            )
            remaining = max(min(remaining, own_left), 0)
        items.append(
            TicketTypeAvailability(
                ticket_type=ticket_type,
                remaining=remaining,
                on_sale=event_on_sale and ticket_type.is_on_sale(now),
                payable=payable,
            )
        )
    return Availability(
        capacity=event.capacity,
        confirmed=confirmed,
        held=held,
        few_places_threshold=event.few_places_threshold,
        ticket_types=items,
        offered=offered,
        reserved=reserved,
    )


def _reserved_by_type(event: Event, now, mine: Reservation | None) -> dict[int, int]:
    """Ticket type id -> places in reservations that are live now."""
    lines = ReservationLine.objects.filter(
        reservation__event=event,
        reservation__status=Reservation.Status.ACTIVE,
        reservation__expires_at__gt=now,
    )
    if mine is not None:
        lines = lines.exclude(reservation=mine)
    return dict(
        lines.values("ticket_type_id")
        .annotate(places=Sum("quantity"))
        .values_list("ticket_type_id", "places")
    )


AVAILABILITY_CACHE_SECONDS = 3


def availability_cached(event: Event) -> Availability:
    """event_availability as anyone not booking sees it, from the cache.

    The key holds the pool's counter, which every place taken or given back
    changes, so a booking is seen at once; what only time changes (a hold
    running out frees a place) is seen within AVAILABILITY_CACHE_SECONDS.
    A cache that fails is a cache miss (psdm.ops.remembered).
    """
    stamp = event.updated_at.timestamp() if event.updated_at else ""
    key = f"availability:{event.pk}:{event.places_taken}:{event.capacity}:{stamp}"
    return remembered(
        key,
        AVAILABILITY_CACHE_SECONDS,
        lambda: event_availability(event=event),
        what="availability",
    )


def event_page_context(event: Event) -> dict:
    """What the tickets app adds to the public event page."""
    return {
        "availability": availability_cached(event),
        "availability_url": reverse("tickets:availability", args=[event.slug]),
        "booking_url": reverse("tickets:choose", args=[event.slug]),
        "waitlist_url": reverse("tickets:waitlist_join", args=[event.slug]),
    }


def ticket_types_by_id(*, event: Event) -> dict[int, TicketType]:
    return {ticket_type.pk: ticket_type for ticket_type in event.ticket_types.all()}


def order_with_tickets(*, reference: str) -> Order | None:
    if not looks_like_reference(reference):
        return None
    return (
        Order.objects.select_related("event")
        .prefetch_related("tickets__ticket_type")
        .filter(reference=reference)
        .first()
    )


def event_attendee_list(*, event: Event) -> list[Ticket]:
    """The people at `event` who agreed to be on its attendee list: confirmed
    places in confirmed bookings whose personal data is still held, sorted by
    organisation, then surname. Only the name and organisation are loaded,
    which is all the consent's wording allows to be shown."""
    versions = [v for field, v in WORDINGS if field == ATTENDEE_LIST.field]
    return list(
        Ticket.objects.filter(
            event=event,
            status=Ticket.Status.CONFIRMED,
            order__status=Order.Status.CONFIRMED,
            anonymised_at__isnull=True,
            attendee_list_consent_at__isnull=False,
            attendee_list_consent_version__in=versions,
        )
        .order_by(Lower("organisation"), Lower("last_name"), Lower("first_name"), "pk")
        .only("pk", "first_name", "last_name", "organisation")
    )
