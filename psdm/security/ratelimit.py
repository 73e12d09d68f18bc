"""Rate limits per client address, by URL name, from settings.PSDM_RATE_LIMITS.

    PSDM_RATE_LIMITS = {
        "tickets:code": {"POST": "10/m", "*": "120/m"},
        "tickets:availability": "600/m",
    }

A value is "N/period" (s, m, h or d) for every method, or a dict of method
(or "*" for the rest) to "N/period"; each method's rule counts on its own.
Requests are counted in fixed windows in Django's cache: shared by every
process with Redis (DJANGO_CACHE_URL), per process otherwise. Over the
limit the answer is 429 with Retry-After: a page for people, JSON for the
JSON endpoints. If the cache fails, requests go through (and it is logged).
"""

import logging
import math
import re
import time
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from .ip import client_key

log = logging.getLogger(__name__)
clock = time.time  # tests stop it

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"\s*(\d+)\s*/\s*([smhd])\s*")


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int


def parse_rate(text: str) -> Rate:
    """Return the Rate that "N/period" means; ValueError if it means none."""
    match = _RATE.fullmatch(str(text))
    if not match:
        raise ValueError(f"not a rate (like 10/m): {text!r}")
    return Rate(int(match[1]), PERIODS[match[2]])


@lru_cache(maxsize=1)
def rules() -> dict[str, dict[str, Rate]]:
    """PSDM_RATE_LIMITS parsed: URL name -> method (or "*") -> Rate."""
    parsed = {}
    for name, value in settings.PSDM_RATE_LIMITS.items():
        by_method = value if isinstance(value, dict) else {"*": value}
        parsed[name] = {
            method.upper(): parse_rate(rate) for method, rate in by_method.items()
        }
    return parsed


@receiver(setting_changed)
def _forget_rules(setting, **kwargs):
    if setting == "PSDM_RATE_LIMITS":
        rules.cache_clear()


def rule_for(view_name: str | None, method: str) -> tuple[str, Rate] | None:
    """Return (the rule's method key, its Rate) for a request, or None."""
    by_method = rules().get(view_name or "")
    if not by_method:
        return None
    key = method if method in by_method else "*"
    rate = by_method.get(key)
    return (key, rate) if rate else None


def hit(bucket: str, rate: Rate) -> int:
    """Count one request in `bucket`'s current window; return 0 if it is
    within the rate, else the seconds until the window ends."""
    now = clock()
    window = int(now // rate.seconds)
    key = f"ratelimit:{bucket}:{rate.seconds}:{window}"
    try:
        (count,) = window_counts([(key, rate.seconds)])
    except Exception:  # noqa: BLE001 - a cache outage must not stop the site
        log.exception("rate limit: cache unavailable")
        return 0
    if count <= rate.count:
        return 0
    return max(1, math.ceil((window + 1) * rate.seconds - now))


def window_counts(windows: list[tuple[str, int]]) -> list[int]:
    """Add one to the counter of each (key, window seconds) in the cache and
    return the new counts; a counter lives a little longer than its window.

    On Redis this is one round trip (INCR and EXPIRE in a pipeline): Django's
    own incr() asks twice (EXISTS, then INCR), and a door device counts two
    windows with every scan. Elsewhere, Django's cache API. Cache errors are
    the caller's to catch."""
    client = _redis_client()
    if client is not None:
        pipe = client.pipeline(transaction=False)
        for key, seconds in windows:
            full_key = caches["default"].make_and_validate_key(key)
            pipe.incr(full_key)
            pipe.expire(full_key, seconds + 1)
        return [int(count) for count in pipe.execute()[0::2]]
    counts = []
    for key, seconds in windows:
        try:
            count = cache.incr(key)
        except ValueError:  # the first request in this window
            count = 1 if cache.add(key, 1, timeout=seconds + 1) else cache.incr(key)
        counts.append(count)
    return counts


def _redis_client():
    """The redis-py client behind Django's Redis cache, or None for any
    other cache. (RedisCache._cache is not public API, hence the checks.)"""
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return None
    get_client = getattr(getattr(backend, "_cache", None), "get_client", None)
    return get_client(write=True) if get_client else None


def wants_json(request) -> bool:
    path = request.path_info
    return (
        path.endswith(".json")
        or "/api/" in path
        or request.headers.get("Accept", "").startswith("application/json")
    )


def too_many_requests(request, retry_after: int):
    """The 429 answer: JSON for JSON endpoints, a page for people."""
    message = _("Too many requests: wait a minute, then try again.")
    if wants_json(request):
        response = JsonResponse(
            {"error": "rate_limited", "message": message}, status=429
        )
    else:
        response = render(
            request,
            "429.html",
            {"retry_after": retry_after, "minutes": math.ceil(retry_after / 60)},
            status=429,
        )
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    return response


class RateLimitMiddleware:
    """Count each request to a URL named in PSDM_RATE_LIMITS against its
    client's address; refuse it with 429 over the limit."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not settings.PSDM_RATE_LIMITS_ENABLED:
            return None
        match = request.resolver_match
        rule = rule_for(match.view_name if match else None, request.method)
        if rule is None:
            return None
        method_key, rate = rule
        bucket = f"{match.view_name}:{method_key}:{client_key(request)}"
        retry_after = hit(bucket, rate)
        if retry_after:
            return too_many_requests(request, retry_after)
        return None
