"""Who may reach what: every URL pattern the site answers, for every role.

URLS below is the matrix: one row per URL pattern (the route as the
resolver joins it), saying what each role gets for a GET and, where a
POST is refused to some roles, that it is refused to them too. The
patterns come from the resolver itself (admin included), so a URL added
without a row here fails `test_every_url_pattern_has_a_row`: nobody adds an
unprotected page silently. The admin's usual pages for a registered model
are rows made from ADMIN_MODELS, where every registered model must be too.
"""

from dataclasses import dataclass

import pytest
from django.contrib import admin

from events.models import Event
from tickets.models import BadgeSheet, Order, Ticket, WaitlistOffer

from .resolver import fill, url_patterns
from .world import ROLES, World, world_make

# --- outcomes --------------------------------------------------------------


@dataclass(frozen=True)
class Goes:
    """A redirect (302) whose Location starts with `to`."""

    to: str


LOGIN_ADMIN = Goes("/admin/login/?next=")
LOGIN_CHECKIN = Goes("/checkin/login/?next=")
REFUSALS = {LOGIN_ADMIN, LOGIN_CHECKIN, 400, 401, 403, 404, 405}
ALLOWED = object()  # a POST this role may make: not checked here


@dataclass
class Rule:
    get: dict  # role -> outcome of a GET
    # role -> outcome of an empty POST; by default a role refused the GET is
    # refused the POST the same way (or with 405 by a GET-only view).
    post: dict | None = None
    query: str = ""

    def post_for(self, role):
        if self.post is not None:
            return self.post.get(role, ALLOWED)
        return self.get[role] if self.get[role] in REFUSALS else ALLOWED


def everyone(outcome, **post) -> Rule:
    return Rule({role: outcome for role in ROLES}, post=post or None)


def by_role(anonymous, *, user=None, door=None, organiser, superuser=None):
    """anonymous also stands for the attendee (no account)."""
    return {
        "anonymous": anonymous,
        "attendee": anonymous,
        "user": anonymous if user is None else user,
        "door": (anonymous if user is None else user) if door is None else door,
        "organiser": organiser,
        "superuser": organiser if superuser is None else superuser,
    }


def organiser_only(ok=200, **kw) -> Rule:
    """Behind admin_view: only staff, and the group's permissions decide."""
    return Rule(by_role(LOGIN_ADMIN, organiser=ok), **kw)


def superuser_only(ok=200) -> Rule:
    return Rule(by_role(LOGIN_ADMIN, organiser=403, superuser=ok))


def door_page(ok=200) -> Rule:
    return Rule(by_role(LOGIN_CHECKIN, user=403, door=ok, organiser=ok))


def door_api(*, get, post=None, query="") -> Rule:
    """The check-in API: the method first (405), then 401 / 403."""
    return Rule(
        get=get,
        post=post or {"anonymous": 401, "attendee": 401, "user": 403, "door": ALLOWED},
        query=query,
    )


def link_only(ok=200, **kw) -> Rule:
    """Manage-my-booking: only the link's secret opens it (staff included:
    an account is no substitute for the link)."""
    return Rule({role: ok if role == "attendee" else 404 for role in ROLES}, **kw)


MANAGE = "bookings/<str:reference>/<str:secret>/"
CONFIRMATION_PAGE = Goes("/bookings/")
CHOOSE = Goes("/events/test-conference/book/")

