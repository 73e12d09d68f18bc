"""What a load balancer or monitor needs to know about this web process:
is the database there, are Redis (broker and cache) there, and is the
e-mail outbox keeping up. A few cheap queries, no personal data."""

import time
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Count, Min, Q
from django.utils import timezone

from tickets.models import Email

# Redis is asked with this timeout (seconds): a poll must stay quick even
# when a Redis host has vanished from the network.
REDIS_TIMEOUT = 0.5


@dataclass
class Health:
    """Every check's answer. `healthy` decides 200 or 503; a Redis outage
    only makes the site `degraded` (bookings go on without it)."""

    checks: dict = field(default_factory=dict)
    healthy: bool = True
    degraded: bool = False

    @property
    def status(self) -> str:
        if not self.healthy:
            return "unhealthy"
        return "degraded" if self.degraded else "ok"

    def as_json(self) -> dict:
        return {"status": self.status, "checks": self.checks}


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)


def database_check() -> dict:
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "latency_ms": _ms(started)}


def redis_check(url: str) -> dict:
    """PING the Redis at `url` with a short timeout."""
    import redis

    started = time.monotonic()
    client = redis.Redis.from_url(
        url, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT
    )
    try:
        client.ping()
    except redis.RedisError as exc:
        return {"ok": False, "error": type(exc).__name__}
    finally:
        client.close()
    return {"ok": True, "latency_ms": _ms(started)}


def broker_check() -> dict:
    from psdm.celery import app

    url = app.conf.broker_url or ""
    if not url.startswith(("redis://", "rediss://", "unix://")):
        return {"ok": True, "configured": False}
    return {"configured": True, **redis_check(url)}


def cache_check() -> dict:
    cache = settings.CACHES.get("default", {})
    if not cache.get("BACKEND", "").endswith("RedisCache"):
        return {"ok": True, "configured": False}
    location = cache.get("LOCATION")
    url = location[0] if isinstance(location, list | tuple) else location
    return {"configured": True, **redis_check(url)}


def outbox_check(now: datetime) -> dict:
    """Queued (not yet sent) and failed e-mails, and how long the oldest
    queued one has waited: one query."""
    try:
        found = Email.objects.aggregate(
            queued=Count("pk", filter=Q(status__in=["queued", "sending"])),
            failed=Count("pk", filter=Q(status="failed")),
            oldest=Min("created_at", filter=Q(status__in=["queued", "sending"])),
        )
    except DatabaseError as exc:
        return {"ok": False, "error": type(exc).__name__}
    age = int((now - found["oldest"]).total_seconds()) if found["oldest"] else 0
    return {
        "ok": age <= settings.PSDM_HEALTH_OUTBOX_MAX_AGE_SECONDS,
        "queued": found["queued"],
        "oldest_queued_seconds": max(age, 0),
        "failed": found["failed"],
        "max_age_seconds": settings.PSDM_HEALTH_OUTBOX_MAX_AGE_SECONDS,
    }


def health_check() -> Health:
    """Run every check. The database or an outbox that has stopped moving
    make the site unhealthy; Redis (broker or cache) down, degraded."""
    health = Health()
    health.checks["database"] = database_check()
    health.checks["broker"] = broker_check()
    health.checks["cache"] = cache_check()
    if health.checks["database"]["ok"]:
        health.checks["outbox"] = outbox_check(timezone.now())
    else:
        health.checks["outbox"] = {"ok": False, "error": "database unavailable"}
    health.healthy = health.checks["database"]["ok"] and health.checks["outbox"]["ok"]
    health.degraded = not (
        health.checks["broker"]["ok"] and health.checks["cache"]["ok"]
    )
    return health
