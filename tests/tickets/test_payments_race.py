"""Buyers pay for the last places while other holds run out, all at once,
each on its own database connection: the pool is never oversold."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from tests.conftest import lines, make_event, make_ticket_type
from tickets.models import Order, Refund, Ticket
from tickets.services import (
    Actor,
    BookingError,
    Outcome,
    holds_expire,
    order_create,
    payment_confirm,
)
from tickets.services import refunds as refund_service


def run_together(jobs) -> list:
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def worker(index, job):
        try:
            barrier.wait(timeout=30)
            results[index] = job()
        except BookingError as exc:
            results[index] = exc
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            results[index] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results


def live_places(event) -> int:
    """Tickets that hold a place: confirmed, or held by a pending order."""
    return Ticket.objects.filter(
        Q(status=Ticket.Status.CONFIRMED)
        | Q(status=Ticket.Status.HELD, order__status=Order.Status.PENDING),
        event=event,
    ).count()


@pytest.mark.django_db(transaction=True)
def test_paying_for_the_last_places_while_holds_expire_never_oversells(
    settings, monkeypatch
):
    settings.STRIPE_SECRET_KEY = "sk_test_race"
    refunds_queued = []
    monkeypatch.setattr(
        refund_service,
        "refund_enqueue",
        lambda refund_id: refunds_queued.append(refund_id),
    )
    event = make_event(capacity=20)
    paid = make_ticket_type(event, name="Supplier", price_pence=9500, max_per_order=5)
    free = make_ticket_type(event, name="Public sector", max_per_order=5)

    def card_order(n):
        return order_create(
            event_id=event.pk,
            buyer_name=f"Holder {n}",
            buyer_email=f"holder{n}@example.com",
            lines=lines(paid, 2),
            payment_method="card",
        )

    holders = [card_order(n) for n in range(10)]  # all 20 places held
    expired = holders[:5]
    Order.objects.filter(pk__in=[o.pk for o in expired]).update(
        hold_expires_at=timezone.now() - timedelta(seconds=1)
    )

    def pay(order):
        return lambda: payment_confirm(
            order_id=order.pk,
            session_id=f"cs_{order.reference}",
            payment_intent=f"pi_{order.reference}",
            amount_pence=order.total_pence,
            currency="gbp",
            actor=Actor.stripe(),
        )

    def newcomer(n):
        return lambda: order_create(
            event_id=event.pk,
            buyer_name=f"Newcomer {n}",
            buyer_email=f"new{n}@example.com",
            lines=lines(free, 1 + n % 2),
        )

    jobs = [pay(order) for order in holders]
    jobs += [newcomer(n) for n in range(30)]
    jobs += [holds_expire for _ in range(3)]
    results = run_together(jobs)

    unexpected = [
        r
        for r in results
        if isinstance(r, Exception) and not isinstance(r, BookingError)
    ]
    assert not unexpected, unexpected[:3]
    event.refresh_from_db()
    assert live_places(event) == event.places_taken <= event.capacity == 20
    # Payments for holds still running are always confirmed.
    assert results[5:10] == [Outcome.CONFIRMED] * 5
    for order, outcome in zip(expired, results[:5], strict=True):
        order.refresh_from_db()
        if outcome == Outcome.CONFIRMED:
            assert order.status == Order.Status.CONFIRMED
        else:
            # Its places had gone: the payment is refunded, never oversold.
            assert outcome == Outcome.REFUNDING
            assert order.status == Order.Status.EXPIRED
            assert Refund.objects.filter(order=order, amount_pence=19000).exists()
    assert len(refunds_queued) == results[:5].count(Outcome.REFUNDING)
    winners = [r for r in results[10:40] if isinstance(r, Order)]
    freed = 20 - 10 - 2 * results[:5].count(Outcome.CONFIRMED)
    assert sum(o.tickets.count() for o in winners) <= freed
    paid.refresh_from_db()
    free.refresh_from_db()
    assert paid.places_taken + free.places_taken == event.places_taken
