"""Fuzzing every public form: the booking steps (with a booking under way),
using a code, manage-my-booking's change and pass-on pages, the waiting
list and its offer link, and the check-in and admin log-ins. Whatever is
posted (NUL bytes, huge or odd Unicode text, repeated or missing fields,
unknown fields, a junk User-Agent), the answer is never a 500, nobody is
signed in, and nothing is half-saved.

The fields posted are read from each page's own form, so fields added later
are fuzzed too. The booking's "check your answers" and the cancel pages are
left out: their POST carries no fields (it books or cancels), see
tests/tickets/test_junk_input.py and tests/security/test_manage_links.py.
"""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import billing, book, make_event, make_ticket_type
from tests.tickets.flow import fill_up_to_check, url
from tickets.models import Order, Ticket, WaitlistEntry, WaitlistOffer

FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,  # the same examples on every run, in CI too
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
# Never 500 (rate limits are off here: tests/security/test_ratelimit.py).
POLITE = {200, 302, 400, 403, 404, 405, 409, 410}
LOCKED_OUT = 429  # axes, after too many wrong passwords

text = st.text(st.characters(exclude_categories=["Cs"]), max_size=200)
junk = st.one_of(
    text,
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "a\x00b",
            "x" * 20_000,
            "é" * 5_000,
            "\u202eevil\u202c",
            "𝕬𝖉𝖆 🎟️",
            "\ufeff",
            "-1",
            "0",
            "1e309",
            "NaN",
            "99999999999999999999999999",
            "<script>alert(1)</script>",
            "' OR 1=1 --",
            "{{ 7*7 }}",
            "../../etc/passwd",
            "ada@example.gov.uk\r\nBcc: all@example.com",
        ]
    ),
)
value = junk | st.lists(junk, min_size=2, max_size=3)  # repeated keys
FIELD = re.compile(rb'<(?:input|select|textarea)\b[^>]*\bname="([^"]+)"')


_fields: dict[str, list[str]] = {}


def form_fields(client, path, *, required=True) -> list[str]:
    """The names of the fields of the form on the page (read once)."""
    if path in _fields:
        return _fields[path]
    page = client.get(path)
    assert page.status_code == 200, (path, page.status_code)
    names = {m.decode() for m in FIELD.findall(page.content)}
    names.discard("csrfmiddlewaretoken")
    assert names or not required, f"no form on {path}"
    _fields[path] = sorted(names)
    return _fields[path]


def posted(fields):
    """Junk for some of the page's fields, maybe an unknown one too."""
    keys = st.sampled_from([*fields, "unknown", "qty_999999", "id", "pk", "status"])
    return st.dictionaries(keys, value, max_size=len(fields) + 2)


@pytest.fixture
def scene(db, settings, client):
    """A booking under way in `client` (every step reachable), a confirmed
    booking with its link, a sold-out event's waiting list and an offer."""
    settings.PSDM_RATE_LIMITS_ENABLED = False  # tests/security/test_ratelimit.py
    settings.STRIPE_SECRET_KEY = ""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    event = make_event(invoice_payment_enabled=True)
    paid = make_ticket_type(event, name="Supplier", price_pence=9500)
    fill_up_to_check(client, event, paid)
    assert client.post(url("payment", event), {"method": "invoice"}).status_code == 302
    order = book(event, paid, 2, payment_method="invoice", billing=billing())
    full = make_event(slug="sold-out", capacity=1)
    book(full, make_ticket_type(full))
    entry = WaitlistEntry.objects.create(
        event=event, name="Ada", email="ada@example.gov.uk", organisation="OPG"
    )
    offer = WaitlistOffer.objects.create(
        entry=entry, event=event, expires_at=timezone.now() + timedelta(days=1)
    )
    return {"event": event, "order": order, "offer": offer, "client": client}


def counts():
    return (
        Order.objects.count(),
        Ticket.objects.count(),
        Ticket.objects.filter(status=Ticket.Status.CONFIRMED).count(),
    )


BOOKING_STEPS = ["choose", "buyer", "attendee", "payment", "invoice"]


