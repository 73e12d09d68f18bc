"""Reservations: the places of a booking are taken at its first step, held
for PSDM_RESERVATION_MINUTES while the buyer types, and turned into an order
exactly once.

Lock order, as everywhere (tickets.services.places): the pool (the event's
row), then reservations and orders, then ticket types, then codes. Confirming
a live reservation takes only the reservation's row lock: its places are
already counted, so confirmations of different reservations never queue.
"""

from collections import Counter
from collections.abc import Mapping
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from events.models import Event
from events.services import event_places_release

from ..models import (
    Order,
    Reservation,
    ReservationLine,
    Ticket,
    TicketType,
    WaitlistEntry,
    WaitlistOffer,
)
from .codes import (
    CodeUsedUp,
    booking_quote,
    code_ticket_type_ids,
    code_uses_release,
    code_uses_take,
)
from .errors import BookingBusy, BookingClosed, InvalidBooking
from .orders import (
    BillingDetails,
    OrderLine,
    _invoice_for,
    _payment_method,
    _ticket_for,
    booking_errors,
    order_insert,
    places_priced,
)
from .places import (
    lock_timeout_set,
    places_take,
    pool_lock,
)
from .waitlist import offer_redeem, offers_make

Status = Reservation.Status


def reservation_minutes() -> float:
    return settings.PSDM_RESERVATION_MINUTES


def reservation_create(
    *,
    event_id: int,
    event: Event | None = None,
    quantities: Mapping[int, int],
    code: str | None = None,
    offer: str | None = None,
    replaces: Reservation | None = None,
    answers: dict | None = None,
    browser: str = "",
    now=None,
) -> Reservation:
    """Take the places chosen from the pool and each ticket type's cap, and
    hold them for this buyer; or raise a BookingError and change nothing.

    `code`: as the buyer typed it; its uses are taken with the places.
    `offer`: a waiting-list offer's token; its one place becomes this
    reservation's, which lasts at least as long as the offer would have.
    `replaces`: this browser's earlier reservation for the event. If still
    active, its places are given back in the same transaction, so choosing
    again never loses the places held unless the new ones are had.
    `event`: the event's row if the caller has just loaded it (saves a query;
    the pool's own counter is what decides).
    `browser`: who is reserving (tickets.booking.browser_key). A browser has
    one active reservation per event: a second made at the same moment (a
    double click) returns the first instead, and one whose time ran out is
    replaced.
    """
    now = now or timezone.now()
    if event is None or event.pk != event_id:
        event = Event.objects.filter(pk=event_id).first()
    if event is None or not event.is_on_sale(now):
        raise BookingClosed(_("Booking is closed for this event."))
    quantities = Counter({pk: n for pk, n in quantities.items() if n > 0})
    found, ticket_types, quote = places_priced(
        event=event, quantities=quantities, code=code, now=now
    )
    places = sum(quantities.values())
    if offer and places != 1:
        raise InvalidBooking(
            _("A waiting list offer is for one place. Choose one place.")
        )
    reservation = Reservation(
        event=event,
        browser=browser,
        places=places,
        code=found if quote.places_with_code else None,
        code_uses=quote.places_with_code,
        answers=answers or {},
        created_at=now,
        expires_at=now + timedelta(minutes=reservation_minutes()),
    )
    try:
        with booking_errors(
            event=event,
            ticket_types=ticket_types,
            code_id=found.pk if found else None,
            places_with_code=quote.places_with_code,
        ):
            with transaction.atomic(durable=True):
                lock_timeout_set()
                if replaces is not None or offer:
                    # The pool first (the lock order), then the old reservation.
                    pool_lock(event.pk)
                held_offer = (
                    _replaced_end(replaces, now) if replaces is not None else None
                )
                if offer:
                    held_offer = _offer_take(token=offer, event_id=event.pk, now=now)
                if held_offer is not None:
                    reservation.offer = held_offer
                    reservation.expires_at = max(
                        reservation.expires_at, held_offer.expires_at
                    )
                reservation.save(force_insert=True)
                ReservationLine.objects.bulk_create(
                    ReservationLine(
                        reservation=reservation, ticket_type_id=pk, quantity=quantity
                    )
                    for pk, quantity in sorted(quantities.items())
                )
                places_take(event_id=event.pk, quantities=quantities)
                if reservation.code_uses:
                    _code_uses_take(event.pk, found.pk, reservation.code_uses, now)
                if replaces is not None:
                    # Places the old reservation gave back and this one did not
                    # take go to the waiting list first, as any freed place does.
                    _offers_make(event.pk)
    except IntegrityError as exc:
        if not browser or "browser" not in str(exc):
            raise
        return _browsers_other(event, browser, quantities, code, offer, answers, now)
    return reservation


