"""Rate limits per client address (psdm.security.ratelimit)."""

import json

import pytest
from django.core.cache import cache
from django.test import RequestFactory

from psdm.security import ratelimit
from psdm.security.ip import client_ip, client_key
from psdm.security.ratelimit import Rate, parse_rate


@pytest.fixture
def limits(settings):
    """Real limits (conftest turns them off), small ones, a clean cache and a
    clock that stands still unless a test moves it."""
    settings.PSDM_RATE_LIMITS_ENABLED = True
    settings.PSDM_RATE_LIMITS = {
        "tickets:choose": {"POST": "2/m", "*": "4/m"},
        "tickets:availability": "3/m",
        "events:home": "2/s",
    }
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    }
    cache.clear()
    now = [1_000_020.0]  # the start of a minute
    original = ratelimit.clock
    ratelimit.clock = lambda: now[0]
    yield now
    ratelimit.clock = original
    cache.clear()


def test_rates_read_as_count_per_period():
    assert parse_rate("10/m") == Rate(10, 60)
    assert parse_rate(" 5 / s ") == Rate(5, 1)
    assert parse_rate("100/h") == Rate(100, 3600)
    assert parse_rate("1/d") == Rate(1, 86400)
    for bad in ("10", "ten/m", "10/minute", "-1/m", "", "10/m/s"):
        with pytest.raises(ValueError):
            parse_rate(bad)


@pytest.mark.django_db
def test_over_the_limit_a_person_gets_a_page_saying_when_to_try_again(
    client, event, limits
):
    url = f"/events/{event.slug}/book/"
    for _ in range(4):
        assert client.get(url).status_code == 200
    response = client.get(url)
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert response["Cache-Control"] == "no-store"
    page = response.content.decode()
    assert "Sorry, there have been too many attempts" in page
    assert "Wait 1 minute, then try again." in page
    assert "Content-Security-Policy" in response


@pytest.mark.django_db
def test_posts_are_counted_apart_and_more_strictly(client, event, limits):
    url = f"/events/{event.slug}/book/"
    assert client.post(url, {}).status_code != 429
    assert client.post(url, {}).status_code != 429
    refused = client.post(url, {})
    assert refused.status_code == 429
    # Looking is still allowed: GETs have their own, larger allowance.
    assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_a_refused_post_changes_nothing(client, event, free_type, limits):
    from tickets.models import Order

    url = f"/events/{event.slug}/book/"
    for _ in range(2):
        client.post(url, {})
    response = client.post(url, {f"quantity_{free_type.pk}": "1"})
    assert response.status_code == 429
    assert Order.objects.count() == 0


@pytest.mark.django_db
def test_the_limit_resets_with_the_next_window(client, event, limits):
    url = f"/events/{event.slug}/availability.json"
    limits[0] = 1_000_040.0  # 40 s before the minute ends
    for _ in range(3):
        assert client.get(url).status_code == 200
    refused = client.get(url)
    assert refused.status_code == 429
    assert refused["Retry-After"] == "40"
    limits[0] = 1_000_081.0
    assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_json_endpoints_answer_429_in_json(client, event, limits):
    url = f"/events/{event.slug}/availability.json"
    for _ in range(3):
        client.get(url)
    response = client.get(url)
    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content)["error"] == "rate_limited"
    assert int(response["Retry-After"]) >= 1


@pytest.mark.django_db
def test_each_address_has_its_own_allowance(client, event, limits):
    url = f"/events/{event.slug}/availability.json"
    for _ in range(3):
        client.get(url, REMOTE_ADDR="198.51.100.1")
    assert client.get(url, REMOTE_ADDR="198.51.100.1").status_code == 429
    assert client.get(url, REMOTE_ADDR="198.51.100.2").status_code == 200


