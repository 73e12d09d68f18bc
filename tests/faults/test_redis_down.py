"""Fault: Redis is down (the Celery broker and the cache). Bookings through
the pages still succeed; their e-mails wait in the outbox and follow, each
once, when Redis is back. Runs a real Celery worker on a private
redis-server and an SMTP sink (tests/mailtools.py)."""

import json
import time

import pytest
from django.test import Client

from tests.mailtools import wait_until
from tests.tickets.flow import fill_up_to_check, url
from tests.tickets.test_email_delivery import wait_for_status
from tickets.models import Email, Order
from tickets.services import outbox

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(params=["django.contrib.sessions.backends.db", "psdm.ops.sessions"])
def redis_cache(request, settings, live):
    """The cache (and, with psdm.ops.sessions, the sessions in front of the
    database) on the private Redis that the test will stop."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": live.broker.url.replace("/0", "/3"),
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    settings.SESSION_ENGINE = request.param
    return request.param


def test_bookings_succeed_while_redis_is_down_and_emails_follow_once(
    live, redis_cache, event, free_type
):
    buyers = [Client(), Client()]
    fill_up_to_check(buyers[0], event, free_type, count=2)  # Redis still up
    live.broker.stop()
    try:
        fill_up_to_check(buyers[1], event, free_type, count=1)  # begun while down
        started = time.monotonic()
        answers = [buyer.post(url("check", event)) for buyer in buyers]
        took = time.monotonic() - started
        health = Client().get("/health/")
        confirmation = buyers[1].get(answers[1]["Location"])
    finally:
        live.broker.start()

    assert [a.status_code for a in answers] == [302, 302]
    assert confirmation.status_code == 200
    assert took < 10  # generous: the booking does not wait on Redis
    assert Order.objects.filter(status=Order.Status.CONFIRMED).count() == 2
    emails = list(Email.objects.all())
    assert Email.objects.filter(kind=Email.Kind.CONFIRMATION).count() == 2
    count = len(emails)  # and the attendees' own e-mails
    assert {(e.status, e.attempts) for e in emails} == {(Email.Status.QUEUED, 0)}
    report = json.loads(health.content)
    assert health.status_code == 200 and report["status"] == "degraded"
    assert not report["checks"]["broker"]["ok"]
    assert not report["checks"]["cache"]["ok"]
    assert live.sink.messages == []

    # Redis is back (empty: it kept nothing): beat's sweeper hands them over.
    assert outbox.emails_sweep(grace_seconds=0) == count
    received = live.sink.wait_for(count, timeout=30)
    for email in emails:
        wait_for_status(email, Email.Status.SENT)
    live.worker.wait_idle()
    assert outbox.emails_sweep(grace_seconds=0) == 0
    time.sleep(0.5)
    assert len(live.sink.messages) == count
    assert sorted(m.message_id for m in received) == sorted(
        e.message_id for e in emails
    )
    assert all(e.attempts == 1 for e in emails)
    wait_until(lambda: Client().get("/health/").status_code == 200, 5)