# A browser's second reservation within this long of its first is the same
# choice sent twice (a double click, a retry); later, it is a new choice.
SAME_CHOICE = timedelta(seconds=10)


def _browsers_other(event, browser, quantities, code, offer, answers, now):
    """The browser already has an active reservation for the event that its
    session does not know of. Made a moment ago (a double click), it stands
    and is returned; older (another session of the same browser), it is
    replaced by the places chosen now."""
    other = Reservation.objects.filter(
        event=event, browser=browser, status=Status.ACTIVE
    ).first()
    if other is None:  # ended meanwhile: the next try goes through
        raise BookingBusy(_("Lots of people are booking right now. Please try again."))
    if other.is_live(now) and now - other.created_at < SAME_CHOICE:
        return other
    return reservation_create(
        event_id=event.pk,
        event=event,
        quantities=quantities,
        code=code,
        offer=offer,
        replaces=other,
        answers=answers,
        browser=browser,
        now=now,
    )


def _code_uses_take(event_id: int, code_id: int, quantity: int, now) -> None:
    """Take the code's uses (the pool is locked); uses held by reservations
    that ran out are given back first if that is what stands in the way."""
    try:
        with transaction.atomic():
            code_uses_take(code_id=code_id, quantity=quantity)
    except CodeUsedUp:
        if not reservations_release_expired(event_id=event_id, now=now):
            raise
        code_uses_take(code_id=code_id, quantity=quantity)


def reservation_again(*, reservation: Reservation) -> Reservation:
    """A new reservation of the same places, with the same code and answers
    (the buyer left the card payment page and wants to try again)."""
    return reservation_create(
        event_id=reservation.event_id,
        quantities=reservation_quantities(reservation),
        code=reservation.code.code if reservation.code_id else None,
        answers=reservation.answers,
    )


def _offers_make(event_id: int) -> None:
    offers_make(event_id=event_id)


def _offer_take(*, token: str, event_id: int, now) -> WaitlistOffer:
    """Use a live offer for a reservation (the pool is locked): its place
    goes back to the pool's counter for places_take to take at once."""
    return offer_redeem(token=token, event_id=event_id, quantity=1, now=now)


def _replaced_end(old: Reservation, now) -> WaitlistOffer | None:
    """End the reservation being replaced (the pool is locked). Return its
    waiting-list offer, which passes to the new reservation."""
    locked = Reservation.objects.select_for_update().filter(pk=old.pk).first()
    if locked is None or locked.status != Status.ACTIVE:
        return None
    offer = locked.offer
    _places_give_back(locked)
    Reservation.objects.filter(pk=locked.pk).update(
        status=Status.RELEASED, ended_at=now, offer=None
    )
    return offer


def _places_give_back(reservation: Reservation) -> None:
    """Give a reservation's places and code uses back to the counters, in the
    lock order. The caller holds the pool's lock and the reservation's."""
    lines = list(reservation.lines.all())
    event_places_release(event_id=reservation.event_id, quantity=reservation.places)
    for line in sorted(lines, key=lambda line: line.ticket_type_id):
        TicketType.objects.filter(
            pk=line.ticket_type_id, places_taken__gte=line.quantity
        ).update(places_taken=F("places_taken") - line.quantity)
    if reservation.code_id and reservation.code_uses:
        code_uses_release(uses={reservation.code_id: reservation.code_uses})


def _end(reservation: Reservation, status: str, now) -> None:
    """End an active reservation (pool and row locked) and give back all it
    held; an offer's place lost this way is the same as an offer not taken."""
    _places_give_back(reservation)
    Reservation.objects.filter(pk=reservation.pk).update(status=status, ended_at=now)
    reservation.status, reservation.ended_at = status, now
    if reservation.offer_id:
        WaitlistEntry.objects.filter(
            offers__pk=reservation.offer_id, status=WaitlistEntry.Status.BOOKED
        ).update(status=WaitlistEntry.Status.EXPIRED, updated_at=now)


