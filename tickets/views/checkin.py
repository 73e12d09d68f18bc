"""Door check-in: the door's pages and the JSON API they (and other scanner
apps) use. Parse the request, call `tickets.services.checkin`, answer.

The API
-------
Every request speaks for a user with the permission ``tickets.check_in``
(the "Door staff" group, or an organiser), in one of two ways:

- a door device token (`tickets.services.door_devices`): ``Authorization:
  Bearer psdmdoor.<id>.<secret>``. The organiser makes one for a scanner
  app in admin ("Door devices"); the check-in page gets its own at each
  sign-in and sends it with every call. No cookie and no CSRF token: a
  browser never sends the header by itself. A token that is malformed,
  unknown, revoked or expired is 401 ``"error": "bad_token"``. A device's
  name is the ``door`` of its scans unless the request names one.
- a session: log in at ``/checkin/login/`` (a session cookie). CSRF
  protection is on: send the ``csrftoken`` cookie's value in an
  ``X-CSRFToken`` header with every POST, and over HTTPS a ``Referer`` or
  ``Origin`` of this site.

``POST /checkin/api/scan`` ``{"code": str, "nonce": str, "event": slug,
"door": str}`` and ``POST /checkin/api/admit`` ``{"ticket": id, "nonce",
"event", "door"}`` answer 200 with ``{"result", "message", "ticket",
"checked_in_at", "checked_in_by", "door", "counts"}``; ``result`` is one of
admitted, already_checked_in, invalid, cancelled, unpaid, wrong_event. The
nonce (1-64 printable ASCII characters, new for each scan) makes a retry
safe: the same nonce from the same user gets the first answer again and
never counts twice. ``door`` (optional) names the device or entrance.

``POST /checkin/api/undo`` ``{"ticket": id, "event", "door"}`` answers
``{"result": "undone" | "not_checked_in", "counts"}``.
``GET /checkin/api/search?event=<slug>&q=<text>`` answers ``{"results":
[...]}``; ``GET /checkin/api/stats?event=<slug>`` ``{"checked_in",
"expected"}``.

Anything malformed (not a JSON object, wrong types, a missing nonce or an
unknown event, a body over 4 KB) is 400 ``{"result": "invalid", "error":
"bad_request", ...}``, not logged. Not logged in (no token): 401
``"not_logged_in"``; no permission: 403;
a failed CSRF check: 403 with ``"error": "csrf"``; too many requests: 429;
the database busy past its lock timeout, or out of reach: 503 ``"error":
"busy"`` or ``"unavailable"`` (scan again, same nonce); the last two with
``Retry-After``. Every answer says ``Cache-Control: no-store``.
"""

import json
import logging
import re
import time
from functools import wraps

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required, permission_required
from django.db import InterfaceError, OperationalError
from django.http import JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie

from events.models import Event
from psdm.ops.remembered import remembered
from psdm.security.ratelimit import window_counts

from ..models import DoorDevice
from ..services import BookingBusy, checkin, door_devices

log = logging.getLogger(__name__)

PERMISSION = door_devices.PERMISSION
API_PREFIX = "/checkin/api/"
MAX_BODY_BYTES = 4096
MAX_CODE_LENGTH = 512  # far beyond any badge, short of abuse
_NONCE = re.compile(r"[\x21-\x7e]{1,64}")
_SLUG = re.compile(r"[-a-zA-Z0-9_]{1,100}")
_MAX_ID = 2**63 - 1
clock = time.time  # rate limit windows (tests stop it)
PERMISSION_CACHE_SECONDS = 30
PAGE_TOKEN_SESSION_KEY = "checkin_device_token"  # noqa: S105 - a key name