URLS = {
    # Public pages.
    "": everyone(200),
    "events/archive/": everyone(200),
    "events/<slug:slug>/": everyone(200),
    "events/<slug:slug>/agenda/": everyone(200),
    "events/<slug:slug>/agenda.ics": everyone(200),
    "events/<slug:slug>/speakers/": everyone(200),
    "events/<slug:slug>/speakers/<slug:speaker>/": everyone(200),
    "events/<slug:slug>/sponsors/": everyone(200),
    "sponsors/tiers.css": everyone(200),
    "events/<slug:slug>/availability.json": everyone(200),
    "accessibility/": everyone(200),
    "privacy/": everyone(200),
    # For load balancers and monitoring.
    "health/": everyone(200),
    "health/web/": everyone(200),
    r"^media/(?P<path>.*)$": everyone(200),
    # Booking steps: open to all; without a draft they lead back to the start.
    "events/<slug:slug>/book/": everyone(200),
    "events/<slug:slug>/book/your-details/": everyone(CHOOSE),
    "events/<slug:slug>/book/attendee/<int:number>/": everyone(CHOOSE),
    "events/<slug:slug>/book/payment/": everyone(CHOOSE),
    "events/<slug:slug>/book/invoice/": everyone(CHOOSE),
    "events/<slug:slug>/book/check/": everyone(CHOOSE),
    # The waiting list: anyone may join (this event is not sold out: a page
    # says so); the "joined" page is for the browser that joined.
    "events/<slug:slug>/waiting-list/": everyone(200),
    "events/<slug:slug>/waiting-list/joined/": everyone(
        Goes("/events/test-conference/waiting-list/")
    ),
    # An offered place: only the link from the offer e-mail opens it.
    "waiting-list/offers/<str:token>/": link_only(),
    # Using a code is a POST anyone booking may make.
    "events/<slug:slug>/book/code/": Rule(everyone(405).get, post={}),
    # Releasing a reservation: a POST; a browser without one has nothing to let go.
    "events/<slug:slug>/book/cancel/": Rule(everyone(405).get, post={}),
    # Only the browser that booked sees the confirmation page.
    "bookings/<str:reference>/": link_only(),
    # Manage my booking.
    MANAGE: link_only(),
    MANAGE + "tickets/<int:ticket_id>/change/": link_only(),
    MANAGE + "tickets/<int:ticket_id>/pass-on/": link_only(),
    MANAGE + "tickets/<int:ticket_id>/cancel/": link_only(),
    MANAGE + "tickets/<int:ticket_id>/badge.pdf": link_only(),
    MANAGE + "tickets/<int:ticket_id>/badge.png": link_only(),
    # Who's coming: for people with a place at the event, through their link.
    MANAGE + "attendees/": link_only(),
    MANAGE + "cancel/": link_only(),
    MANAGE + "invoice.pdf": link_only(),
    # Back from Stripe: the booking is confirmed already, so onward.
    MANAGE + "payment/return/": link_only(CONFIRMATION_PAGE),
    MANAGE + "payment/cancel/": link_only(CHOOSE),
    # Stripe's webhook: POST only, and only with Stripe's signature.
    "stripe/webhook/": everyone(405, **{role: 400 for role in ROLES}),
    # Check-in.
    # One event at the door: straight to its page.
    "checkin/": door_page(Goes("/checkin/test-conference/")),
    "checkin/<slug:slug>/": door_page(),
    "checkin/login/": everyone(200),
    # Signing out is a POST anyone may make (it only ends their session).
    "checkin/logout/": Rule(everyone(405).get, post={}),
    "checkin/api/scan": door_api(get=everyone(405).get),
    "checkin/api/admit": door_api(get=everyone(405).get),
    "checkin/api/undo": door_api(get=everyone(405).get),
    "checkin/api/search": door_api(
        get=by_role(401, user=403, door=200, organiser=200),
        query="?event=test-conference&q=Ada",
    ),
    "checkin/api/stats": door_api(
        get=by_role(401, user=403, door=200, organiser=200),
        query="?event=test-conference",
    ),
    # The organiser's admin and dashboard.
    "admin/dashboard/": organiser_only(),
    "admin/": organiser_only(),
    "admin/login/": Rule(
        by_role(200, organiser=Goes("/admin/")), post={"anonymous": 200}
    ),
    # The admin sends anyone without staff status to its index (and so on to
    # the log-in page); signing out itself is a POST.
    "admin/logout/": Rule(by_role(Goes("/admin/"), organiser=405), post={}),
    "admin/password_change/": organiser_only(),
    "admin/password_change/done/": organiser_only(),
    "admin/autocomplete/": organiser_only(403),
    "admin/jsi18n/": organiser_only(),
    "admin/r/<path:content_type_id>/<path:object_id>/": organiser_only(
        Goes("http://testserver/events/test-conference/")
    ),
    r"admin/^(?P<app_label>...)/$": organiser_only(),
    r"admin/(?P<url>.*)$": organiser_only(404),
    "admin/auth/user/<id>/password/": superuser_only(),
    "admin/otp_totp/totpdevice/<int:pk>/config/": superuser_only(),
    "admin/otp_totp/totpdevice/<int:pk>/qrcode/": superuser_only(),
    "admin/tickets/doordevice/<int:object_id>/revoke/": organiser_only(),
    "admin/tickets/badgesheet/print/": organiser_only(),
    "admin/tickets/badgesheet/<int:sheet_id>/progress/": organiser_only(),
    "admin/tickets/badgesheet/<int:sheet_id>/status.json": organiser_only(),
    "admin/tickets/badgesheet/<int:sheet_id>/badges.pdf": organiser_only(),
    "admin/tickets/order/<int:object_id>/invoice/": organiser_only(),
    "admin/tickets/order/<int:object_id>/cancel/": organiser_only(),
    "admin/tickets/order/<int:object_id>/cancel/<int:ticket_id>/": organiser_only(),
    "admin/tickets/order/<int:object_id>/invoice-paid/": organiser_only(),
    # Exports answer a signed-in user who may not export with 403.
    "admin/tickets/ticket/exports/": Rule(
        by_role(LOGIN_ADMIN, user=403, organiser=200)
    ),
    "admin/sponsors/sponsor/export/": organiser_only(),
    # Each member of staff turns their own two-factor authentication on/off.
    "admin/two-factor/": organiser_only(),
    # Personal data for one person: staff with tickets.personal_data only.
    "admin/tickets/order/personal-data/": organiser_only(),
    "admin/tickets/order/personal-data/export/": organiser_only(
        query="?email=ada0@example.gov.uk"
    ),
    "admin/tickets/order/personal-data/erase/": organiser_only(
        query="?email=ada0@example.gov.uk"
    ),
}