def reservation_release(*, reservation_id: int, now=None) -> bool:
    """The buyer gave up: give the places back at once (to the waiting list
    first). Harmless if the reservation has already ended."""
    now = now or timezone.now()
    event_id = (
        Reservation.objects.filter(pk=reservation_id)
        .values_list("event_id", flat=True)
        .first()
    )
    if event_id is None:
        return False
    with transaction.atomic():
        lock_timeout_set()
        pool_lock(event_id)
        reservation = (
            Reservation.objects.select_for_update().filter(pk=reservation_id).first()
        )
        if reservation is None or reservation.status != Status.ACTIVE:
            return False
        _end(reservation, Status.RELEASED, now)
        _offers_make(event_id)
    return True


def reservations_release_expired(*, event_id: int, now=None) -> int:
    """End this event's reservations whose time has run out; return how many.
    Runs in the caller's transaction and takes the pool's lock first. The
    freed places go to the people on the waiting list first, as any place
    given back does."""
    now = now or timezone.now()
    pool_lock(event_id)
    expired = list(
        Reservation.objects.select_for_update().filter(
            event_id=event_id, status=Status.ACTIVE, expires_at__lte=now
        )
    )
    for reservation in expired:
        _end(reservation, Status.EXPIRED, now)
    if expired:
        _offers_make(event_id)
    return len(expired)


def reservations_lapsed_with_code_release(*, code, now=None) -> bool:
    """End the reservations of `code`'s event if any holding uses of it has
    run out; True if any did. Runs in a transaction of its own."""
    now = now or timezone.now()
    lapsed = Reservation.objects.filter(
        code=code, status=Status.ACTIVE, expires_at__lte=now
    )
    if not lapsed.exists():
        return False
    with transaction.atomic():
        lock_timeout_set()
        return bool(reservations_release_expired(event_id=code.event_id, now=now))


ANSWERS_KEPT = timedelta(days=1)


def reservations_expire(*, now=None) -> int:
    """End every reservation whose time has run out, one event per
    transaction, and offer the places to people waiting. Run by Celery beat.
    Availability already ignores them, so this only tidies the counters.

    What buyers typed is kept with a reservation only for a day after it
    ended (long enough to pay another way after leaving Stripe's page): the
    order has its own copy, and nobody else needs it.
    """
    now = now or timezone.now()
    Reservation.objects.filter(ended_at__lt=now - ANSWERS_KEPT).exclude(
        answers={}
    ).update(answers={})
    event_ids = (
        Reservation.objects.filter(status=Status.ACTIVE, expires_at__lte=now)
        .values_list("event_id", flat=True)
        .distinct()
    )
    expired = 0
    for event_id in list(event_ids):
        with transaction.atomic():
            lock_timeout_set()
            expired += reservations_release_expired(event_id=event_id, now=now)
    return expired


def reservation_answers_save(*, reservation: Reservation, answers: dict) -> bool:
    """Keep what the buyer typed with their reservation. False (nothing
    saved) if the reservation is no longer active."""
    reservation.answers = answers
    return bool(
        Reservation.objects.filter(pk=reservation.pk, status=Status.ACTIVE).update(
            answers=answers
        )
    )


def reservation_quantities(reservation: Reservation) -> dict[int, int]:
    """Ticket type id -> places held (prefetch `lines` to save a query)."""
    return {line.ticket_type_id: line.quantity for line in reservation.lines.all()}


# -- confirming -----------------------------------------------------------


class _PoolNeeded(Exception):
    """The reservation ended before it was confirmed: its places must be
    taken again, under the pool's lock."""


