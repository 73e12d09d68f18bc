"""/health/: the database, Redis and the e-mail outbox, for load balancers
and monitoring. Cheap, anonymous, never cached, and it names nobody."""

import json
from datetime import timedelta

import pytest
from django.db import OperationalError, connection
from django.utils import timezone

from tests.conftest import book
from tests.mailtools import RedisServer, celery_broker, free_port
from tickets.models import Email

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def redis_server():
    server = RedisServer()
    try:
        yield server.start()
    finally:
        server.close()


def get(client, url="/health/"):
    response = client.get(url)
    return response, json.loads(response.content)


def dead_database(execute, sql, params, many, context):
    raise OperationalError("server closed the connection unexpectedly")


def test_a_healthy_site_answers_200_with_every_check(client):
    response, body = get(client)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    assert body["status"] == "ok"
    database = body["checks"]["database"]
    assert database["ok"] is True and database["latency_ms"] >= 0
    # Locally there is no Redis: tasks run in-process, the cache is memory.
    assert body["checks"]["broker"] == {"ok": True, "configured": False}
    assert body["checks"]["cache"] == {"ok": True, "configured": False}
    assert body["checks"]["outbox"] == {
        "ok": True,
        "queued": 0,
        "oldest_queued_seconds": 0,
        "failed": 0,
        "max_age_seconds": 1800,
    }


def test_the_outbox_counts_queued_and_failed_and_the_oldest_wait(
    client, event, free_type
):
    book(event, free_type, count=2)  # a confirmation and an attendee's e-mail
    emails = list(Email.objects.order_by("pk"))
    assert len(emails) >= 2
    Email.objects.filter(pk=emails[0].pk).update(
        created_at=timezone.now() - timedelta(minutes=10)
    )
    Email.objects.filter(pk=emails[-1].pk).update(status=Email.Status.FAILED)

    response, body = get(client)

    outbox = body["checks"]["outbox"]
    assert response.status_code == 200
    assert outbox["queued"] == len(emails) - 1
    assert outbox["failed"] == 1
    assert 595 <= outbox["oldest_queued_seconds"] <= 660


def test_an_outbox_that_has_stopped_moving_is_unhealthy(
    client, event, free_type, settings
):
    settings.PSDM_HEALTH_OUTBOX_MAX_AGE_SECONDS = 300
    book(event, free_type)
    Email.objects.update(created_at=timezone.now() - timedelta(minutes=6))

    response, body = get(client)

    assert response.status_code == 503
    assert body["status"] == "unhealthy"
    assert body["checks"]["outbox"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True
    # Only the database counts for a load balancer: the web process serves.
    assert client.get("/health/web/").status_code == 200


def test_sent_e_mails_are_no_backlog(client, event, free_type, settings):
    settings.PSDM_HEALTH_OUTBOX_MAX_AGE_SECONDS = 300
    book(event, free_type)
    Email.objects.update(
        created_at=timezone.now() - timedelta(days=1),
        status=Email.Status.SENT,
        sent_at=timezone.now(),
    )

    response, body = get(client)

    assert response.status_code == 200
    assert body["checks"]["outbox"]["queued"] == 0


def test_the_database_down_is_503_for_both_checks(client):
    with connection.execute_wrapper(dead_database):
        response, body = get(client)
        web, web_body = get(client, "/health/web/")

    assert response.status_code == 503
    assert body["status"] == "unhealthy"
    assert body["checks"]["database"] == {"ok": False, "error": "OperationalError"}
    assert body["checks"]["outbox"]["ok"] is False
    assert web.status_code == 503
    assert web_body["database"]["ok"] is False
    assert "server closed" not in response.content.decode()  # no error text


def test_redis_up_is_reported_with_its_latency(client, settings, redis_server):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_server.url.replace("/0", "/1"),
        }
    }

    with celery_broker(redis_server.url):
        response, body = get(client)

    assert response.status_code == 200
    assert body["status"] == "ok"
    for name in ("broker", "cache"):
        assert body["checks"][name]["ok"] is True
        assert body["checks"][name]["configured"] is True
        assert body["checks"][name]["latency_ms"] >= 0


def test_redis_down_is_degraded_not_unhealthy(client, settings):
    """Bookings go on without Redis (e-mails wait in the outbox), so a load
    balancer must not take the web processes out: 200, "degraded"."""
    dead = f"redis://127.0.0.1:{free_port()}/0"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": dead,
        }
    }

    with celery_broker(dead):
        response, body = get(client)

    assert response.status_code == 200
    assert body["status"] == "degraded"
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["cache"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True
    assert "127.0.0.1" not in response.content.decode()  # no addresses


def test_it_names_nobody(client, event, free_type):
    book(event, free_type, buyer_name="Grace Hopper", buyer_email="grace@x.gov.uk")
    Email.objects.update(status=Email.Status.FAILED, last_error="550 grace@x.gov.uk")

    response, _ = get(client)

    text = response.content.decode()
    assert response.status_code == 200
    for secret in ("@", "Grace", "Hopper", "Lovelace", "Ada", event.slug):
        assert secret not in text


def test_it_is_cheap(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        response = client.get("/health/")
    assert response.status_code == 200


def test_only_get(client):
    assert client.post("/health/").status_code == 405
    assert client.post("/health/web/").status_code == 405
