"""Fault: a Celery worker is killed (SIGKILL, no goodbye) in the middle of a
task: a badge print sheet half drawn, a card refund waiting for Stripe's
answer. The task is handed to the next worker once the broker's visibility
timeout runs out, runs again, and nothing is done twice: one sheet with
every badge, one refund at Stripe. For e-mails, see
tests/tickets/test_email_delivery.py (a worker killed while sending).

A real worker on a private redis-server, reading the test database, with a
3-second visibility timeout; Stripe is tests/fakestripe.py."""

import pytest
from django.db import connection

from tests.conftest import book, make_ticket_type, paid_by_card
from tests.fakestripe import FakeStripe
from tests.mailtools import database_url, wait_until
from tests.tickets.test_email_delivery import Workers
from tickets.models import BadgeSheet, Email, Refund
from tickets.services import Actor, order_cancel
from tickets.services.badges import badge_sheet_request
from tickets.services.outbox import emails_silenced

pytestmark = pytest.mark.django_db(transaction=True)

VISIBILITY_TIMEOUT = 3


@pytest.fixture(scope="module")
def stripe_fake():
    fake = FakeStripe().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def workers(django_db_setup, sink, broker, stripe_fake):
    """Replaces the e-mail tests' workers: these also reach the fake Stripe
    and give up on a killed worker's task after VISIBILITY_TIMEOUT s."""
    workers = Workers(
        database_url=database_url(connection.settings_dict),
        broker_url=broker.url,
        smtp_port=sink.port,
        env={
            "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
            "STRIPE_SECRET_KEY": "sk_test_fake",
            "STRIPE_WEBHOOK_SECRET": stripe_fake.webhook_secret,
            "STRIPE_API_BASE": stripe_fake.url,
            "STRIPE_TIMEOUT_SECONDS": "120",
        },
    )
    try:
        workers.start()
        yield workers
    finally:
        workers.close()


@pytest.fixture
def stripe(settings, stripe_fake):
    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    settings.STRIPE_WEBHOOK_SECRET = stripe_fake.webhook_secret
    settings.STRIPE_API_BASE = stripe_fake.url
    settings.STRIPE_TIMEOUT_SECONDS = 5
    return stripe_fake


def test_a_badge_sheet_half_drawn_by_a_killed_worker_is_drawn_again_once(
    live, event, free_type
):
    with emails_silenced():
        for _ in range(6):
            book(event, free_type, count=10)
    sheet = badge_sheet_request(event_id=event.pk)

    def drawing():
        sheet.refresh_from_db()
        return sheet.status == BadgeSheet.Status.BUILDING and sheet.done >= 10

    wait_until(drawing, 60, interval=0.02, what="the worker to be drawing badges")
    live.worker.kill()
    sheet.refresh_from_db()
    assert sheet.status == BadgeSheet.Status.BUILDING  # killed half-way
    assert 10 <= sheet.done < 60 and sheet.pdf is None

    replacement = live.workers.start()

    def built():
        sheet.refresh_from_db()
        return sheet.status == BadgeSheet.Status.DONE

    wait_until(built, 60 + VISIBILITY_TIMEOUT, interval=0.1, what="the sheet")
    replacement.wait_idle(timeout=30)
    assert BadgeSheet.objects.count() == 1
    assert (sheet.total, sheet.done) == (60, 60)
    assert bytes(sheet.pdf).startswith(b"%PDF-")
    lines = [m for m in replacement.task_lines() if "badge_sheet_build" in m["name"]]
    assert [m["what"][:9] for m in lines] == ["received", "succeeded"]
    assert replacement.results(lines[0]["id"]) == ["'done'"]


def test_a_refund_whose_worker_died_waiting_for_stripe_is_made_once(
    live, stripe, event
):
    paid_type = make_ticket_type(event, name="Supplier", price_pence=9500)
    order = paid_by_card(event, paid_type, stripe)
    intent = stripe.payment_intents[order.stripe_payment_intent_id]
    stripe.delay_next("/v1/refunds", 60)  # Stripe refunds, then answers late

    order_cancel(order_id=order.pk, actor=Actor.system(), by_organiser=True)

    refund = Refund.objects.get(order=order)
    wait_until(lambda: stripe.refunds, 30, what="the worker to ask Stripe")
    live.worker.kill()  # Stripe has refunded; we never heard
    refund.refresh_from_db()
    assert refund.status == Refund.Status.PENDING

    replacement = live.workers.start()

    def made():
        refund.refresh_from_db()
        return refund.status == Refund.Status.SUCCEEDED

    wait_until(made, 30 + VISIBILITY_TIMEOUT, interval=0.1, what="the refund")
    replacement.wait_idle(timeout=30)
    assert len(stripe.refunds) == 1  # the same idempotency key: one refund
    (made_at_stripe,) = stripe.refunds.values()
    assert refund.stripe_refund_id == made_at_stripe["id"]
    assert intent["amount_refunded"] == 9500
    assert Refund.objects.filter(order=order).count() == 1
    refund_emails = Email.objects.filter(order=order, kind=Email.Kind.REFUND)
    assert refund_emails.count() == 1
    wait_until(lambda: refund_emails.filter(status=Email.Status.SENT).exists(), 20)
    replacement.wait_idle(timeout=30)
    ids = [m.message_id for m in live.sink.messages]
    assert len(ids) == len(set(ids))  # no message went twice
