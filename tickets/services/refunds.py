"""Refunds: recorded first, then made through Stripe by a task, so a refund
is never forgotten when Stripe is down and never made twice."""

import logging

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import stripe_api
from ..models import Order, Refund
from ..money import format_pence
from .history import Actor, order_change_record
from .notify import refund_made_notify

logger = logging.getLogger(__name__)

REFUND_MAX_ATTEMPTS = 8


def refund_request(
    *, order: Order, amount_pence: int, reason: str, actor: Actor
) -> Refund | None:
    """Record a refund of money the buyer paid (inside the caller's
    transaction, with the order locked). Card refunds are sent to Stripe
    after the transaction commits; invoice refunds are the organiser's to
    make by bank transfer."""
    owed = order.paid_pence - _refunded_or_pending(order)
    amount_pence = min(amount_pence, owed)
    if amount_pence <= 0:
        return None
    method = (
        Refund.Method.CARD
        if order.payment_method == Order.PaymentMethod.CARD
        and order.stripe_payment_intent_id
        else Refund.Method.MANUAL
    )
    refund = Refund.objects.create(
        order=order, amount_pence=amount_pence, method=method, reason=reason
    )
    if method == Refund.Method.CARD:
        message = _("Refund of %(amount)s to the buyer's card requested.")
        transaction.on_commit(lambda: refund_enqueue(refund_id=refund.pk))
    else:
        message = _("Refund of %(amount)s is due by bank transfer.")
    order_change_record(
        order=order,
        actor=actor,
        action="refund_requested",
        message=message % {"amount": format_pence(amount_pence, order.currency)},
    )
    return refund


def _refunded_or_pending(order: Order) -> int:
    return (
        order.refunds.exclude(status=Refund.Status.FAILED).aggregate(
            total=Sum("amount_pence")
        )["total"]
        or 0
    )


def refund_enqueue(*, refund_id: int) -> None:
    """Queue the Stripe refund; if the queue is down the sweeper will."""
    from ..tasks import refund_make

    try:
        refund_make.delay(refund_id)
    except Exception:  # noqa: BLE001 - the broker may be down; the sweeper retries
        logger.warning("Could not queue refund %s; the sweeper will", refund_id)


def refund_make(*, refund_id: int) -> Refund:
    """Make a pending card refund through Stripe. Safe to run any number of
    times: the idempotency key is the refund's id, and a refund that is no
    longer pending is left alone."""
    refund = Refund.objects.select_related("order").get(pk=refund_id)
    if refund.status != Refund.Status.PENDING or refund.method != Refund.Method.CARD:
        return refund
    order = refund.order
    try:
        made = stripe_api.refund_create(
            payment_intent=order.stripe_payment_intent_id,
            amount_pence=refund.amount_pence,
            refund_key=str(refund.pk),
            reason=refund.reason,
        )
    except stripe_api.StripeError as exc:
        _refund_attempt_failed(refund_id, str(exc))
        raise
    refund_record_result(refund_id=refund.pk, stripe_refund=made)
    return Refund.objects.get(pk=refund.pk)


def _refund_attempt_failed(refund_id: int, error: str) -> None:
    with transaction.atomic():
        refund = Refund.objects.select_for_update().get(pk=refund_id)
        if refund.status != Refund.Status.PENDING:
            return
        refund.attempts += 1
        refund.failure_message = error[:500]
        if refund.attempts >= REFUND_MAX_ATTEMPTS:
            refund.status = Refund.Status.FAILED
            order_change_record(
                order=refund.order,
                actor=Actor.system(),
                action="refund_failed",
                message=_("Stripe refused the refund: %(error)s") % {"error": error},
            )
        refund.save(update_fields=["attempts", "failure_message", "status"])


def refund_record_result(*, refund_id: int, stripe_refund: dict) -> None:
    """Record what Stripe said about one of our refunds."""
    with transaction.atomic():
        refund = Refund.objects.select_for_update().get(pk=refund_id)
        order = Order.objects.select_for_update().get(pk=refund.order_id)
        failed = stripe_refund.get("status") in ("failed", "canceled")
        if refund.status == Refund.Status.SUCCEEDED and failed:
            # Stripe accepted it, then the card's bank sent it back.
            refund.status = Refund.Status.FAILED
            refund.failure_message = stripe_refund.get("failure_reason") or ""
            refund.save(update_fields=["status", "failure_message"])
            order_refund_totals_update(order=order)
            order_change_record(
                order=order,
                actor=Actor.stripe(),
                action="refund_failed",
                message=_("The refund of %(amount)s failed after Stripe accepted it.")
                % {"amount": format_pence(refund.amount_pence, order.currency)},
            )
            return
        if refund.status != Refund.Status.PENDING:
            return
        refund.stripe_refund_id = stripe_refund["id"]
        if failed:
            refund.status = Refund.Status.FAILED
            refund.failure_message = stripe_refund.get("failure_reason") or ""
        else:
            refund.status = Refund.Status.SUCCEEDED
            refund.completed_at = timezone.now()
        refund.save()
        order_refund_totals_update(order=order)
        if refund.status == Refund.Status.SUCCEEDED:
            refund_made_notify(refund=refund)
        order_change_record(
            order=order,
            actor=Actor.stripe(),
            action=f"refund_{refund.status}",
            message=_("Refund of %(amount)s: %(status)s.")
            % {
                "amount": format_pence(refund.amount_pence, order.currency),
                "status": refund.get_status_display(),
            },
        )


def refund_mark_done(*, refund_id: int, actor: Actor) -> bool:
    """The organiser has paid a manual refund back (by bank transfer)."""
    with transaction.atomic():
        refund = Refund.objects.select_for_update().get(pk=refund_id)
        order = Order.objects.select_for_update().get(pk=refund.order_id)
        if refund.status != Refund.Status.PENDING or refund.method != (
            Refund.Method.MANUAL
        ):
            return False
        refund.status = Refund.Status.SUCCEEDED
        refund.completed_at = timezone.now()
        refund.save(update_fields=["status", "completed_at"])
        order_refund_totals_update(order=order)
        refund_made_notify(refund=refund)
        order_change_record(
            order=order,
            actor=actor,
            action="refund_succeeded",
            message=_("Refund of %(amount)s paid by bank transfer.")
            % {"amount": format_pence(refund.amount_pence, order.currency)},
        )
        return True


def order_refund_totals_update(*, order: Order) -> None:
    """Recount what has been refunded from the refund rows (order locked)."""
    refunded = (
        order.refunds.filter(status=Refund.Status.SUCCEEDED).aggregate(
            total=Sum("amount_pence")
        )["total"]
        or 0
    )
    order.refunded_pence = min(refunded, order.paid_pence)
    if order.paid_pence and order.refunded_pence >= order.paid_pence:
        order.payment_status = Order.PaymentStatus.REFUNDED
    elif order.payment_status == Order.PaymentStatus.REFUNDED:
        order.payment_status = Order.PaymentStatus.PAID
    order.save(update_fields=["refunded_pence", "payment_status", "updated_at"])


def refunds_retry_pending() -> int:
    """Queue every card refund still to do (run by Celery beat)."""
    pending = Refund.objects.filter(
        status=Refund.Status.PENDING, method=Refund.Method.CARD
    ).values_list("pk", flat=True)
    count = 0
    for refund_id in pending:
        refund_enqueue(refund_id=refund_id)
        count += 1
    return count
