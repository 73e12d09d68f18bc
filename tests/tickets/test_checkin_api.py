"""The door's JSON API and pages: the contract the check-in page and other
scanner apps rely on, who may use them, and junk that must never be a 500."""

import json
from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from psdm.ops import remembered
from tests.conftest import book, make_event
from tests.tickets.conftest import DOOR_PASSWORD, door_staff_group
from tickets.models import Scan, Ticket
from tickets.services import BookingBusy
from tickets.views import checkin as checkin_views

SCAN = "/checkin/api/scan"
ADMIT = "/checkin/api/admit"
UNDO = "/checkin/api/undo"
SEARCH = "/checkin/api/search"
STATS = "/checkin/api/stats"
TICKET_KEYS = {
    "id",
    "name",
    "first_name",
    "last_name",
    "organisation",
    "ticket_type",
    "role",
    "access_needs",
    "reference",
}
ANSWER_KEYS = {
    "result",
    "message",
    "ticket",
    "checked_in_at",
    "checked_in_by",
    "door",
    "counts",
}


pytestmark = pytest.mark.usefixtures("checkin_unlimited")


@pytest.fixture
def door_client(door):
    client = Client()
    client.force_login(door)
    return client


@pytest.fixture
def ticket(event, free_type) -> Ticket:
    order = book(event, free_type)
    ticket = order.tickets.get()
    Ticket.objects.filter(pk=ticket.pk).update(access_needs="Step-free access")
    ticket.refresh_from_db()
    return ticket


def post(client, url, data, **extra):
    body = data if isinstance(data, bytes | str) else json.dumps(data)
    return client.generic("POST", url, body, content_type="application/json", **extra)


def scan_body(event, code, nonce="n-1", door="Main entrance"):
    return {"code": code, "nonce": nonce, "event": event.slug, "door": door}


# --- the contract ----------------------------------------------------------


def test_scan_admits_and_answers_in_the_agreed_shape(door_client, event, ticket):
    response = post(door_client, SCAN, scan_body(event, ticket.secret))

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    data = response.json()
    assert set(data) == ANSWER_KEYS
    assert data["result"] == "admitted"
    assert set(data["ticket"]) == TICKET_KEYS
    assert data["ticket"] == {
        "id": ticket.pk,
        "name": "Ada0 Lovelace",
        "first_name": "Ada0",
        "last_name": "Lovelace",
        "organisation": "Office of the Public Guardian",
        "ticket_type": "Public sector",
        "role": "attendee",
        "access_needs": True,
        "reference": ticket.order.reference,
    }
    ticket.refresh_from_db()
    assert datetime.fromisoformat(data["checked_in_at"]) == ticket.checked_in_at
    assert data["checked_in_by"] == "Dana Door"
    assert data["door"] == "Main entrance"
    assert data["counts"] == {"checked_in": 1, "expected": 1}


def test_a_second_scan_says_already_checked_in(door_client, event, ticket):
    first = post(door_client, SCAN, scan_body(event, ticket.secret, "n-1")).json()
    data = post(
        door_client, SCAN, scan_body(event, ticket.secret, "n-2", "Side door")
    ).json()

    assert data["result"] == "already_checked_in"
    assert data["checked_in_at"] == first["checked_in_at"]
    assert (data["checked_in_by"], data["door"]) == ("Dana Door", "Main entrance")
    assert data["ticket"]["id"] == ticket.pk


def test_a_retried_scan_gets_the_same_answer(door_client, event, ticket):
    first = post(door_client, SCAN, scan_body(event, ticket.secret, "same")).json()
    again = post(door_client, SCAN, scan_body(event, ticket.secret, "same")).json()
    assert again == first
    assert Scan.objects.count() == 1


def test_an_unknown_code_is_invalid_with_no_ticket(door_client, event, ticket):
    response = post(door_client, SCAN, scan_body(event, "Q" * 27))
    assert response.status_code == 200
    data = response.json()
    assert data["result"] == "invalid"
    assert data["ticket"] is None
    assert data["checked_in_at"] is None
    assert data["counts"] == {"checked_in": 0, "expected": 1}
    assert Scan.objects.get().user.username == "door"


def test_another_events_badge_is_wrong_event(door_client, event, ticket):
    other = make_event(slug="other", name="OneTeamGov Midlands")
    data = post(door_client, SCAN, scan_body(other, ticket.secret)).json()
    assert data["result"] == "wrong_event"
    assert data["counts"] == {"checked_in": 0, "expected": 0}


