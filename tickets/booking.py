"""The booking in progress, kept in the buyer's session between steps."""

from dataclasses import dataclass, field, fields

from .models import Order
from .services import AttendeeDetails, BillingDetails, OrderLine

ATTENDEE_KEYS = {f.name for f in fields(AttendeeDetails)}
BILLING_KEYS = {f.name for f in fields(BillingDetails)}
PAYMENT_METHODS = {Order.PaymentMethod.CARD, Order.PaymentMethod.INVOICE}
BUYER_KEYS = {"buyer_name", "buyer_email"}

SESSION_PREFIX = "booking:"
ORDERS_SESSION_KEY = "orders"


@dataclass
class BookingDraft:
    quantities: dict[int, int] = field(default_factory=dict)
    buyer: dict = field(default_factory=dict)
    attendees: list[dict] = field(default_factory=list)
    payment: str = ""
    billing: dict = field(default_factory=dict)
    # The code the buyer entered, as stored; order_create checks it again.
    code: str = ""
    # A waiting-list offer's token: its one place is kept for this booking.
    offer: str = ""

    @classmethod
    def load(cls, session, event_id: int) -> "BookingDraft":
        data = session.get(f"{SESSION_PREFIX}{event_id}") or {}
        try:
            quantities = {int(k): int(v) for k, v in data.get("quantities", {}).items()}
            buyer = dict(data.get("buyer") or {})
            attendees = [dict(a) for a in data.get("attendees") or []]
            payment = data.get("payment") or ""
            billing = dict(data.get("billing") or {})
            code = data.get("code") or ""
            offer = data.get("offer") or ""
        except (TypeError, ValueError, AttributeError):
            return cls()
        draft = cls(
            quantities={k: v for k, v in quantities.items() if v > 0},
            buyer=buyer,
            attendees=attendees,
            payment=payment,
            billing=billing,
            code=code,
            offer=offer,
        )
        # Anything that is not what this code saved starts the booking again.
        if not draft._well_formed():
            return cls()
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
        if not isinstance(self.offer, str):
            return False
        if not isinstance(self.code, str) or len(self.code) > 32:
            return False
        values = list(self.buyer.values()) + list(self.billing.values())
        for attendee in self.attendees:
            if attendee and set(attendee) != ATTENDEE_KEYS:
                return False
            values.extend(attendee.values())
        return all(isinstance(value, str) for value in values)

    def save(self, session, event_id: int) -> None:
        session[f"{SESSION_PREFIX}{event_id}"] = {
            "quantities": {str(k): v for k, v in self.quantities.items()},
            "buyer": self.buyer,
            "attendees": self.attendees,
            "payment": self.payment,
            "billing": self.billing,
            "code": self.code,
            "offer": self.offer,
        }

    @staticmethod
    def clear(session, event_id: int) -> None:
        session.pop(f"{SESSION_PREFIX}{event_id}", None)

    def slots(self) -> list[int]:
        """Return one ticket type id per place, in a stable order."""
        return [
            pk for pk in sorted(self.quantities) for _ in range(self.quantities[pk])
        ]

    def set_quantities(self, quantities: dict[int, int]) -> None:
        if quantities != self.quantities:
            self.quantities = quantities
            # Keep what was typed for places that still exist.
            self.attendees = self.attendees[: len(self.slots())]

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
    references = list(session.get(ORDERS_SESSION_KEY, []))[-19:]
    references.append(reference)
    session[ORDERS_SESSION_KEY] = references


def may_see_order(session, reference: str) -> bool:
    return reference in session.get(ORDERS_SESSION_KEY, [])
