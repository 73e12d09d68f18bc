"""Card payments through Stripe Checkout.

Stripe tells us about a payment twice: by webhook and when the buyer comes
back to our return page. Both fetch the Checkout Session back from Stripe
and call `checkout_session_sync`, which is idempotent, so the order is
confirmed once whichever comes first, and as often as Stripe retries.
"""

import logging
from collections import Counter
from enum import StrEnum

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import stripe_api
from ..models import Order, Refund, StripeEvent, Ticket
from ..money import format_pence
from .cancellations import tickets_cancel
from .codes import CodeUsedUp, code_uses_take, ticket_code_uses
from .errors import PaymentStartFailed
from .history import Actor, order_change_record
from .holds import order_hold_release
from .notify import order_confirmed_notify, refund_made_notify
from .places import (
    PoolFull,
    TicketTypeFull,
    lock_timeout_set,
    places_take,
    pool_lock,
)
from .refunds import order_refund_totals_update, refund_record_result, refund_request

logger = logging.getLogger(__name__)


class Outcome(StrEnum):
    CONFIRMED = "confirmed"
    ALREADY_CONFIRMED = "already_confirmed"
    REFUNDING = "refunding"
    RELEASED = "released"
    WAITING = "waiting"
    MISMATCH = "mismatch"
    IGNORED = "ignored"


def checkout_start(*, order_id: int, success_url: str, cancel_url: str) -> str:
    """Create the Stripe Checkout Session for a pending order and return the
    address of Stripe's payment page. If Stripe fails, the places are given
    back at once and PaymentStartFailed is raised."""
    order = Order.objects.select_related("event").get(pk=order_id)
    lines = Counter()
    names = {}
    for ticket in order.tickets.select_related("ticket_type"):
        key = (ticket.ticket_type_id, ticket.price_pence)
        lines[key] += 1
        names[key] = f"{ticket.ticket_type.name}: {order.event.name}"
    try:
        session = stripe_api.checkout_session_create(
            reference=order.reference,
            buyer_email=order.buyer_email,
            currency=order.currency,
            lines=[
                {"name": names[key], "unit_pence": key[1], "quantity": quantity}
                for key, quantity in sorted(lines.items())
            ],
            expires_at=order.hold_expires_at,
            success_url=success_url,
            cancel_url=cancel_url,
        )
    except stripe_api.StripeError as exc:
        logger.warning("Stripe checkout for %s failed: %s", order.reference, exc)
        order_hold_release(
            order_id=order.pk,
            status=Order.Status.CANCELLED,
            actor=Actor.system(),
            message=_("Card payment could not be started: %(error)s")
            % {"error": type(exc).__name__},
        )
        raise PaymentStartFailed(
            _(
                "We could not connect to our card payment provider, so your "
                "places have not been booked. Please try again in a few minutes."
            )
        ) from exc
    Order.objects.filter(pk=order.pk, stripe_session_id__isnull=True).update(
        stripe_session_id=session["id"]
    )
    return session["url"]


def checkout_session_sync(*, order_id: int, session: dict, actor: Actor) -> Outcome:
    """Bring the order up to date with its Checkout Session, as fetched back
    from Stripe (never as a webhook claimed it)."""
    order = Order.objects.get(pk=order_id)
    if not _session_matches(order, session):
        return Outcome.MISMATCH
    if session.get("payment_status") == "paid":
        return payment_confirm(
            order_id=order.pk,
            session_id=session["id"],
            payment_intent=session.get("payment_intent") or "",
            amount_pence=session.get("amount_total"),
            currency=session.get("currency") or "",
            actor=actor,
        )
    if session.get("status") == "expired":
        released = order_hold_release(
            order_id=order.pk,
            status=Order.Status.EXPIRED,
            actor=actor,
            message=_("The card payment page expired before payment."),
        )
        return Outcome.RELEASED if released else Outcome.IGNORED
    return Outcome.WAITING


def checkout_payment_failed(*, order_id: int, session: dict, actor: Actor) -> Outcome:
    """A delayed payment (such as a bank debit) failed: give the places back."""
    order = Order.objects.get(pk=order_id)
    if not _session_matches(order, session) or session.get("payment_status") == "paid":
        return Outcome.IGNORED
    released = order_hold_release(
        order_id=order.pk,
        status=Order.Status.CANCELLED,
        actor=actor,
        message=_("The payment failed."),
    )
    return Outcome.RELEASED if released else Outcome.IGNORED