def reservation_confirm(
    *,
    reservation: Reservation,
    buyer_name: str,
    buyer_email: str,
    lines: list[OrderLine],
    payment_method: str | None = None,
    billing: BillingDetails | None = None,
    now=None,
) -> tuple[Order, bool]:
    """Turn the reservation into its order, once; return (order, created).

    A second call, whether after the first or racing it, returns the same
    order with created=False: the reservation's row is locked and its status
    changes from active to confirmed in the same transaction that inserts
    the order, and the database allows one order per reservation. Free and
    invoice orders are confirmed; card orders are pending, their places held
    until `hold_expires_at` for Stripe. A reservation whose time ran out is
    confirmed if its places are still free (they are taken again), else
    SoldOut is raised and nothing changes.
    """
    now = now or timezone.now()
    event = reservation.event
    held = reservation_quantities(reservation)
    quantities = Counter(line.ticket_type_id for line in lines)
    if dict(quantities) != held:
        raise InvalidBooking(_("Give the details of every place you chose."))
    # Prefetch `lines__ticket_type` with the reservation to save queries.
    ticket_types = {
        line.ticket_type_id: line.ticket_type for line in reservation.lines.all()
    }
    code = reservation.code
    if not event.is_on_sale(now):
        raise BookingClosed(_("Booking is closed for this event."))
    unlocked = code_ticket_type_ids(code=code) or set() if code is not None else set()
    for ticket_type in ticket_types.values():
        if not ticket_type.is_on_sale(now, unlocked=ticket_type.pk in unlocked):
            raise InvalidBooking(
                _("One of the places you chose is no longer available.")
            )
    quote = booking_quote(ticket_types=ticket_types, quantities=held, code=code)
    priced = {line.ticket_type.pk: line for line in quote.lines}
    method = _payment_method(event, quote.total_pence, payment_method, billing, now)
    order = Order(
        event=event,
        buyer_name=buyer_name.strip(),
        buyer_email=buyer_email.strip(),
        total_pence=quote.total_pence,
        payment_method=method,
        status=Order.Status.CONFIRMED,
        payment_status=Order.PaymentStatus.NOT_REQUIRED,
        created_at=now,
    )
    ticket_status = Ticket.Status.CONFIRMED
    if method == Order.PaymentMethod.CARD:
        order.status = Order.Status.PENDING
        order.payment_status = Order.PaymentStatus.AWAITING
        order.hold_expires_at = now + timedelta(minutes=settings.PSDM_CARD_HOLD_MINUTES)
        ticket_status = Ticket.Status.HELD
    elif method == Order.PaymentMethod.INVOICE:
        order.payment_status = Order.PaymentStatus.AWAITING
    tickets = [
        _ticket_for(event, priced[line.ticket_type_id], line, ticket_status, code)
        for line in lines
    ]
    invoice = (
        _invoice_for(event, billing) if method == Order.PaymentMethod.INVOICE else None
    )
    with booking_errors(
        event=event,
        ticket_types=ticket_types,
        code_id=code.pk if code else None,
        places_with_code=quote.places_with_code,
    ):
        try:
            return _confirm(reservation, order, tickets, invoice, quote, now)
        except _PoolNeeded:
            return _confirm(
                reservation, order, tickets, invoice, quote, now, retake=held
            )


def _confirm(reservation, order, tickets, invoice, quote, now, retake=None):
    with transaction.atomic(durable=True):
        lock_timeout_set()
        if retake is not None:
            pool_lock(reservation.event_id)
        row = (
            Reservation.objects.select_for_update()
            .filter(pk=reservation.pk)
            .values("status", "order_id")
            .first()
        )
        if row is None:
            raise InvalidBooking(_("Your places are no longer held. Choose again."))
        if row["status"] == Status.CONFIRMED:
            return Order.objects.get(pk=row["order_id"]), False
        if row["status"] == Status.RELEASED:
            raise InvalidBooking(_("You released these places. Choose again to book."))
        if row["status"] == Status.EXPIRED:
            # Given back when time ran out: take them again if still free.
            if retake is None:
                raise _PoolNeeded
            places_take(event_id=reservation.event_id, quantities=retake)
            if reservation.code_uses:
                code_uses_take(
                    code_id=reservation.code_id, quantity=reservation.code_uses
                )
        order_insert(order, tickets, invoice, code=reservation.code, quote=quote)
        Reservation.objects.filter(pk=reservation.pk).update(
            status=Status.CONFIRMED, order=order, ended_at=now
        )
        if reservation.offer_id:
            WaitlistOffer.objects.filter(pk=reservation.offer_id).update(order=order)
    reservation.status, reservation.order = Status.CONFIRMED, order
    return order, True
