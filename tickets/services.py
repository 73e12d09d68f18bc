"""Booking: the only code that creates orders and takes places from a pool."""

from collections import Counter
from dataclasses import asdict, dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from events.models import Event
from events.services import event_places_take

from .models import Order, Ticket, TicketType
from .references import new_reference


@dataclass(frozen=True)
class AttendeeDetails:
    first_name: str
    last_name: str
    email: str
    organisation: str
    sector: str
    job_title: str = ""
    access_needs: str = ""
    dietary_needs: str = ""


@dataclass(frozen=True)
class OrderLine:
    """One attendee's place of one ticket type."""

    ticket_type_id: int
    attendee: AttendeeDetails


class BookingError(Exception):
    """A booking that cannot be made; the message is shown to the buyer."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidBooking(BookingError):
    pass


class BookingClosed(BookingError):
    pass


class SoldOut(BookingError):
    pass


class PaymentNotAvailable(BookingError):
    pass


class BookingBusy(BookingError):
    pass


class _PoolFull(Exception):
    """Too few places left in the pool; becomes SoldOut once the lock is gone."""


def order_create(
    *, event_id: int, buyer_name: str, buyer_email: str, lines: list[OrderLine]
) -> Order:
    """Book the places in `lines` for one buyer, or raise a BookingError.

    Either the order and all its tickets are saved and their places taken
    from the event's pool (and each ticket type's cap), or nothing changes.
    """
    now = timezone.now()
    event = Event.objects.filter(pk=event_id).first()
    if event is None or not event.is_on_sale(now):
        raise BookingClosed(_("Booking is closed for this event."))
    quantities = Counter(line.ticket_type_id for line in lines)
    if not quantities:
        raise InvalidBooking(_("Choose at least one place."))
    ticket_types = _ticket_types_for_sale(event, quantities, now)
    total_pence = sum(ticket_types[line.ticket_type_id].price_pence for line in lines)
    if total_pence:
        raise PaymentNotAvailable(
            _("Paid places cannot be booked online yet. Choose a free place.")
        )
    order = Order(
        event=event,
        buyer_name=buyer_name.strip(),
        buyer_email=buyer_email.strip(),
        status=Order.Status.CONFIRMED,
        total_pence=total_pence,
    )
    tickets = [
        _ticket_for(event, ticket_types[line.ticket_type_id], line) for line in lines
    ]
    _validate(order, tickets)

    try:
        with transaction.atomic(durable=True):
            _insert_with_unique_reference(order)
            _set_lock_timeout()
            # The pool first, then ticket types in id order: one fixed order
            # of locks, so concurrent bookings queue and never deadlock.
            if not event_places_take(event_id=event.pk, quantity=len(lines)):
                raise _PoolFull
            for ticket_type_id in sorted(quantities):
                ticket_type = ticket_types[ticket_type_id]
                if not _ticket_type_take(ticket_type, quantities[ticket_type_id]):
                    raise SoldOut(
                        _("There are not enough %(name)s places left.")
                        % {"name": ticket_type.name}
                    )
            for ticket in tickets:
                ticket.order = order
            Ticket.objects.bulk_create(tickets)
    except _PoolFull:
        # Worded after the rollback, so no query runs while the lock is held.
        raise SoldOut(_sold_out_message(event)) from None
    except OperationalError as exc:
        if _is_lock_timeout(exc):
            raise BookingBusy(
                _("Lots of people are booking right now. Please try again.")
            ) from exc
        raise
    return order


def _ticket_types_for_sale(
    event: Event, quantities: Counter, now
) -> dict[int, TicketType]:
    found = {
        tt.pk: tt
        for tt in TicketType.objects.filter(event=event, pk__in=list(quantities))
    }
    for ticket_type_id, quantity in quantities.items():
        ticket_type = found.get(ticket_type_id)
        if ticket_type is None or not ticket_type.is_on_sale(now):
            raise InvalidBooking(
                _("One of the places you chose is no longer available.")
            )
        if quantity > ticket_type.max_per_order:
            raise InvalidBooking(
                ngettext(
                    "You can book at most %(count)d %(name)s place in one order.",
                    "You can book at most %(count)d %(name)s places in one order.",
                    ticket_type.max_per_order,
                )
                % {"count": ticket_type.max_per_order, "name": ticket_type.name}
            )
    return found


def _ticket_for(event: Event, ticket_type: TicketType, line: OrderLine) -> Ticket:
    details = {key: value.strip() for key, value in asdict(line.attendee).items()}
    return Ticket(
        event=event,
        ticket_type=ticket_type,
        price_pence=ticket_type.price_pence,
        status=Ticket.Status.CONFIRMED,
        **details,
    )


def _validate(order: Order, tickets: list[Ticket]) -> None:
    try:
        order.full_clean(exclude=["reference", "event"])
        for ticket in tickets:
            ticket.full_clean(exclude=["order", "event", "ticket_type"])
    except ValidationError as exc:
        messages = [str(message) for message in exc.messages]
        raise InvalidBooking(" ".join(messages)) from exc


def _insert_with_unique_reference(order: Order, attempts: int = 5) -> None:
    for _attempt in range(attempts):
        order.reference = new_reference()
        try:
            with transaction.atomic():
                order.save(force_insert=True)
            return
        except IntegrityError:
            order.pk = None
    raise BookingBusy(_("We could not create your booking. Please try again."))


def _ticket_type_take(ticket_type: TicketType, quantity: int) -> bool:
    updated = (
        TicketType.objects.filter(pk=ticket_type.pk)
        .filter(Q(quota__isnull=True) | Q(places_taken__lte=F("quota") - quantity))
        .update(places_taken=F("places_taken") + quantity)
    )
    return updated == 1


def _set_lock_timeout() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('lock_timeout', %s, true)",
                [f"{int(settings.PSDM_LOCK_TIMEOUT_MS)}ms"],
            )


def _is_lock_timeout(exc: OperationalError) -> bool:
    cause = exc.__cause__
    if cause is not None and getattr(cause, "sqlstate", None) == "55P03":
        return True
    return "database is locked" in str(exc)


def _sold_out_message(event: Event) -> str:
    event.refresh_from_db(fields=["capacity", "places_taken"])
    left = max(event.capacity - event.places_taken, 0)
    if left == 0:
        return _("Sorry, this event is sold out.")
    return ngettext(
        "Sorry, there is only %(count)d place left.",
        "Sorry, there are only %(count)d places left.",
        left,
    ) % {"count": left}