@pytest.mark.django_db
def test_a_made_up_forwarded_for_does_not_escape_the_limit(client, event, limits):
    """With no trusted proxy, X-Forwarded-For is the client's own word."""
    url = f"/events/{event.slug}/availability.json"
    for n in range(3):
        client.get(url, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    assert client.get(url, HTTP_X_FORWARDED_FOR="203.0.113.99").status_code == 429


@pytest.mark.django_db
def test_behind_a_proxy_clients_are_told_apart_by_the_proxys_header(
    client, event, limits, settings
):
    settings.PSDM_TRUSTED_PROXY_COUNT = 1
    url = f"/events/{event.slug}/availability.json"
    for _ in range(3):
        client.get(url, HTTP_X_FORWARDED_FOR="spoofed, 198.51.100.7")
    blocked = client.get(url, HTTP_X_FORWARDED_FOR="other-lie, 198.51.100.7")
    assert blocked.status_code == 429
    assert client.get(url, HTTP_X_FORWARDED_FOR="198.51.100.8").status_code == 200


@pytest.mark.django_db
def test_pages_without_a_limit_are_never_counted(client, event, limits):
    for _ in range(10):
        assert client.get(event.get_absolute_url()).status_code == 200


@pytest.mark.django_db
def test_switched_off_nothing_is_limited(client, event, limits, settings):
    settings.PSDM_RATE_LIMITS_ENABLED = False
    url = f"/events/{event.slug}/availability.json"
    for _ in range(10):
        assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_a_broken_cache_lets_requests_through(client, event, limits, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(ratelimit.cache, "incr", broken)
    monkeypatch.setattr(ratelimit.cache, "add", broken)
    url = f"/events/{event.slug}/availability.json"
    for _ in range(10):
        assert client.get(url).status_code == 200


def test_the_default_limits_cover_booking_codes_waiting_list_and_manage(settings):
    from django.conf import settings as live

    names = set(live.PSDM_RATE_LIMITS)
    for name in (
        "tickets:choose",
        "tickets:buyer",
        "tickets:attendee",
        "tickets:payment",
        "tickets:invoice",
        "tickets:check",
        "tickets:code",
        "tickets:waitlist_join",
        "tickets:offer",
        "tickets:manage",
        "tickets:ticket_change",
        "tickets:ticket_transfer",
        "tickets:ticket_cancel",
        "tickets:cancel",
        "admin:login",
        "checkin:login",
    ):
        assert name in names, name
    for value in live.PSDM_RATE_LIMITS.values():
        for rate in value.values() if isinstance(value, dict) else [value]:
            parse_rate(rate)


def test_the_client_address_trusts_only_the_configured_proxies(settings):
    factory = RequestFactory()
    request = factory.get(
        "/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 5.6.7.8"
    )
    settings.PSDM_TRUSTED_PROXY_COUNT = 0
    assert client_ip(request) == "10.0.0.1"
    settings.PSDM_TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "5.6.7.8"
    settings.PSDM_TRUSTED_PROXY_COUNT = 2
    assert client_ip(request) == "1.2.3.4"
    settings.PSDM_TRUSTED_PROXY_COUNT = 5  # fewer hops than proxies
    assert client_ip(request) == "1.2.3.4"
    junk = factory.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="<script>")
    settings.PSDM_TRUSTED_PROXY_COUNT = 1
    assert client_ip(junk) == "10.0.0.1"


def test_ipv6_clients_are_counted_by_their_64(settings):
    settings.PSDM_TRUSTED_PROXY_COUNT = 0
    factory = RequestFactory()
    one = factory.get("/", REMOTE_ADDR="2001:db8:1:2::1")
    two = factory.get("/", REMOTE_ADDR="2001:db8:1:2:ffff::9")
    other = factory.get("/", REMOTE_ADDR="2001:db8:1:3::1")
    assert client_key(one) == client_key(two) == "2001:db8:1:2::/64"
    assert client_key(other) != client_key(one)
    assert client_key(factory.get("/", REMOTE_ADDR="::ffff:192.0.2.1")) == "192.0.2.1"


def test_every_limited_url_name_exists():
    """A misspelt name would silently limit nothing."""
    from django.conf import settings as live
    from django.urls import get_resolver

    names = set()

    def walk(resolver, namespace=""):
        for pattern in resolver.url_patterns:
            if hasattr(pattern, "url_patterns"):
                inner = namespace + (
                    f"{pattern.namespace}:" if pattern.namespace else ""
                )
                walk(pattern, inner)
            elif pattern.name:
                names.add(namespace + pattern.name)

    walk(get_resolver())
    assert set(live.PSDM_RATE_LIMITS) - names == set()


# --- on Redis: one round trip per request ----------------------------------


@pytest.fixture(scope="module")
def redis_server():
    from tests.mailtools import RedisServer

    server = RedisServer()
    try:
        yield server.start()
    finally:
        server.close()


@pytest.fixture
def redis_cache(settings, redis_server):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_server.url.replace("/0", "/4"),
            "KEY_PREFIX": "psdm-test",
        }
    }
    from django.core.cache import caches

    caches["default"].clear()
    yield caches["default"]
    caches["default"].clear()


def test_counters_on_redis_take_one_round_trip_and_expire(redis_cache, monkeypatch):
    import redis

    client = ratelimit._redis_client()
    assert client is not None
    sent = []
    real_execute = redis.client.Pipeline.execute

    def counting_execute(pipe, *args, **kwargs):
        sent.append(len(pipe.command_stack))
        return real_execute(pipe, *args, **kwargs)

    monkeypatch.setattr(redis.client.Pipeline, "execute", counting_execute)
    windows = [("door:1:second", 1), ("door:1:minute", 60)]
    assert ratelimit.window_counts(windows) == [1, 1]
    assert ratelimit.window_counts(windows) == [2, 2]
    assert sent == [4, 4]  # INCR and EXPIRE for each window, once per call

    # The same keys Django's cache API uses (prefix, version), read back by it.
    assert redis_cache.get("door:1:minute") == 2
    full_key = redis_cache.make_and_validate_key("door:1:minute")
    assert 59 <= client.ttl(full_key) <= 61


def test_the_limit_holds_on_redis(redis_cache, monkeypatch):
    monkeypatch.setattr(ratelimit, "clock", lambda: 1_000_000.5)
    rate = Rate(3, 60)
    assert [ratelimit.hit("127.0.0.1", rate) for _ in range(4)] == [0, 0, 0, 20]


def test_another_cache_uses_djangos_api(settings):
    assert ratelimit._redis_client() is None  # LocMem in the tests
    assert ratelimit.window_counts([("k", 60)]) == [1]
    assert ratelimit.window_counts([("k", 60)]) == [2]
    assert cache.get("k") == 2