# What staff get on the admin's usual pages of each registered model: who
# ("organiser": the Organiser group and the superuser; "superuser": only
# the superuser, the organiser is refused with 403), and what that role gets
# on each page. Anyone without staff status is sent to the log-in page.
FULL = {"changelist": 200, "add": 200, "change": 200, "delete": 200, "history": 200}
READ_ONLY = {**FULL, "add": 403, "delete": 403}
# Messages are sent by adding one; nothing is taken back once sent.
SEND_ONLY = {**FULL, "delete": 403}
# Made elsewhere (badge sheets by "Print all badges", log-in records by
# axes); may be deleted.
MADE_ELSEWHERE = {**FULL, "add": 403}
ADMIN_MODELS = {
    "auth.user": ("superuser", FULL),
    "auth.group": ("superuser", FULL),
    "axes.accessattempt": ("superuser", MADE_ELSEWHERE),
    "axes.accesslog": ("superuser", MADE_ELSEWHERE),
    "axes.accessfailurelog": ("superuser", MADE_ELSEWHERE),
    "otp_totp.totpdevice": ("superuser", FULL),
    "events.event": ("organiser", FULL),
    "events.speaker": ("organiser", FULL),
    "events.session": ("organiser", FULL),
    "sponsors.sponsor": ("organiser", FULL),
    "sponsors.sponsortier": ("organiser", FULL),
    "tickets.tickettype": ("organiser", FULL),
    "tickets.order": ("organiser", READ_ONLY),
    "tickets.ticket": ("organiser", READ_ONLY),
    "tickets.refund": ("organiser", READ_ONLY),
    "tickets.stripeevent": ("organiser", READ_ONLY),
    "tickets.badgesheet": ("organiser", MADE_ELSEWHERE),
    "tickets.scan": ("organiser", READ_ONLY),
    "tickets.email": ("organiser", READ_ONLY),
    "tickets.broadcast": ("organiser", SEND_ONLY),
    "tickets.waitlistentry": ("organiser", READ_ONLY),
    "tickets.reservation": ("organiser", READ_ONLY),
    "tickets.code": ("organiser", FULL),
    # Revoked, never deleted: the scan log keeps each scan's device.
    "tickets.doordevice": ("organiser", {**FULL, "delete": 403}),
}
ADMIN_VIEWS = {
    "changelist": "",
    "add": "add/",
    "history": "<path:object_id>/history/",
    "delete": "<path:object_id>/delete/",
    "change": "<path:object_id>/change/",
    "redirect": "<path:object_id>/",
}


def admin_model_rows() -> dict:
    rows = {}
    for model in admin.site._registry:
        label = model._meta.label_lower
        if label not in ADMIN_MODELS:
            continue  # reported by test_every_registered_model_has_a_row
        who, outcomes = ADMIN_MODELS[label]
        base = f"admin/{model._meta.app_label}/{model._meta.model_name}/"
        for view, suffix in ADMIN_VIEWS.items():
            if view == "redirect":  # to the change page, which decides
                rule = organiser_only(Goes(f"/{base}"))
            elif who == "superuser":
                rule = superuser_only(outcomes[view])
            else:
                rule = organiser_only(outcomes[view])
            rows[base + suffix] = rule
    return rows


def matrix() -> dict:
    return {**URLS, **admin_model_rows()}


def test_every_url_pattern_has_a_row():
    rows = matrix()
    missing = [p.route for p in url_patterns() if p.route not in rows]
    assert not missing, (
        "URL patterns with no row in tests/security/test_authz_matrix.py "
        f"(say who may reach them): {missing}"
    )


def test_every_registered_model_has_a_row():
    registered = {model._meta.label_lower for model in admin.site._registry}
    missing = registered - set(ADMIN_MODELS)
    assert not missing, (
        f"Models registered in the admin with no ADMIN_MODELS row: {missing}"
    )