@FUZZ
@given(data=st.data())
def test_junk_in_every_booking_step(scene, data):
    event, client = scene["event"], scene["client"]
    step = data.draw(st.sampled_from(BOOKING_STEPS))
    path = url(step, event, **({"number": 1} if step == "attendee" else {}))
    if client.get(path).status_code != 200:
        # An earlier example changed the draft: start it again.
        fill_up_to_check(client, event, event.ticket_types.get())
        client.post(url("payment", event), {"method": "invoice"})
    body = data.draw(posted(form_fields(client, path)))
    before = counts()
    response = client.post(path, body)
    assert response.status_code in POLITE
    assert counts() == before


@FUZZ
@given(body=posted(["code", "remove"]))
def test_junk_codes(scene, body):
    event, client = scene["event"], scene["client"]
    before = counts()
    response = client.post(f"/events/{event.slug}/book/code/", body)
    assert response.status_code in POLITE
    assert counts() == before


def ticket_row(ticket):
    return Ticket.objects.filter(pk=ticket.pk).values().get()


@FUZZ
@given(data=st.data())
def test_junk_in_manage_my_booking(scene, data):
    order = scene["order"]
    ticket = order.tickets.order_by("pk").first()
    page = data.draw(st.sampled_from(["change", "pass-on"]))
    path = f"{order.get_absolute_url()}tickets/{ticket.pk}/{page}/"
    client = Client()
    body = data.draw(posted(form_fields(client, path)))
    before, row = counts(), ticket_row(ticket)
    response = client.post(path, body, HTTP_USER_AGENT=data.draw(junk))
    assert response.status_code in POLITE
    assert counts() == before
    if response.status_code != 302:
        assert ticket_row(ticket) == row  # refused: nothing saved
    else:
        ticket.refresh_from_db()
        ticket.full_clean()  # accepted: whole and valid
        assert "\x00" not in "".join(str(v) for v in ticket_row(ticket).values())


@FUZZ
@given(data=st.data())
def test_junk_on_the_waiting_list_and_offer_pages(scene, data):
    client = Client()
    path = data.draw(
        st.sampled_from(
            [
                "/events/sold-out/waiting-list/",
                f"/waiting-list/offers/{scene['offer'].token}/",
            ]
        )
    )
    # The offer page's form is a button: no fields of its own.
    fields = form_fields(client, path, required="offers" not in path)
    body = data.draw(posted(fields))
    before = counts(), WaitlistEntry.objects.count()
    response = client.post(path, body)
    assert response.status_code in POLITE
    after = counts(), WaitlistEntry.objects.count()
    if response.status_code == 302 and path.startswith("/events/"):
        # Joined: exactly one whole entry, nothing else.
        assert after == (before[0], before[1] + 1)
        WaitlistEntry.objects.order_by("pk").last().full_clean()
    else:
        assert after == before


LOG_INS = ["/checkin/login/", "/admin/login/"]


@pytest.fixture
def door_user(db, settings, django_user_model):
    settings.PSDM_RATE_LIMITS_ENABLED = False
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return django_user_model.objects.create_user(
        "door", password="right password", is_staff=True
    )


@FUZZ
@given(
    path=st.sampled_from(LOG_INS),
    body=st.fixed_dictionaries(
        {"username": st.just("door") | junk, "password": junk},
        optional={"otp_token": value, "next": value, "unknown": value},
    ),
    agent=junk,
)
def test_junk_log_ins_never_sign_anyone_in(door_user, path, body, agent):
    client = Client()
    response = client.post(path, body, HTTP_USER_AGENT=agent, HTTP_ACCEPT=agent)
    assert response.status_code in POLITE | {LOCKED_OUT}
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("path", LOG_INS)
def test_a_nul_in_a_header_of_a_log_in_is_refused_before_anything(door_user, path):
    """axes records the User-Agent and Accept headers of each log-in, and
    PostgreSQL refuses NUL in text: this was a 500 (security/backends.py).
    Now a NUL in any header is the friendly 400 before axes or the log-in
    sees it (psdm.security.middleware.RefuseNulMiddleware): nobody signed
    in, no attempt recorded; the same log-in without it works."""
    from axes.models import AccessAttempt, AccessLog

    client = Client()
    headers = {"HTTP_USER_AGENT": "Mozilla\x00/5.0", "HTTP_ACCEPT": "text/\x00html"}
    for password in ("wrong", "right password"):
        response = client.post(
            path, {"username": "door", "password": password}, **headers
        )
        assert response.status_code == 400
        assert "Nothing has been changed" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert not AccessAttempt.objects.exists() and not AccessLog.objects.exists()
    right = client.post(path, {"username": "door", "password": "right password"})
    assert right.status_code == 302
    assert client.session["_auth_user_id"] == str(door_user.pk)


