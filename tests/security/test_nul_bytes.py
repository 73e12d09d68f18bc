"""A NUL byte anywhere in a request: refused once for the whole site
(psdm.security.middleware.RefuseNulMiddleware), not view by view.

PostgreSQL refuses NUL in text, so a NUL that reached a query was a 500
there (admin list filters: ``?payment_status__exact=%00x``). Now a NUL in
the path, the query string (``%00`` too), a header, a cookie or a posted
form field is 400 with the friendly page ("Nothing has been changed"), or
the API's own JSON 400 under the check-in API, and nothing is saved.
"""

from urllib.parse import urlencode

import pytest
from django.http import HttpResponse
from django.test import Client, RequestFactory

from psdm.security.middleware import RefuseNulMiddleware
from tests.conftest import book
from tests.security.world import world_make
from tests.tickets.flow import BUYER, buyer_url, choose, url
from tickets.models import Order, Reservation, Scan, Ticket

FRIENDLY = "Sorry, there is a problem with your request"
NOTHING_CHANGED = "Nothing has been changed"


def assert_friendly_400(response):
    assert response.status_code == 400, response.status_code
    text = response.content.decode()
    assert FRIENDLY in text
    assert NOTHING_CHANGED in text
    assert "Traceback" not in text


def state() -> tuple:
    return (
        list(Order.objects.order_by("pk").values()),
        list(Ticket.objects.order_by("pk").values()),
        list(Reservation.objects.order_by("pk").values()),
        Scan.objects.count(),
    )


