"""The booking in progress: a reservation in the database, found through
the buyer's session, and the answers typed so far, kept with it.

The session holds, per event, only the reservation's id and secret (and,
before places are chosen, a code typed or a waiting-list offer followed).
Several tabs of one browser share the reservation; no other browser can
see or change it.
"""

import hashlib
from dataclasses import dataclass, field, fields

from django.db.models import Prefetch
from django.http import Http404
from django.utils.crypto import constant_time_compare

from .models import Order, Reservation, ReservationLine
from .services import AttendeeDetails, BillingDetails, OrderLine

ATTENDEE_KEYS = {f.name for f in fields(AttendeeDetails)}
BILLING_KEYS = {f.name for f in fields(BillingDetails)}
PAYMENT_METHODS = {Order.PaymentMethod.CARD, Order.PaymentMethod.INVOICE}
BUYER_KEYS = {"buyer_name", "buyer_email"}

SESSION_PREFIX = "booking:"
ORDERS_SESSION_KEY = "orders"


# -- the session's side ---------------------------------------------------


def _entry(session, event_id: int) -> dict:
    entry = session.get(f"{SESSION_PREFIX}{event_id}")
    return entry if isinstance(entry, dict) else {}


def _entry_set(session, event_id: int, **changes) -> None:
    entry = _entry(session, event_id)
    updated = {**entry, **changes}
    updated = {key: value for key, value in updated.items() if value is not None}
    if updated != entry:  # an unchanged session is not written
        session[f"{SESSION_PREFIX}{event_id}"] = updated


def pending_code(session, event_id: int) -> str | None:
    """A code typed since places were last chosen ("" if one was taken
    off), or None."""
    code = _entry(session, event_id).get("code")
    return code if isinstance(code, str) and len(code) <= 32 else None


def pending_code_set(session, event_id: int, code: str) -> None:
    _entry_set(session, event_id, code=code)


def pending_offer(session, event_id: int) -> str:
    """A waiting-list offer's token followed before places were reserved."""
    offer = _entry(session, event_id).get("offer")
    return offer if isinstance(offer, str) and len(offer) <= 64 else ""


def pending_offer_set(session, event_id: int, token: str) -> None:
    _entry_set(session, event_id, offer=token)


def reservation_remember(session, reservation: Reservation) -> None:
    """This browser's booking for the event is now this reservation (what
    was pending is in it)."""
    session[f"{SESSION_PREFIX}{reservation.event_id}"] = {
        "reservation": [reservation.pk, reservation.secret]
    }


def browser_key(request) -> str:
    """Who is reserving: a digest of this browser's CSRF secret (a POST has
    passed the CSRF check with it), or "" without one."""
    secret = request.META.get("CSRF_COOKIE") or ""
    return (
        hashlib.sha256(f"psdm-reservation:{secret}".encode()).hexdigest()
        if secret
        else ""
    )


def reservation_forget(session, event_id: int) -> None:
    session.pop(f"{SESSION_PREFIX}{event_id}", None)


def reservation_for(session, event) -> Reservation | None:
    """This browser's reservation for `event`, or None if it has none.

    Raise Http404 if the session names a reservation that is not this
    browser's to use: a wrong secret, one of another event, or none at all.
    """
    held = _entry(session, event.pk).get("reservation")
    if held is None:
        return None
    try:
        pk, secret = held
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    if not isinstance(secret, str):
        raise Http404
    lines = ReservationLine.objects.select_related("ticket_type")
    reservation = (
        Reservation.objects.select_related("code", "order")
        .prefetch_related(Prefetch("lines", queryset=lines))
        .filter(pk=pk, event_id=event.pk)
        .first()
    )
    if reservation is None or not constant_time_compare(reservation.secret, secret):
        raise Http404
    reservation.event = event
    return reservation


# -- the answers ------------------------------------------------------------