def test_admit_and_undo_from_search(door_client, event, ticket):
    body = {"ticket": ticket.pk, "nonce": "m-1", "event": event.slug, "door": "D"}
    data = post(door_client, ADMIT, body).json()
    assert data["result"] == "admitted"
    assert set(data) == ANSWER_KEYS
    assert data["ticket"]["id"] == ticket.pk

    undo = {"ticket": ticket.pk, "event": event.slug, "door": "D"}
    response = post(door_client, UNDO, undo)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert response.json() == {
        "result": "undone",
        "counts": {"checked_in": 0, "expected": 1},
    }
    assert post(door_client, UNDO, undo).json()["result"] == "not_checked_in"
    assert post(door_client, ADMIT, {**body, "nonce": "m-2"}).json()["result"] == (
        "admitted"
    )


def test_search_answers_people_by_name(door_client, event, ticket):
    response = door_client.get(SEARCH, {"event": event.slug, "q": "ada0 love"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert response.json() == {
        "results": [
            {
                "id": ticket.pk,
                "name": "Ada0 Lovelace",
                "organisation": "Office of the Public Guardian",
                "email": "ada0@example.gov.uk",
                "ticket_type": "Public sector",
                "status": "confirmed",
                "checked_in_at": None,
                "checked_in_by": None,
                "door": None,
            }
        ]
    }
    assert door_client.get(SEARCH, {"event": event.slug, "q": "a"}).json() == {
        "results": []
    }
    assert door_client.get(SEARCH, {"event": event.slug}).json() == {"results": []}


def test_stats_count_checked_in_out_of_expected(door_client, event, free_type):
    order = book(event, free_type, count=3)
    post(door_client, SCAN, scan_body(event, order.tickets.first().secret))
    response = door_client.get(STATS, {"event": event.slug})
    assert response.json() == {"checked_in": 1, "expected": 3}
    assert response["Cache-Control"] == "no-store"


# --- malformed requests ----------------------------------------------------


def bad_scans(event):
    good = scan_body(event, "A" * 27)
    return [
        b"",
        b"not json",
        b"\xff\xfe\x00garbage",
        b"[" * 50_000,
        "[" * 3000,
        '{"a":' * 800,
        "[1, 2]",
        '"code"',
        "null",
        "NaN",
        "1e999999",
        "9" * 5000,
        {},
        {**good, "code": 123},
        {**good, "code": None},
        {**good, "code": ["A" * 27]},
        {k: v for k, v in good.items() if k != "code"},
        {**good, "code": "A" * 513},
        {k: v for k, v in good.items() if k != "nonce"},
        {**good, "nonce": ""},
        {**good, "nonce": "x" * 65},
        {**good, "nonce": "has space"},
        {**good, "nonce": "nul\x00"},
        {**good, "nonce": 7},
        {k: v for k, v in good.items() if k != "event"},
        {**good, "event": "no-such-event"},
        {**good, "event": 1},
        {**good, "event": "../../etc"},
        {**good, "event": "x\x00"},
        {**good, "door": 12},
        {**good, "door": {"name": "Main"}},
        {**good, "padding": "x" * 5000},
    ]


def test_malformed_scans_are_400_invalid(door_client, event, ticket):
    for body in bad_scans(event):
        response = post(door_client, SCAN, body)
        assert response.status_code == 400, body
        assert response.json()["result"] == "invalid"
        assert response.json()["error"] == "bad_request"
        assert response.json()["message"]
        assert response["Cache-Control"] == "no-store"
    assert not Scan.objects.exists()
    ticket.refresh_from_db()
    assert ticket.checked_in_at is None


@pytest.mark.parametrize("value", ["1", 1.0, True, 0, -5, 2**63, None, [1]])
def test_admit_and_undo_need_a_ticket_id(door_client, event, ticket, value):
    for url, body in (
        (ADMIT, {"ticket": value, "nonce": "m", "event": event.slug}),
        (UNDO, {"ticket": value, "event": event.slug}),
    ):
        response = post(door_client, url, body)
        assert response.status_code == 400
        assert response.json()["result"] == "invalid"


def test_search_says_who_let_someone_in_and_where(door_client, door, event, ticket):
    """Found by name after they came in: the door sees when, by whom and at
    which door, rather than a reason to admit them again."""
    body = {"ticket": ticket.pk, "nonce": "s-1", "event": event.slug, "door": "East"}
    post(door_client, ADMIT, body)
    (found,) = door_client.get(SEARCH, {"event": event.slug, "q": "ada0"}).json()[
        "results"
    ]
    assert found["checked_in_at"] is not None
    assert found["checked_in_by"] == door.get_full_name()
    assert found["door"] == "East"


def test_search_and_stats_need_a_known_event(door_client, event):
    for url in (SEARCH, STATS):
        for params in ({}, {"event": "nope"}, {"event": "a\x00b"}, {"event": "é"}):
            response = door_client.get(url, params)
            assert response.status_code == 400
            assert response.json()["result"] == "invalid"


def test_wrong_methods_are_405_json(door_client):
    for method, url in (
        ("get", SCAN),
        ("get", ADMIT),
        ("post", SEARCH),
        ("put", STATS),
    ):
        response = getattr(door_client, method)(url)
        assert response.status_code == 405
        assert response.json()["error"] == "method_not_allowed"


def test_a_busy_database_asks_to_scan_again(door_client, event, monkeypatch):
    def busy(**kwargs):
        raise BookingBusy("The check-in system is busy. Scan the badge again.")

    monkeypatch.setattr(checkin_views.checkin, "scan", busy)
    response = post(door_client, SCAN, scan_body(event, "A" * 27))
    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert response.json()["error"] == "busy"


junk_text = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"]), max_size=200),
    st.sampled_from(
        ["", "\x00", "' OR 1=1 --", "<script>alert(1)</script>", "x" * 600]
    ),
)
junk_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | junk_text,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(junk_text, inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    body=st.one_of(
        st.binary(max_size=300),
        junk_json.map(json.dumps),
        st.fixed_dictionaries(
            {},
            optional={
                "code": junk_json,
                "nonce": junk_json,
                "event": junk_json | st.just("test-conference"),
                "door": junk_json,
                "ticket": junk_json,
            },
        ).map(json.dumps),
    ),
    url=st.sampled_from([SCAN, ADMIT, UNDO]),
)
def test_junk_bodies_are_never_a_server_error(door_client, event, ticket, body, url):
    """Random bytes and JSON: a 400 (or, for a well-formed scan of junk, a
    200), and never anything but "invalid" (or an undo that did nothing)."""
    cache.clear()
    response = post(door_client, url, body)
    assert response.status_code in {200, 400}
    assert response.json()["result"] in {"invalid", "not_checked_in"}
    assert not Ticket.objects.filter(checked_in_at__isnull=False).exists()


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(code=junk_text, door=junk_text, nonce=st.text(max_size=80))
def test_junk_codes_are_invalid(door_client, event, ticket, code, door, nonce):
    cache.clear()
    body = {"code": code, "nonce": nonce, "event": event.slug, "door": door}
    response = post(door_client, SCAN, body)
    assert response.status_code in {200, 400}
    assert response.json()["result"] == "invalid"


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(query=junk_text, slug=junk_text | st.just("test-conference"))
def test_junk_searches_are_never_a_server_error(
    door_client, event, ticket, query, slug
):
    cache.clear()
    response = door_client.get(SEARCH, {"event": slug, "q": query})
    assert response.status_code in {200, 400}


# --- who may use it --------------------------------------------------------


def api_requests(event, ticket):
    return [
        ("post", SCAN, scan_body(event, ticket.secret)),
        ("post", ADMIT, {"ticket": ticket.pk, "nonce": "x", "event": event.slug}),
        ("post", UNDO, {"ticket": ticket.pk, "event": event.slug}),
        ("get", SEARCH, {"event": event.slug, "q": "Ada"}),
        ("get", STATS, {"event": event.slug}),
    ]


def call(client, method, url, data):
    if method == "get":
        return client.get(url, data)
    return post(client, url, data)


@pytest.fixture
def attendee_client(django_user_model):
    """Someone with an account but no door duties."""
    client = Client()
    client.force_login(django_user_model.objects.create_user("attendee"))
    return client


@pytest.fixture
def organiser_without_permission(django_user_model):
    """Staff who can use admin, but were not given check-in."""
    user = django_user_model.objects.create_user("helper", is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(codename="view_ticket"),
        Permission.objects.get(codename="change_order"),
    )
    client = Client()
    client.force_login(user)
    return client


def test_anonymous_callers_are_401(client, event, ticket):
    for method, url, data in api_requests(event, ticket):
        response = call(client, method, url, data)
        assert response.status_code == 401, url
        assert response.json()["error"] == "not_logged_in"
        assert response.json()["login_url"] == "/checkin/login/"
    assert not Scan.objects.exists()


def test_users_without_the_permission_are_403(
    attendee_client, organiser_without_permission, event, ticket
):
    for client in (attendee_client, organiser_without_permission):
        for method, url, data in api_requests(event, ticket):
            response = call(client, method, url, data)
            assert response.status_code == 403, url
            assert response.json()["error"] == "forbidden"
    ticket.refresh_from_db()
    assert ticket.checked_in_at is None
    assert not Scan.objects.exists()


def test_organisers_may_check_in(admin_client, event, ticket):
    for method, url, data in api_requests(event, ticket):
        assert call(admin_client, method, url, data).status_code == 200, url


def test_door_staff_may_check_in_but_not_use_admin(door_client, door, event, ticket):
    assert door.has_perm("tickets.check_in")
    assert door.get_all_permissions() == {"tickets.check_in"}
    for method, url, data in api_requests(event, ticket):
        assert call(door_client, method, url, data).status_code == 200, url
    response = door_client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert door_client.get("/admin/tickets/ticket/").status_code == 302
    login = Client().post(
        "/admin/login/", {"username": "door", "password": DOOR_PASSWORD}
    )
    assert login.status_code == 200  # the form again: not a staff account


def test_the_door_staff_group_has_only_check_in(db):
    group = door_staff_group()
    door_staff_group()  # twice changes nothing
    assert [
        f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()
    ] == ["tickets.check_in"]


def test_the_demo_door_account_may_check_in(db, settings):
    from tickets.demo import _users

    settings.DEBUG = True
    _users()
    client = Client()
    assert client.login(username="door", password="psdm-door-local")
    assert client.get(STATS, {"event": make_event().slug}).status_code == 200


# --- CSRF and floods -------------------------------------------------------


def test_posts_need_the_csrf_token(door, event, ticket):
    client = Client(enforce_csrf_checks=True)
    client.force_login(door)
    response = post(client, SCAN, scan_body(event, ticket.secret))
    assert response.status_code == 403
    assert response.json()["error"] == "csrf"
    ticket.refresh_from_db()
    assert ticket.checked_in_at is None

    page = client.get(f"/checkin/{event.slug}/")
    token = page.cookies["csrftoken"].value
    response = post(
        client, SCAN, scan_body(event, ticket.secret), HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 200
    assert response.json()["result"] == "admitted"


def test_other_pages_keep_djangos_csrf_page(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/checkin/login/", {"username": "door", "password": "x"})
    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")


def test_too_many_requests_are_429(
    door_client, door, event, ticket, settings, monkeypatch
):
    settings.PSDM_CHECKIN_RATE_PER_SECOND = 3
    monkeypatch.setattr(checkin_views, "clock", lambda: 1_000_000.5)
    answers = [
        post(door_client, SCAN, scan_body(event, "A" * 27, f"r-{i}")) for i in range(4)
    ]
    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    assert answers[-1].json()["result"] == "invalid"
    assert "Too many" in answers[-1].json()["message"]
    assert answers[-1]["Retry-After"] == "1"
    assert answers[-1]["Cache-Control"] == "no-store"
    assert Scan.objects.count() == 3
    # A new second, and another user, start afresh.
    monkeypatch.setattr(checkin_views, "clock", lambda: 1_000_001.5)
    assert door_client.get(STATS, {"event": event.slug}).status_code == 200


def test_the_minute_limit(door_client, event, settings, monkeypatch):
    settings.PSDM_CHECKIN_RATE_PER_MINUTE = 5
    seconds = iter(range(1_000_020, 1_000_040))
    monkeypatch.setattr(checkin_views, "clock", lambda: next(seconds))
    codes = [
        door_client.get(STATS, {"event": event.slug}).status_code for _ in range(6)
    ]
    assert codes == [200] * 5 + [429]


def test_limits_are_per_user(door_client, admin_client, event, settings, monkeypatch):
    settings.PSDM_CHECKIN_RATE_PER_SECOND = 1
    monkeypatch.setattr(checkin_views, "clock", lambda: 2_000_000.0)
    assert door_client.get(STATS, {"event": event.slug}).status_code == 200
    assert door_client.get(STATS, {"event": event.slug}).status_code == 429
    assert admin_client.get(STATS, {"event": event.slug}).status_code == 200


def test_a_cache_outage_does_not_stop_the_door(door_client, event, ticket, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("redis is down")

    for method in ("get", "set", "add", "incr", "get_many", "set_many"):
        monkeypatch.setattr(remembered.cache, method, broken)
    assert door_client.get(STATS, {"event": event.slug}).status_code == 200
    response = post(door_client, SCAN, scan_body(event, ticket.secret))
    assert response.json()["result"] == "admitted"


def test_taking_the_permission_away_works_within_seconds(
    door_client, door, event, monkeypatch
):
    assert door_client.get(STATS, {"event": event.slug}).status_code == 200
    door.groups.clear()
    # Remembered for a short while, so a busy door is not asked every time...
    assert door_client.get(STATS, {"event": event.slug}).status_code == 200
    # ...and refused once that is over.
    cache.delete(checkin_views.permission_cache_key(door))
    assert door_client.get(STATS, {"event": event.slug}).status_code == 403
    assert checkin_views.PERMISSION_CACHE_SECONDS <= 60


# --- the pages -------------------------------------------------------------


def test_the_door_page_needs_a_door_account(client, attendee_client, event):
    response = client.get("/checkin/")
    assert response.status_code == 302
    assert response["Location"] == "/checkin/login/?next=/checkin/"
    response = client.get(f"/checkin/{event.slug}/")
    assert response["Location"].startswith("/checkin/login/")
    assert attendee_client.get("/checkin/").status_code == 403
    assert attendee_client.get(f"/checkin/{event.slug}/").status_code == 403


def test_the_door_goes_straight_to_the_one_current_event(door_client, event):
    response = door_client.get("/checkin/")
    assert response.status_code == 302
    assert response["Location"] == f"/checkin/{event.slug}/"


def test_the_door_lists_events_when_there_are_several(door_client, event):
    now = timezone.now()
    make_event(
        slug="second", name="OneTeamGov Midlands", ends_at=now + timedelta(days=60)
    )
    response = door_client.get("/checkin/")
    assert response.status_code == 200
    assert [e.slug for e in response.context["events"]] == [event.slug, "second"]
    assert "checkin/events.html" in [t.name for t in response.templates]


def test_the_event_page_has_what_the_front_end_needs(door_client, event, ticket):
    response = door_client.get(f"/checkin/{event.slug}/")
    assert response.status_code == 200
    assert "checkin/page.html" in [t.name for t in response.templates]
    assert response.context["event"] == event
    assert tuple(response.context["counts"]) == (0, 1)
    assert response.context["urls"] == {
        "scan": SCAN,
        "admit": ADMIT,
        "undo": UNDO,
        "search": SEARCH,
        "stats": STATS,
        "logout": "/checkin/logout/",
    }
    assert "no-store" in response["Cache-Control"]
    assert "csrftoken" in response.cookies
    assert door_client.get("/checkin/no-such-event/").status_code == 404


def test_sign_in_and_out_at_the_door(door, event):
    client = Client()
    assert client.get("/checkin/login/").status_code == 200
    response = client.post(
        "/checkin/login/", {"username": "door", "password": DOOR_PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == "/checkin/"
    assert client.get("/checkin/")["Location"] == f"/checkin/{event.slug}/"
    response = client.post("/checkin/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/checkin/"
    assert client.get(STATS, {"event": event.slug}).status_code == 401


def test_the_login_page_uses_the_sites_name(client, settings):
    response = client.get("/checkin/login/")
    assert response.context["site_name"] == settings.PSDM_SITE_NAME


def test_a_wrong_password_shows_the_form_again(door, client):
    response = client.post("/checkin/login/", {"username": "door", "password": "no"})
    assert response.status_code == 200
    assert response.context["form"].errors


def test_organisers_read_the_scan_log_in_admin(
    admin_client, door_client, event, ticket
):
    post(door_client, SCAN, scan_body(event, ticket.secret))
    post(door_client, SCAN, scan_body(event, "nul\x00", "n-2"))
    response = admin_client.get("/admin/tickets/scan/")
    assert response.status_code == 200
    assert response.context["cl"].result_count == 2
    scan = Scan.objects.filter(result="admitted").get()
    page = admin_client.get(f"/admin/tickets/scan/{scan.pk}/change/")
    assert page.status_code == 200
    assert b"Save" not in page.content
    assert admin_client.get(
        f"/admin/tickets/ticket/{ticket.pk}/change/"
    ).status_code == (200)