def test_the_matrix_really_refuses_someone_everywhere_it_should():
    """The rows are not all 'everyone 200': staff pages refuse strangers."""
    rows = matrix()
    for route, rule in rows.items():
        if route.startswith("admin/") and route not in (
            "admin/login/",
            "admin/logout/",
        ):
            assert rule.get["anonymous"] == LOGIN_ADMIN, route
            assert rule.get["door"] in REFUSALS, route
        if route.startswith(MANAGE):
            assert rule.get["anonymous"] == 404, route


def check(response, expected) -> str | None:
    """None if the response is what `expected` says, else what went wrong."""
    status = response.status_code
    if isinstance(expected, Goes):
        location = response.get("Location", "")
        if status == 302 and location.startswith(expected.to):
            return None
        return f"{status} {location!r}, expected a redirect to {expected.to!r}"
    if status != expected:
        return f"{status}, expected {expected}"
    return None


@pytest.fixture
def world(db, settings, tmp_path) -> World:
    settings.MEDIA_ROOT = tmp_path
    settings.STRIPE_SECRET_KEY = ""
    settings.PSDM_RATE_LIMITS_ENABLED = False  # tests/security/test_ratelimit.py
    return world_make(tmp_path)


def counts() -> tuple:
    """What a request that changes nothing leaves as it was."""
    return (
        list(Order.objects.order_by("pk").values_list("status", "payment_status")),
        list(
            Ticket.objects.order_by("pk").values_list(
                "status", "email", "secret", "checked_in_at"
            )
        ),
        list(WaitlistOffer.objects.order_by("pk").values_list("status", "token")),
        Event.objects.count(),
        BadgeSheet.objects.count(),
    )


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_what_the_matrix_says(world, role):
    """GET every URL pattern as `role` (a GET changes nothing); then POST to
    each one this role is refused, and check that the POST is refused too
    and changes nothing."""
    rows = matrix()
    client = world.client(role)
    wrong = []
    last = counts()

    def unchanged(what):
        nonlocal last
        now = counts()
        if now != last:
            wrong.append(f"{what} changed the database")
        last = now

    for pattern in url_patterns():
        rule = rows.get(pattern.route)
        if rule is None:
            continue  # reported by test_every_url_pattern_has_a_row
        if role == "superuser" and rule.get[role] == rule.get["organiser"]:
            continue  # the superuser may do anything; checked where it differs
        path = fill(world, pattern.route, role) + rule.query
        problem = check(client.get(path), rule.get[role])
        if problem:
            wrong.append(f"GET {path}: {problem}")
        unchanged(f"GET {path}")
        expected = rule.post_for(role)
        if expected is ALLOWED:
            continue
        response = client.post(path, {})
        if expected in REFUSALS and response.status_code == 405:
            problem = None  # a GET-only view refuses every POST
        else:
            problem = check(response, expected)
        if problem:
            wrong.append(f"POST {path}: {problem}")
        unchanged(f"POST {path}")
    assert not wrong, f"As {role}:\n" + "\n".join(wrong)


def test_an_attendee_cannot_reach_someone_elses_booking(world):
    """Their own secret with another booking's reference, or another
    booking's place under their own link: not found, and nothing changes."""
    client = world.client("attendee")
    own = world.order
    theirs = world.other
    suffixes = [
        "",
        f"tickets/{theirs.tickets.first().pk}/change/",
        f"tickets/{theirs.tickets.first().pk}/pass-on/",
        f"tickets/{theirs.tickets.first().pk}/cancel/",
        f"tickets/{theirs.tickets.first().pk}/badge.pdf",
        f"tickets/{theirs.tickets.first().pk}/badge.png",
        "cancel/",
        "attendees/",
        "invoice.pdf",
        "payment/return/",
        "payment/cancel/",
    ]
    wrong = []
    for suffix in suffixes:
        for reference, secret in (
            (theirs.reference, own.secret),
            (own.reference, own.secret),
        ):
            if reference == own.reference and "tickets/" not in suffix:
                continue  # their own booking, their own link: fine
            path = f"/bookings/{reference}/{secret}/{suffix}"
            before = counts()
            for method in ("get", "post"):
                status = getattr(client, method)(path).status_code
                if status not in (404, 405):
                    wrong.append(f"{method.upper()} {path}: {status}")
            if counts() != before:
                wrong.append(f"{path} changed the database")
    assert client.get(f"/bookings/{theirs.reference}/").status_code == 404
    assert not wrong, "\n".join(wrong)
    assert theirs.tickets.filter(status=Ticket.Status.CONFIRMED).count() == 2