@dataclass
class BookingDraft:
    """The places reserved and what the buyer has typed about them."""

    quantities: dict[int, int] = field(default_factory=dict)
    buyer: dict = field(default_factory=dict)
    attendees: list[dict] = field(default_factory=list)
    payment: str = ""
    billing: dict = field(default_factory=dict)
    # The buyer is the one attendee ("I'm booking for myself").
    for_self: bool = False
    code: str = ""

    @classmethod
    def of(cls, reservation: Reservation | None) -> "BookingDraft":
        if reservation is None:
            return cls()
        quantities = {
            line.ticket_type_id: line.quantity for line in reservation.lines.all()
        }
        code = reservation.code.code if reservation.code_id else ""
        draft = cls.from_answers(reservation.answers, quantities)
        draft.code = code
        return draft

    @classmethod
    def from_answers(cls, answers, quantities: dict[int, int]) -> "BookingDraft":
        """Anything that is not what this code saved starts the answers again."""
        data = answers if isinstance(answers, dict) else {}
        try:
            draft = cls(
                quantities=dict(quantities),
                buyer=dict(data.get("buyer") or {}),
                attendees=[dict(a) for a in data.get("attendees") or []],
                payment=data.get("payment") or "",
                billing=dict(data.get("billing") or {}),
                for_self=data.get("for_self") is True,
            )
        except (TypeError, ValueError, AttributeError):
            return cls(quantities=dict(quantities))
        if not draft._well_formed():
            return cls(quantities=dict(quantities))
        return draft

    def _well_formed(self) -> bool:
        if self.buyer and set(self.buyer) != BUYER_KEYS:
            return False
        if len(self.attendees) > len(self.slots()):
            return False
        if self.payment and self.payment not in PAYMENT_METHODS:
            return False
        if self.billing and set(self.billing) != BILLING_KEYS:
            return False
        values = list(self.buyer.values()) + list(self.billing.values())
        for attendee in self.attendees:
            if attendee and set(attendee) != ATTENDEE_KEYS:
                return False
            values.extend(attendee.values())
        return all(isinstance(value, str) for value in values)

    def answers(self) -> dict:
        return {
            "buyer": self.buyer,
            "attendees": self.attendees,
            "payment": self.payment,
            "billing": self.billing,
            "for_self": self.for_self,
        }

    def answers_for(self, quantities: dict[int, int]) -> dict:
        """The answers to carry over to a new reservation of `quantities`:
        what was typed for places that still exist."""
        kept = BookingDraft.from_answers(self.answers(), quantities)
        if quantities != self.quantities:
            kept.attendees = [
                attendee
                for attendee, (old, new) in zip(
                    self.attendees,
                    zip(self.slots(), kept.slots(), strict=False),
                    strict=False,
                )
                if old == new
            ]
            if kept.for_self and len(kept.slots()) != 1:
                kept.for_self = False
        return kept.answers()

    def slots(self) -> list[int]:
        """Return one ticket type id per place, in a stable order."""
        return [
            pk for pk in sorted(self.quantities) for _ in range(self.quantities[pk])
        ]

    def first_missing_attendee(self) -> int | None:
        """Return the 1-based number of the first attendee still to fill in."""
        for number in range(1, len(self.slots()) + 1):
            if number > len(self.attendees) or not self.attendees[number - 1]:
                return number
        return None

    def set_attendee(self, number: int, details: dict) -> None:
        while len(self.attendees) < number:
            self.attendees.append({})
        self.attendees[number - 1] = details

    def attendees_complete(self) -> bool:
        return (
            bool(self.quantities and self.buyer)
            and self.first_missing_attendee() is None
        )

    def is_complete(self, *, needs_payment: bool = False) -> bool:
        if not self.attendees_complete():
            return False
        if not needs_payment:
            return True
        if self.payment == Order.PaymentMethod.INVOICE:
            return bool(self.billing)
        return self.payment == Order.PaymentMethod.CARD

    def billing_details(self) -> BillingDetails | None:
        if self.payment != Order.PaymentMethod.INVOICE or not self.billing:
            return None
        return BillingDetails(**self.billing)

    def order_lines(self) -> list[OrderLine]:
        return [
            OrderLine(ticket_type_id=pk, attendee=AttendeeDetails(**details))
            for pk, details in zip(self.slots(), self.attendees, strict=True)
        ]


def remember_order(session, reference: str) -> None:
    """Let this browser see the confirmation page of an order it made."""
    references = list(session.get(ORDERS_SESSION_KEY, []))
    if reference in references:
        return
    references = references[-19:]
    references.append(reference)
    session[ORDERS_SESSION_KEY] = references


def may_see_order(session, reference: str) -> bool:
    return reference in session.get(ORDERS_SESSION_KEY, [])