def checkout_abandon(*, order_id: int) -> bool:
    """The buyer left Stripe's page without paying: expire the session so it
    cannot be paid later, then give the places back. If Stripe cannot be
    reached, the hold simply runs out."""
    order = Order.objects.get(pk=order_id)
    if order.status != Order.Status.PENDING:
        return False
    if order.stripe_session_id:
        try:
            session = stripe_api.checkout_session_expire(order.stripe_session_id)
        except stripe_api.StripeError as exc:
            logger.info("Could not expire %s: %s", order.stripe_session_id, exc)
            return False
        if session.get("payment_status") == "paid":
            return False
    return order_hold_release(
        order_id=order.pk,
        status=Order.Status.CANCELLED,
        actor=Actor.buyer(),
        message=_("The buyer left the payment page without paying."),
    )


def _session_matches(order: Order, session: dict) -> bool:
    reference = (session.get("metadata") or {}).get("order_reference")
    ok = (
        session.get("client_reference_id") == order.reference
        and reference == order.reference
        and order.stripe_session_id in (None, session.get("id"))
    )
    if not ok:
        logger.error("Checkout session %s does not match order", session.get("id"))
    return ok


def payment_confirm(
    *,
    order_id: int,
    session_id: str,
    payment_intent: str,
    amount_pence: int | None,
    currency: str,
    actor: Actor,
) -> Outcome:
    """Record a completed card payment and confirm the order's places.

    A payment that arrives after the hold ended takes the places again if
    they are still free; otherwise the payment is refunded in full.
    """
    event_id = Order.objects.values_list("event_id", flat=True).get(pk=order_id)
    with transaction.atomic():
        lock_timeout_set()
        pool_lock(event_id)
        order = Order.objects.select_for_update().get(pk=order_id)
        if order.stripe_payment_intent_id:
            return (
                Outcome.ALREADY_CONFIRMED
                if order.stripe_payment_intent_id == payment_intent
                else Outcome.IGNORED
            )
        if amount_pence != order.total_pence or currency.upper() != order.currency:
            order_change_record(
                order=order,
                actor=actor,
                action="payment_mismatch",
                message=_(
                    "A payment of %(paid)s did not match the order's total of "
                    "%(total)s, so the order was not confirmed. Check it in Stripe."
                )
                % {
                    "paid": f"{amount_pence} {currency.upper()}",
                    "total": format_pence(order.total_pence, order.currency),
                },
            )
            logger.error("Payment for %s did not match the order", order.reference)
            return Outcome.MISMATCH
        order.stripe_session_id = order.stripe_session_id or session_id
        order.stripe_payment_intent_id = payment_intent
        order.paid_pence = amount_pence
        order.payment_status = Order.PaymentStatus.PAID
        paid = format_pence(amount_pence, order.currency)
        if order.status == Order.Status.PENDING:
            outcome = _confirm_held(order, actor, paid)
        else:
            outcome = _confirm_late(order, actor, paid)
        order.save()
        if outcome == Outcome.REFUNDING:
            refund_request(
                order=order,
                amount_pence=amount_pence,
                reason=_("Paid after the places had gone"),
                actor=Actor.system(),
            )
        return outcome


def _confirm_held(order: Order, actor: Actor, paid: str) -> Outcome:
    order.tickets.filter(status=Ticket.Status.HELD).update(
        status=Ticket.Status.CONFIRMED
    )
    order.status = Order.Status.CONFIRMED
    order_change_record(
        order=order,
        actor=actor,
        action="paid",
        message=_("Paid %(amount)s by card. The places are confirmed.")
        % {"amount": paid},
    )
    order_confirmed_notify(order=order, tickets=list(order.tickets.all()))
    return Outcome.CONFIRMED


def _confirm_late(order: Order, actor: Actor, paid: str) -> Outcome:
    """The hold had ended before the payment completed."""
    tickets = list(order.tickets.all())
    quantities = Counter(ticket.ticket_type_id for ticket in tickets)
    try:
        with transaction.atomic():
            places_take(event_id=order.event_id, quantities=quantities)
            # Codes whose uses the expired hold gave back take them again.
            for code_id, count in sorted(ticket_code_uses(tickets).items()):
                code_uses_take(code_id=code_id, quantity=count, active_only=False)
    except (PoolFull, TicketTypeFull, CodeUsedUp):
        order_change_record(
            order=order,
            actor=actor,
            action="paid_too_late",
            message=_(
                "Paid %(amount)s by card after the hold ended, but the places "
                "had gone. The payment is being refunded."
            )
            % {"amount": paid},
        )
        return Outcome.REFUNDING
    order.tickets.update(status=Ticket.Status.CONFIRMED, cancelled_at=None)
    order.status = Order.Status.CONFIRMED
    order_change_record(
        order=order,
        actor=actor,
        action="paid",
        message=_(
            "Paid %(amount)s by card after the hold ended; the places were "
            "still free, so they are confirmed."
        )
        % {"amount": paid},
    )
    order_confirmed_notify(order=order, tickets=list(order.tickets.all()))
    return Outcome.CONFIRMED


