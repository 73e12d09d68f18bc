"""Cancellations, waiting-list sweeps, offers being booked and offers running
out, all at once, each on its own database connection.

Runs on whichever database DATABASE_URL names (PostgreSQL in CI). Threads
start together at a barrier. After each round the pool's counter must equal
the places held or confirmed plus the live offers, and never exceed
capacity; an offer ends once, as booked or expired, never both.
"""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tests.conftest import book, lines, make_event, make_ticket_type
from tests.tickets.waitlist_helpers import assert_pool_consistent, join
from tickets.models import Order, Ticket, WaitlistEntry, WaitlistOffer
from tickets.services import Actor, BookingError, SoldOut, order_cancel, order_create
from tickets.services.waitlist import offers_expire, offers_make, waitlist_sweep

CAPACITY = 12
Offer = WaitlistOffer


def run_together(jobs) -> list:
    """Run each callable in its own thread, all at once; return outcomes."""
    barrier = threading.Barrier(len(jobs))
    outcomes: list = [None] * len(jobs)

    def worker(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            outcomes[index] = jobs[index]()
        except Exception as exc:  # noqa: BLE001 - checked by the caller
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


def booker(event, ticket_type, n, offer=None):
    def job():
        return order_create(
            event_id=event.pk,
            buyer_name=f"Racer {n}",
            buyer_email=f"racer{n}@example.gov.uk",
            lines=lines(ticket_type, 1),
            offer=offer,
        )

    return job


def canceller(order):
    return lambda: order_cancel(order_id=order.pk, actor=Actor.system())


def unexpected(outcomes, allowed=(SoldOut,)):
    return [
        o for o in outcomes if isinstance(o, Exception) and not isinstance(o, allowed)
    ]


def assert_offers_sound(event):
    for offer in Offer.objects.filter(event=event):
        if offer.status == Offer.Status.USED:
            assert offer.order is not None
            assert offer.order.tickets.exclude(status="cancelled").count() == 1
            assert offer.entry.status == WaitlistEntry.Status.BOOKED
        else:
            assert offer.order is None
    live = Offer.objects.filter(event=event, status=Offer.Status.OFFERED)
    assert live.values("entry").distinct().count() == live.count()


@pytest.mark.django_db(transaction=True)
def test_cancellations_sweeps_bookings_and_expiry_racing_never_oversell():
    event = make_event(capacity=CAPACITY)
    ticket_type = make_ticket_type(event)
    orders = [
        book(event, ticket_type, buyer_email=f"b{n}@example.gov.uk")
        for n in range(CAPACITY)
    ]
    for n in range(20):
        join(event, n)

    # Round 1: six cancellations, sweeps and normal bookers at once. Every
    # place given back goes to the waiting list, so bookers are sold out.
    jobs = [canceller(order) for order in orders[:6]]
    jobs += [lambda: offers_make(event_id=event.pk) for _ in range(3)]
    jobs += [lambda: waitlist_sweep() for _ in range(3)]
    jobs += [booker(event, ticket_type, n) for n in range(8)]
    outcomes = run_together(jobs)
    assert not unexpected(outcomes)
    assert all(isinstance(o, SoldOut) for o in outcomes[12:]), outcomes[12:]
    assert assert_pool_consistent(event) == CAPACITY
    assert Offer.objects.filter(status=Offer.Status.OFFERED).count() == 6
    assert_offers_sound(event)

    # Round 2: the offers are booked while more places are cancelled, the
    # sweep runs and normal bookers try again.
    tokens = list(
        Offer.objects.filter(status=Offer.Status.OFFERED).values_list(
            "token", flat=True
        )
    )
    jobs = [booker(event, ticket_type, 100 + i, offer=t) for i, t in enumerate(tokens)]
    jobs += [canceller(order) for order in orders[6:9]]
    jobs += [lambda: waitlist_sweep() for _ in range(3)]
    jobs += [booker(event, ticket_type, 200 + n) for n in range(5)]
    outcomes = run_together(jobs)
    assert not unexpected(outcomes)
    with_offer = outcomes[: len(tokens)]
    assert all(isinstance(o, Order) for o in with_offer), with_offer
    normal = outcomes[len(tokens) + 6 :]
    assert all(isinstance(o, SoldOut) for o in normal), normal
    assert assert_pool_consistent(event) == CAPACITY
    assert Offer.objects.filter(status=Offer.Status.USED).count() == 6
    assert_offers_sound(event)

    # Round 3: the live offers are booked at the moment the sweep finds
    # them expired: each ends once, either way, and passes on if it expired.
    later = timezone.now() + timedelta(hours=49)
    tokens = list(
        Offer.objects.filter(status=Offer.Status.OFFERED).values_list(
            "token", flat=True
        )
    )
    assert tokens
    jobs = [booker(event, ticket_type, 300 + i, offer=t) for i, t in enumerate(tokens)]
    jobs += [lambda: offers_expire(now=later) for _ in range(4)]
    jobs += [canceller(order) for order in orders[9:11]]
    outcomes = run_together(jobs)
    assert not unexpected(outcomes, allowed=(BookingError,))
    assert assert_pool_consistent(event) == CAPACITY
    assert_offers_sound(event)
    for token in tokens:
        offer = Offer.objects.get(token=token)
        assert offer.status in (Offer.Status.USED, Offer.Status.EXPIRED)

    confirmed = Ticket.objects.filter(
        event=event, status=Ticket.Status.CONFIRMED
    ).count()
    live = Offer.objects.filter(event=event, status=Offer.Status.OFFERED).count()
    assert confirmed + live == CAPACITY
