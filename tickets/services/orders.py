"""Booking: the only code that creates orders and takes places from a pool."""

from collections import Counter
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from events.models import Event

from ..consents import CONSENT_FIELDS, consent_ticket_values
from ..models import Code, Invoice, Order, Ticket, TicketType
from ..references import new_reference
from ..stripe_api import card_payments_available
from .codes import (
    CodeUsedUp,
    PriceLine,
    booking_quote,
    code_check_places,
    code_find,
    code_uses_left_message,
    code_uses_take,
)
from .errors import (
    BookingBusy,
    BookingClosed,
    InvalidBooking,
    PaymentNotAvailable,
    SoldOut,
)
from .history import Actor, order_change_record
from .notify import order_confirmed_notify
from .places import (
    PoolFull,
    TicketTypeFull,
    is_lock_timeout,
    lock_timeout_set,
    places_take,
)
from .waitlist import offer_redeem


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
    # Optional consents: the version of the wording ticked (tickets.consents),
    # or "" for no. Text, like the rest, so a booking draft stays plain.
    attendee_list_consent: str = ""
    future_events_consent: str = ""


@dataclass(frozen=True)
class OrderLine:
    """One attendee's place of one ticket type."""

    ticket_type_id: int
    attendee: AttendeeDetails


@dataclass(frozen=True)
class BillingDetails:
    """Who pays an invoice."""

    organisation: str
    contact_name: str
    contact_email: str
    address: str
    po_number: str = ""


Method = Order.PaymentMethod


def order_create(
    *,
    event_id: int,
    buyer_name: str,
    buyer_email: str,
    lines: list[OrderLine],
    payment_method: str | None = None,
    billing: BillingDetails | None = None,
    code: str | None = None,
    offer: str | None = None,
) -> Order:
    """Book the places in `lines` for one buyer, or raise a BookingError.

    `code` (as the buyer typed it) is checked again here and its uses taken
    in the booking's transaction: it takes its discount off each place of a
    type it applies to, and lets hidden types it names be booked.

    Either the order and all its tickets are saved and their places taken
    from the event's pool (and each ticket type's cap), or nothing changes.
    `offer` (a waiting-list offer's token) books its one held place.
    Free orders and orders paid by invoice are confirmed at once; an order
    paid by card is pending, its places held until `hold_expires_at`.
    """
    now = timezone.now()
    event = Event.objects.filter(pk=event_id).first()
    if event is None or not event.is_on_sale(now):
        raise BookingClosed(_("Booking is closed for this event."))
    quantities = Counter(line.ticket_type_id for line in lines)
    found, ticket_types, quote = places_priced(
        event=event, quantities=quantities, code=code, now=now
    )
    priced = {line.ticket_type.pk: line for line in quote.lines}
    total_pence = quote.total_pence
    method = _payment_method(event, total_pence, payment_method, billing, now)

    order = Order(
        event=event,
        buyer_name=buyer_name.strip(),
        buyer_email=buyer_email.strip(),
        total_pence=total_pence,
        payment_method=method,
        status=Order.Status.CONFIRMED,
        payment_status=Order.PaymentStatus.NOT_REQUIRED,
    )
    ticket_status = Ticket.Status.CONFIRMED
    if method == Method.CARD:
        order.status = Order.Status.PENDING
        order.payment_status = Order.PaymentStatus.AWAITING
        order.hold_expires_at = now + timedelta(minutes=settings.PSDM_CARD_HOLD_MINUTES)
        ticket_status = Ticket.Status.HELD
    elif method == Method.INVOICE:
        order.payment_status = Order.PaymentStatus.AWAITING
    tickets = [
        _ticket_for(event, priced[line.ticket_type_id], line, ticket_status, found)
        for line in lines
    ]
    invoice = _invoice_for(event, billing) if method == Method.INVOICE else None
    _validate(order, tickets, invoice)

    with booking_errors(
        event=event,
        ticket_types=ticket_types,
        code_id=found.pk if found else None,
        places_with_code=quote.places_with_code,
    ):
        with transaction.atomic(durable=True):
            order_insert(order, tickets, invoice, code=found, quote=quote)
            # The pool last, so its lock is held for as short a time as can be.
            lock_timeout_set()
            if offer:
                # A waiting-list offer's place: given back under the pool's
                # lock just before places_take takes it for this order.
                offer_redeem(
                    token=offer,
                    event_id=event.pk,
                    order=order,
                    quantity=len(tickets),
                )
            places_take(event_id=event.pk, quantities=quantities)
            if found is not None:
                code_uses_take(code_id=found.pk, quantity=quote.places_with_code)
    return order


@contextmanager
def booking_errors(
    *, event: Event, ticket_types, code_id: int | None = None, places_with_code=0
):
    """Word what stops places being taken as the buyer's BookingError, after
    the transaction has rolled back (so no query runs while the pool's lock
    is held)."""
    try:
        yield
    except CodeUsedUp:
        raise InvalidBooking(
            code_uses_left_message(code_id=code_id, wanted=places_with_code)
        ) from None
    except PoolFull:
        raise SoldOut(_sold_out_message(event)) from None
    except TicketTypeFull as exc:
        raise SoldOut(
            _("There are not enough %(name)s places left.")
            % {"name": ticket_types[exc.ticket_type_id].name}
        ) from None
    except OperationalError as exc:
        if is_lock_timeout(exc):
            raise BookingBusy(
                _("Lots of people are booking right now. Please try again.")
            ) from exc
        raise