class _BadRequest(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- pages -----------------------------------------------------------------


def _door_page(view):
    """Door staff only: sign in first; signed in without the permission, 403."""
    view = permission_required(PERMISSION, raise_exception=True)(never_cache(view))
    return login_required(view, login_url="checkin:login")


@_door_page
def index(request):
    """Go straight to today's event; list them if there are several."""
    events = checkin.events_at_the_door()
    if len(events) == 1:
        return redirect("checkin:event", slug=events[0].slug)
    return render(request, "checkin/events.html", {"events": events})


@_door_page
@ensure_csrf_cookie
def event_page(request, slug):
    event = get_object_or_404(Event, slug=slug)
    urls = {
        name: reverse(f"checkin:api_{name}")
        for name in ("scan", "admit", "undo", "search", "stats")
    }
    urls["logout"] = reverse("checkin:logout")
    return render(
        request,
        "checkin/page.html",
        {
            "event": event,
            "counts": checkin.counts(event_id=event.pk),
            "urls": urls,
            "device_token": _page_token(request),
        },
    )


def _page_token(request) -> str:
    """This sign-in's door device token, for the page's API calls: made at
    the first visit, kept in the session until it ends, revoked at sign-out
    (`page_device_revoke`)."""
    token = request.session.get(PAGE_TOKEN_SESSION_KEY)
    door = door_devices.authenticate(token) if token else None
    if door is None or door.user_id != request.user.pk:
        _device, token = door_devices.device_create(
            name=_("Check-in page: %(who)s") % {"who": checkin.who(request.user)},
            user=request.user,
            kind=DoorDevice.Kind.PAGE,
            expires_at=request.session.get_expiry_date(),
        )
        request.session[PAGE_TOKEN_SESSION_KEY] = token
    return token


def page_device_revoke(sender, request, user, **kwargs) -> None:
    """Receiver for user_logged_out: the sign-in's page token stops too."""
    session = getattr(request, "session", None)
    token = session.get(PAGE_TOKEN_SESSION_KEY) if session is not None else None
    device_id = door_devices.token_device_id(token)
    if device_id is not None:
        door_devices.devices_revoke(device_ids=[device_id])


login = auth_views.LoginView.as_view(
    template_name="checkin/login.html",
    next_page=reverse_lazy("checkin:index"),
    # LoginView names the site after its domain; the pages use our name.
    extra_context={"site_name": settings.PSDM_SITE_NAME},
)
logout = auth_views.LogoutView.as_view(next_page=reverse_lazy("checkin:index"))


# --- the API ---------------------------------------------------------------


def _json(data: dict, status: int = 200, **headers) -> JsonResponse:
    response = JsonResponse(data, status=status)
    response["Cache-Control"] = "no-store"
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _bad_request(message: str) -> JsonResponse:
    return _json(
        {
            "result": "invalid",
            "error": "bad_request",
            "message": message,
            "ticket": None,
            "checked_in_at": None,
            "checked_in_by": None,
            "door": None,
        },
        status=400,
    )


def _api(*methods: str):
    """Refuse the wrong method, strangers, users without the permission and
    floods, in that order; turn malformed input into 400 and a lock wait
    that ran out into 503."""

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            try:
                return guarded(request, *args, **kwargs)
            except (OperationalError, InterfaceError):
                # The database went away: the service's transaction rolled
                # back, so the same scan (same nonce) can simply be sent again.
                log.exception("check-in: database unavailable")
                return _json(
                    {
                        "error": "unavailable",
                        "message": _(
                            "The check-in system cannot be reached. "
                            "Scan the badge again."
                        ),
                    },
                    status=503,
                    Retry_After="2",
                )

        def guarded(request, *args, **kwargs):
            authorization = request.headers.get("Authorization")
            if authorization is None:
                # As the middleware would have, before anything else.
                refused = _csrf.process_view(request, None, (), {})
                if refused is not None:
                    return refused
            if request.method not in methods:
                return _json(
                    {"error": "method_not_allowed", "message": _("Wrong method.")},
                    status=405,
                    Allow=", ".join(methods),
                )
            if authorization is not None:
                door = door_devices.authenticate(_bearer(authorization))
                if door is None:
                    return _json(
                        {
                            "error": "bad_token",
                            "message": _(
                                "This device's token is not valid (revoked, "
                                "expired or mistyped): set the device up again."
                            ),
                        },
                        status=401,
                    )
                allowed, user = door.allowed, door.user
            else:
                door = None
                user = request.user
                if not user.is_authenticated:
                    return _json(
                        {
                            "error": "not_logged_in",
                            "message": _("Sign in to check people in."),
                            "login_url": reverse("checkin:login"),
                        },
                        status=401,
                    )
                allowed = _may_check_in(user)
            if not allowed:
                return _json(
                    {
                        "error": "forbidden",
                        "message": _("This account may not check people in."),
                    },
                    status=403,
                )
            request.door_user, request.door_device = user, door
            if _rate_limited(user.pk):
                return _json(
                    {
                        "result": "invalid",
                        "error": "rate_limited",
                        "message": _("Too many scans: wait a moment, then scan again."),
                    },
                    status=429,
                    Retry_After="1",
                )
            try:
                return view(request, *args, **kwargs)
            except _BadRequest as exc:
                return _bad_request(exc.message)
            except BookingBusy as exc:
                return _json(
                    {"error": "busy", "message": exc.message},
                    status=503,
                    Retry_After="1",
                )

        # A token is not a cookie: the browser never sends it by itself, so
        # only requests without one need (and get) the CSRF check above.
        wrapped.csrf_exempt = True
        return wrapped

    return decorate


_csrf = CsrfViewMiddleware(lambda request: None)


def _bearer(authorization: str) -> str:
    scheme, _space, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def permission_cache_key(user) -> str:
    # date_joined too: SQLite may give a new user a deleted user's id.
    return f"checkin-may:{user.pk}:{user.date_joined.timestamp()}"


def _may_check_in(user) -> bool:
    """user.has_perm(PERMISSION), remembered for a short while: a door device
    asks many times a second, and the permission rarely changes. Taking it
    away works within PERMISSION_CACHE_SECONDS (signing out, at once)."""
    return remembered(
        permission_cache_key(user),
        PERMISSION_CACHE_SECONDS,
        lambda: user.has_perm(PERMISSION),
        keep=bool,
        what="check-in",
    )


def _rate_limited(user_id: int) -> bool:
    """Count this request in the user's current second and minute; True if
    either is over its limit. Shared by all processes only when the cache
    is (Redis); if the cache fails, the door keeps working."""
    now = clock()
    limits = (
        (1, settings.PSDM_CHECKIN_RATE_PER_SECOND),
        (60, settings.PSDM_CHECKIN_RATE_PER_MINUTE),
    )
    windows = [
        (f"checkin-rate:{user_id}:{window}:{int(now // window)}", window)
        for window, _limit in limits
    ]
    try:
        counts = window_counts(windows)
    except Exception:  # noqa: BLE001 - a cache outage must not stop the door
        log.exception("check-in rate limit: cache unavailable")
        return False
    return any(
        count > limit for count, (_window, limit) in zip(counts, limits, strict=True)
    )


def _body(request) -> dict:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = MAX_BODY_BYTES + 1
    if length > MAX_BODY_BYTES:
        raise _BadRequest(_("The request is too large."))
    try:
        data = json.loads(request.body)
    except (ValueError, RecursionError) as exc:
        raise _BadRequest(_("The request is not JSON.")) from exc
    if not isinstance(data, dict):
        raise _BadRequest(_("The request is not a JSON object."))
    return data


def _event_id(slug) -> int:
    if not isinstance(slug, str) or not _SLUG.fullmatch(slug):
        raise _BadRequest(_("Say which event (its web address name)."))
    event_id = checkin.door_event_id(slug)
    if event_id is None:
        raise _BadRequest(_("There is no such event."))
    return event_id


def _nonce(data: dict) -> str:
    nonce = data.get("nonce")
    if not isinstance(nonce, str) or not _NONCE.fullmatch(nonce):
        raise _BadRequest(
            _("Send a nonce: 1 to 64 printable ASCII characters, new for each scan.")
        )
    return nonce


def _ticket_id(data: dict) -> int:
    value = data.get("ticket")
    if type(value) is not int or not 0 < value <= _MAX_ID:
        raise _BadRequest(_("Say which place (its id)."))
    return value


def _door(data: dict) -> str:
    door = data.get("door")
    if door is None:
        return ""
    if not isinstance(door, str):
        raise _BadRequest(_("The door must be text."))
    return door


def _acting(request, data: dict) -> dict:
    """Who is checking people in, at which door, with which device: the
    device's name is the door unless the request names one."""
    device = request.door_device
    return {
        "user": request.door_user,
        "door": _door(data) or (device.name if device else ""),
        "device_id": device.device_id if device else None,
    }


def _iso(moment) -> str | None:
    return timezone.localtime(moment).isoformat() if moment else None


def _ticket_json(ticket) -> dict | None:
    if ticket is None:
        return None
    return {
        "id": ticket.pk,
        "name": ticket.full_name,
        "first_name": ticket.first_name,
        "last_name": ticket.last_name,
        "organisation": ticket.organisation,
        "ticket_type": ticket.ticket_type.name,
        "role": ticket.ticket_type.badge_role,
        "access_needs": bool(ticket.access_needs.strip()),
        "reference": ticket.order.reference,
    }


def _counts_json(counts: checkin.Counts) -> dict:
    return {"checked_in": counts.checked_in, "expected": counts.expected}


def _answer(answer: checkin.ScanResult) -> JsonResponse:
    return _json(
        {
            "result": answer.result,
            "message": answer.message,
            "ticket": _ticket_json(answer.ticket),
            "checked_in_at": _iso(answer.checked_in_at),
            "checked_in_by": answer.checked_in_by,
            "door": answer.door,
            "counts": _counts_json(answer.counts),
        }
    )


@_api("POST")
def api_scan(request):
    data = _body(request)
    code = data.get("code")
    if not isinstance(code, str):
        raise _BadRequest(_("Send the badge's code as text."))
    if len(code) > MAX_CODE_LENGTH:
        raise _BadRequest(_("This is not a badge's code."))
    event_id = _event_id(data.get("event"))
    return _answer(
        checkin.scan(
            event_id=event_id,
            code=code,
            nonce=_nonce(data),
            **_acting(request, data),
        )
    )


@_api("POST")
def api_admit(request):
    data = _body(request)
    event_id = _event_id(data.get("event"))
    return _answer(
        checkin.admit(
            event_id=event_id,
            ticket_id=_ticket_id(data),
            nonce=_nonce(data),
            **_acting(request, data),
        )
    )


@_api("POST")
def api_undo(request):
    data = _body(request)
    event_id = _event_id(data.get("event"))
    done = checkin.undo(
        event_id=event_id,
        ticket_id=_ticket_id(data),
        **_acting(request, data),
    )
    return _json(
        {
            "result": "undone" if done else "not_checked_in",
            "counts": _counts_json(checkin.counts(event_id=event_id)),
        }
    )


@_api("GET")
def api_search(request):
    event_id = _event_id(request.GET.get("event"))
    tickets = checkin.search(event_id=event_id, query=request.GET.get("q", ""))
    return _json(
        {
            "results": [
                {
                    "id": ticket.pk,
                    "name": ticket.full_name,
                    "organisation": ticket.organisation,
                    "email": ticket.email,
                    "ticket_type": ticket.ticket_type.name,
                    "status": ticket.status,
                    "checked_in_at": _iso(ticket.checked_in_at),
                    # Already in: who let them in, and at which door.
                    "checked_in_by": (
                        checkin.who(ticket.checked_in_by)
                        if ticket.checked_in_at
                        else None
                    ),
                    "door": (ticket.checked_in_door or None)
                    if ticket.checked_in_at
                    else None,
                }
                for ticket in tickets
            ]
        }
    )


@_api("GET")
def api_stats(request):
    event_id = _event_id(request.GET.get("event"))
    return _json(_counts_json(checkin.counts(event_id=event_id)))


def csrf_failure(request, reason=""):
    """A failed CSRF check: JSON for the API (the page fetches a new token
    by reloading), our "page has expired" page elsewhere."""
    if request.path_info.startswith(API_PREFIX):
        return _json(
            {
                "error": "csrf",
                "message": _("Your session has expired: reload the page."),
            },
            status=403,
        )
    return render(request, "403_csrf.html", {"reason": reason}, status=403)