@pytest.mark.parametrize("path", LOG_INS)
def test_a_very_long_username_is_a_wrong_log_in(door_user, path):
    """Django's log-in forms do not limit the username's length, and axes
    records it in a 255-character column: on PostgreSQL this was a 500
    (psdm.security.lockout.client_username)."""
    client = Client()
    for username in ("d" * 256, "é" * 20_000, "door" + " " * 300):
        response = client.post(path, {"username": username, "password": "wrong"})
        assert response.status_code == 200
    assert "_auth_user_id" not in client.session


@FUZZ
@given(
    ticket_id=st.integers(min_value=0, max_value=10**30),
    page=st.sampled_from(["change", "pass-on", "cancel", "badge.pdf", "badge.png"]),
    body=posted(["first_name", "email", "reason"]),
)
def test_places_that_are_not_in_the_booking_are_not_found(scene, ticket_id, page, body):
    """Any place number under a real link (huge ones too): only the
    booking's own places answer; cancelling or changing any other is 404."""
    order = scene["order"]
    own = set(order.tickets.values_list("pk", flat=True))
    if ticket_id in own:
        return
    before = counts()
    response = Client().post(
        f"{order.get_absolute_url()}tickets/{ticket_id}/{page}/".replace(
            "/badge.pdf/", "/badge.pdf"
        ).replace("/badge.png/", "/badge.png"),
        body,
    )
    # A NUL anywhere is refused before the view looks for the place.
    sent = [*body]
    for values in body.values():
        sent += values if isinstance(values, list) else [values]
    nul = any("\x00" in part for part in sent)
    assert response.status_code in ({400} if nul else {404, 405})
    assert counts() == before


ADMIN_LISTS = [
    "/admin/tickets/order/",
    "/admin/tickets/ticket/",
    "/admin/tickets/email/",
    "/admin/tickets/scan/",
    "/admin/events/event/",
    "/admin/sponsors/sponsor/",
]
FILTERS = [
    "q",
    "o",
    "p",
    "e",
    "email",
    "status__exact",
    "payment_status__exact",
    "event__id__exact",
    "to_email",
    "_changelist_filters",
]


def with_a_nul(draw_text):
    """A string with a NUL somewhere in it (start, middle or end)."""
    return st.tuples(draw_text, st.integers(min_value=0, max_value=200)).map(
        lambda pair: pair[0][: pair[1]] + "\x00" + pair[0][pair[1] :]
    )


@FUZZ
@given(
    path=st.sampled_from(ADMIN_LISTS),
    clean=st.lists(st.tuples(st.sampled_from(FILTERS), text), max_size=2),
    dirty=st.tuples(st.sampled_from(FILTERS), with_a_nul(text))
    | st.tuples(with_a_nul(st.sampled_from(FILTERS)), text),
)
def test_a_nul_in_any_admin_list_filter_is_refused(
    organiser, free_type, path, clean, dirty
):
    """PostgreSQL refuses NUL in text: a NUL in a list filter or search
    was a 500 there (?payment_status__exact=%00x). Now the friendly 400."""
    client = Client()
    client.force_login(organiser)
    book(free_type.event, free_type)
    before = counts()
    response = client.get(path, [*clean, dirty])
    assert response.status_code == 400
    assert "Nothing has been changed" in response.content.decode()
    assert counts() == before