def stripe_refund_sync(*, refund: dict) -> Outcome:
    """A refund Stripe told us about: one of ours, or one made in Stripe's
    dashboard. A dashboard refund of the whole payment cancels the order."""
    key = (refund.get("metadata") or {}).get("psdm_refund")
    if key and key.isdigit() and Refund.objects.filter(pk=int(key)).exists():
        refund_record_result(refund_id=int(key), stripe_refund=refund)
        return Outcome.CONFIRMED
    order = Order.objects.filter(
        stripe_payment_intent_id=refund.get("payment_intent") or "-"
    ).first()
    if order is None or refund.get("status") not in ("succeeded", "pending"):
        return Outcome.IGNORED
    with transaction.atomic():
        lock_timeout_set()
        pool_lock(order.event_id)
        order = Order.objects.select_for_update().get(pk=order.pk)
        try:
            with transaction.atomic():
                refund_row = Refund.objects.create(
                    order=order,
                    amount_pence=refund["amount"],
                    method=Refund.Method.CARD,
                    status=Refund.Status.SUCCEEDED,
                    stripe_refund_id=refund["id"],
                    reason=_("Refunded in Stripe's dashboard"),
                    completed_at=timezone.now(),
                )
        except IntegrityError:
            return Outcome.ALREADY_CONFIRMED
        order_refund_totals_update(order=order)
        order_change_record(
            order=order,
            actor=Actor.stripe(),
            action="refund_succeeded",
            message=_("Refund of %(amount)s made in Stripe's dashboard.")
            % {"amount": format_pence(refund["amount"], order.currency)},
        )
        refund_made_notify(refund=refund_row)
        if (
            order.payment_status == Order.PaymentStatus.REFUNDED
            and order.status == Order.Status.CONFIRMED
        ):
            tickets_cancel(
                order=order,
                tickets=list(order.tickets.exclude(status=Ticket.Status.CANCELLED)),
                actor=Actor.stripe(),
                reason=_("the payment was refunded in full in Stripe's dashboard"),
                refund=False,
            )
        return Outcome.CONFIRMED


CHECKOUT_EVENTS = {
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
}
REFUND_EVENTS = {"refund.created", "refund.updated", "refund.failed"}


def stripe_event_process(*, event: dict) -> Outcome:
    """Handle one verified webhook event, once.

    The event id is recorded first under a unique constraint, so a replay
    or a duplicate delivery does nothing. If handling fails (Stripe cannot
    be reached to fetch the object back), the record is removed and the
    error raised, so Stripe delivers the event again later.
    """
    event_id, event_type = event["id"], event["type"]
    if event_type not in CHECKOUT_EVENTS | REFUND_EVENTS:
        return Outcome.IGNORED
    try:
        with transaction.atomic():
            record = StripeEvent.objects.create(event_id=event_id, type=event_type)
    except IntegrityError:
        return Outcome.ALREADY_CONFIRMED
    try:
        outcome, order_id = _stripe_event_handle(event_type, event["data"]["object"])
    except Exception:
        StripeEvent.objects.filter(pk=record.pk).delete()
        raise
    if order_id:
        StripeEvent.objects.filter(pk=record.pk).update(order_id=order_id)
    return outcome


def _stripe_event_handle(event_type: str, obj: dict) -> tuple[Outcome, int | None]:
    object_id = obj.get("id") if isinstance(obj, dict) else None
    if not isinstance(object_id, str) or not object_id:
        return Outcome.IGNORED, None
    try:
        if event_type in REFUND_EVENTS:
            refund = stripe_api.refund_retrieve(object_id)
            return stripe_refund_sync(refund=refund), None
        session = stripe_api.checkout_session_retrieve(object_id)
    except stripe_api.RequestRefused:
        # Stripe has no such object: not a real event about our account.
        logger.warning("Stripe does not know %s from a %s event", object_id, event_type)
        return Outcome.IGNORED, None
    reference = session.get("client_reference_id") or ""
    order_id = (
        Order.objects.filter(reference=reference).values_list("pk", flat=True).first()
    )
    if order_id is None:
        logger.warning("Checkout session %s names no order of ours", session["id"])
        return Outcome.IGNORED, None
    if event_type == "checkout.session.async_payment_failed":
        outcome = checkout_payment_failed(
            order_id=order_id, session=session, actor=Actor.stripe()
        )
    else:
        outcome = checkout_session_sync(
            order_id=order_id, session=session, actor=Actor.stripe()
        )
    return outcome, order_id