@pytest.fixture
def world(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.STRIPE_SECRET_KEY = ""
    return world_make(tmp_path)


ADMIN_FILTERS = [
    "/admin/tickets/order/?payment_status__exact=%00x",
    "/admin/tickets/order/?status__exact=x%00",
    "/admin/tickets/order/?q=%00",
    "/admin/tickets/order/?email=%00x",
    "/admin/tickets/order/?%00=1",
    "/admin/tickets/ticket/?q=a%00b",
    "/admin/tickets/email/?to_email=%00",
    "/admin/tickets/order/?payment_status__exact=\x00x",  # not even encoded
]


@pytest.mark.parametrize("path", ADMIN_FILTERS)
def test_a_nul_in_an_admin_list_filter_is_a_friendly_400(world, path):
    client = world.client("organiser")
    before = state()
    assert_friendly_400(client.get(path))
    assert state() == before


def test_the_admin_lists_still_filter_without_a_nul(world):
    client = world.client("organiser")
    response = client.get("/admin/tickets/order/?payment_status__exact=paid&q=x")
    assert response.status_code == 200


@pytest.fixture
def booking(db, settings, event, free_type):
    settings.STRIPE_SECRET_KEY = ""
    return event, free_type


@pytest.mark.parametrize(
    "extra",
    [{"note": "a\x00b"}, {"a\x00b": "1"}],
    ids=["in a value", "in a name"],
)
def test_a_nul_in_a_booking_form_field_saves_nothing(client, booking, extra):
    """Choosing places takes them (a reservation): not with a NUL."""
    event, paid = booking
    before = state()
    response = client.post(url("choose", event), {f"qty_{paid.pk}": "1", **extra})
    assert_friendly_400(response)
    assert state() == before


def test_a_percent_encoded_nul_in_a_form_body_saves_nothing(client, booking):
    event, paid = booking
    assert choose(client, event, {paid.pk: 1}).status_code == 302
    before = state()
    body = urlencode(BUYER).replace("Grace", "Gr%00ace")
    response = client.post(
        buyer_url(event), body, content_type="application/x-www-form-urlencoded"
    )
    assert_friendly_400(response)
    assert state() == before
    # The booking carries on once the NUL is gone.
    assert client.post(buyer_url(event), BUYER).status_code == 302


@pytest.mark.parametrize(
    "path",
    [
        "/?a=%00",
        "/?%00",
        "/events/test-conference/?x=%00",
        "/events/test-conference/book/?code=%00",
        "/events/test-conference/waiting-list/?q=\x00",
        "/privacy/?next=a%00b",
        "/admin/login/?next=/admin/%00",
        "/checkin/login/?next=%00",
        "/events/test-conference\x00/",
        "/events/%00/",
    ],
)
def test_a_nul_in_a_public_pages_address_is_a_friendly_400(client, event, path):
    before = state()
    assert_friendly_400(client.get(path))
    assert state() == before


@pytest.mark.parametrize(
    "header",
    [
        {"HTTP_USER_AGENT": "Mozilla\x00/5.0"},
        {"HTTP_ACCEPT_LANGUAGE": "en\x00"},
        {"HTTP_X_FORWARDED_FOR": "192.0.2.1\x00"},
        {"HTTP_REFERER": "https://example.gov.uk/\x00"},
        # A quoted cookie may write NUL as "\000": Django unquotes it.
        {"HTTP_COOKIE": 'sessionid="\\000abcdefghijklmnop"'},
        {"HTTP_COOKIE": "sessionid=abc\x00defghijklmnop"},
    ],
)
def test_a_nul_in_a_header_is_a_friendly_400(client, event, header):
    before = state()
    assert_friendly_400(client.get(f"/events/{event.slug}/", **header))
    assert state() == before


def test_the_refusal_carries_the_sites_security_headers_and_request_id(client):
    response = client.get("/?a=%00", HTTP_X_REQUEST_ID="nul-test-0001")
    assert_friendly_400(response)
    assert response["X-Request-ID"] == "nul-test-0001"
    assert response["Cache-Control"] == "no-store"
    assert "Content-Security-Policy" in response
    assert "Permissions-Policy" in response
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_middleware_answers_before_anything_else():
    """Straight at the middleware: the view (and the database) is never
    reached, for a NUL anywhere; a clean request goes through."""
    reached = []

    def view(request):
        reached.append(request)
        return HttpResponse("ok")

    middleware = RefuseNulMiddleware(view)
    factory = RequestFactory()
    refused = [
        factory.get("/", HTTP_X_ANYTHING="a\x00"),
        factory.get("/", CONTENT_TYPE="text/plain\x00"),
        factory.get("/?q=%00"),
        factory.get("/?q=\x00"),
        factory.get("/\x00/"),
    ]
    for request in refused:
        assert_friendly_400(middleware(request))
    assert reached == []
    assert middleware(factory.get("/?q=%2500&r=100%25", HTTP_X_OK="ok")).content == (
        b"ok"
    )


def test_a_form_post_to_the_middleware_is_checked_in_process_view():
    middleware = RefuseNulMiddleware(lambda request: HttpResponse("ok"))

    def view(request):
        return HttpResponse("ok")

    factory = RequestFactory()
    bad = factory.post("/", {"name": "a\x00"})
    assert_friendly_400(middleware.process_view(bad, view, (), {}))
    good = factory.post("/", {"name": "a"})
    assert middleware.process_view(good, view, (), {}) is None


def test_the_body_of_a_view_that_reads_its_own_is_left_alone():
    """The Stripe webhook and the check-in API read their raw bodies
    (csrf_exempt): parsing them as a form first would take the body away
    (multipart) or answer for them."""
    middleware = RefuseNulMiddleware(lambda request: HttpResponse("ok"))

    def view(request):
        return HttpResponse("ok")

    view.csrf_exempt = True
    request = RequestFactory().post("/", {"name": "a\x00"})
    assert middleware.process_view(request, view, (), {}) is None
    assert b"a\x00" in request.body  # still readable


# The check-in API answers in its own JSON, NUL or not.


@pytest.fixture
def door_client(db, settings, django_user_model):
    from django.contrib.auth.models import Group

    from tickets.roles import DOOR_STAFF_GROUP

    settings.PSDM_CHECKIN_RATE_PER_SECOND = 10_000
    settings.PSDM_CHECKIN_RATE_PER_MINUTE = 100_000
    user = django_user_model.objects.create_user("door")
    user.groups.add(Group.objects.get(name=DOOR_STAFF_GROUP))
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "body",
    [
        '{"code": "\\u0000", "nonce": "n1", "event": "test-conference"}',
        '{"code": "x", "nonce": "n\\u0000", "event": "test-conference"}',
        '{"code": "x", "nonce": "n1", "event": "test-conference\\u0000"}',
        '{"ticket": TICKET, "nonce": "n\\u0000", "event": "test-conference"}',
        '{"ticket": TICKET, "nonce": "n1", "event": "test-conference\\u0000"}',
        '{"ticket": TICKET, "nonce": "n1", "event": "test-conference", '
        '"door": "Main\\u0000"}',
        '{"\\u0000": "x"}',
    ],
)
@pytest.mark.parametrize("endpoint", ["scan", "admit", "undo"])
def test_a_nul_in_the_check_in_apis_json_is_never_a_500(
    door_client, event, free_type, endpoint, body
):
    """A NUL written \\u0000 inside JSON is the API's to handle (the
    middleware leaves JSON bodies alone): refused or cleaned, never a 500,
    and no NUL saved."""
    ticket = book(event, free_type, 1).tickets.get()
    before = state()
    response = door_client.post(
        f"/checkin/api/{endpoint}",
        body.replace("TICKET", str(ticket.pk)),
        content_type="application/json",
    )
    assert response.status_code in {200, 400}
    answer = response.json()
    assert answer["result"] in {"invalid", "admitted", "not_checked_in"}, answer
    if answer["result"] == "admitted":
        # Only a valid admission with a door name the API cleaned.
        assert endpoint == "admit" and '"door"' in body
    else:
        # An invalid scan is logged (the door's record); nobody admitted.
        assert state()[:3] == before[:3]
    for row in [*Scan.objects.values(), *Ticket.objects.values()]:
        assert "\x00" not in "".join(str(v) for v in row.values())


@pytest.mark.parametrize(
    "path",
    [
        "/checkin/api/search?event=test-conference&q=%00",
        "/checkin/api/stats?event=test-conference%00",
    ],
)
def test_a_nul_in_the_check_in_apis_query_is_its_json_400(door_client, event, path):
    response = door_client.get(path)
    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"
    assert response["Cache-Control"] == "no-store"


def test_a_nul_in_a_header_to_the_check_in_api_is_its_json_400(door_client, event):
    response = door_client.post(
        "/checkin/api/scan",
        '{"code": "x", "nonce": "n1", "event": "test-conference"}',
        content_type="application/json",
        HTTP_X_DOOR="Main\x00",
    )
    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"
    assert Scan.objects.count() == 0


def test_a_nul_in_a_json_address_is_a_json_400(client, event):
    response = client.get(f"/events/{event.slug}/availability.json?x=%00")
    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"