def places_priced(*, event: Event, quantities: Counter, code: str | None, now):
    """Check the places chosen can be booked now, with the code as typed if
    any; return (code, ticket types by id, quote) or raise a BookingError.
    The total comes from our prices only; nothing the browser sent."""
    if not quantities:
        raise InvalidBooking(_("Choose at least one place."))
    found = code_find(event=event, text=code, now=now) if code else None
    if found is not None:
        code_check_places(code=found, quantities=quantities)
    unlocked = set(found.ticket_types.values_list("pk", flat=True)) if found else set()
    ticket_types = _ticket_types_for_sale(event, quantities, now, unlocked)
    quote = booking_quote(ticket_types=ticket_types, quantities=quantities, code=found)
    return found, ticket_types, quote


def _payment_method(event, total_pence, payment_method, billing, now) -> str:
    if not total_pence:
        return Method.FREE
    if payment_method == Method.CARD:
        if not card_payments_available():
            raise PaymentNotAvailable(
                _("Card payment is not available at the moment.")
                + " "
                + (
                    _("You can pay by invoice instead.")
                    if event.offers_invoice_payment(now)
                    else _("Please try again later.")
                )
            )
        return Method.CARD
    if payment_method == Method.INVOICE:
        if not event.offers_invoice_payment(now):
            raise PaymentNotAvailable(
                _("Paying by invoice is not available for this event.")
            )
        if billing is None:
            raise InvalidBooking(_("Enter who will pay the invoice."))
        return Method.INVOICE
    raise InvalidBooking(_("Choose how you will pay."))


def _ticket_types_for_sale(
    event: Event, quantities: Counter, now, unlocked: set[int] = frozenset()
) -> dict[int, TicketType]:
    """`unlocked`: hidden types the buyer's code names may be booked too."""
    found = {
        tt.pk: tt
        for tt in TicketType.objects.filter(event=event, pk__in=list(quantities))
    }
    for ticket_type_id, quantity in quantities.items():
        ticket_type = found.get(ticket_type_id)
        if ticket_type is None or not ticket_type.is_on_sale(
            now, unlocked=ticket_type_id in unlocked
        ):
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


def _ticket_for(
    event: Event, priced: PriceLine, line: OrderLine, status: str, code: Code | None
) -> Ticket:
    details = {key: value.strip() for key, value in asdict(line.attendee).items()}
    agreed = {key: details.pop(key) for key in CONSENT_FIELDS}
    details.update(consent_ticket_values(agreed=agreed, now=timezone.now()))
    return Ticket(
        event=event,
        ticket_type=priced.ticket_type,
        price_pence=priced.price_pence,
        discount_pence=priced.discount_pence,
        code=code if priced.with_code else None,
        status=status,
        **details,
    )


def order_insert(order, tickets, invoice, *, code, quote) -> None:
    """Inside the booking's transaction: save a new order with its tickets
    and invoice, its history's first line and, if confirmed, its e-mails."""
    _insert_with_unique_reference(order)
    for ticket in tickets:
        ticket.order = order
    Ticket.objects.bulk_create(tickets)
    if invoice is not None:
        _invoice_insert(invoice, order)
    order_change_record(
        order=order,
        actor=Actor.buyer(),
        action="booked",
        message=_booked_message(order, len(tickets), code, quote),
    )
    if order.status == Order.Status.CONFIRMED:
        order_confirmed_notify(order=order, tickets=tickets, new=True)


def _invoice_for(event: Event, billing: BillingDetails) -> Invoice:
    details = {
        key: value.replace("\r\n", "\n").strip()
        for key, value in asdict(billing).items()
    }
    return Invoice(
        vat_rate_percent=event.vat_rate_percent,
        vat_number=event.vat_number,
        issuer=event.invoice_issuer,
        payment_details=event.invoice_payment_details,
        **details,
    )


def _invoice_insert(invoice: Invoice, order: Order) -> None:
    """Number invoices in one continuous series, from the row's id."""
    invoice.order = order
    invoice.number = f"DRAFT-{order.reference}"
    invoice.save(force_insert=True)
    invoice.number = f"INV-{invoice.pk:05d}"
    invoice.save(update_fields=["number"])


def _validate(order: Order, tickets: list[Ticket], invoice: Invoice | None) -> None:
    try:
        order.full_clean(exclude=["reference", "event", "secret"])
        for ticket in tickets:
            ticket.full_clean(exclude=["order", "event", "ticket_type", "secret"])
        if invoice is not None:
            invoice.full_clean(exclude=["order", "number"])
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


def _booked_message(order: Order, count: int, code=None, quote=None) -> str:
    message = _booked_places_message(order, count)
    if code is not None:
        message += " " + ngettext(
            "Code %(code)s used for %(count)d place.",
            "Code %(code)s used for %(count)d places.",
            quote.places_with_code,
        ) % {"code": code.code, "count": quote.places_with_code}
    return message


def _booked_places_message(order: Order, count: int) -> str:
    places = ngettext("%(count)d place", "%(count)d places", count) % {"count": count}
    if order.payment_method == Method.CARD:
        return _("Booked %(places)s; held until %(time)s for card payment.") % {
            "places": places,
            "time": timezone.localtime(order.hold_expires_at).strftime("%H:%M"),
        }
    if order.payment_method == Method.INVOICE:
        return _("Booked %(places)s, to be paid by invoice.") % {"places": places}
    return _("Booked %(places)s.") % {"places": places}


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
