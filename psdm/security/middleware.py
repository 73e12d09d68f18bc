"""Security headers beyond Django's own SecurityMiddleware, and NUL bytes refused."""

import logging
from urllib.parse import urlsplit

from csp.constants import HEADER
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

STRIPE_CHECKOUT_ORIGIN = "https://checkout.stripe.com"


def _permissions_policy(features: dict[str, str]) -> str:
    return ", ".join(f"{name}={allow}" for name, allow in features.items())


class PermissionsPolicyMiddleware:
    """Turn off browser features the site never uses. Only the door's pages
    (PSDM_CAMERA_PATH_PREFIX) may use the camera, to scan badges."""

    def __init__(self, get_response):
        self.get_response = get_response
        features = dict(settings.PSDM_PERMISSIONS_POLICY)
        self.header = _permissions_policy(features)
        features["camera"] = "(self)"
        self.camera_header = _permissions_policy(features)

    def __call__(self, request):
        response = self.get_response(request)
        if "Permissions-Policy" not in response:
            camera = request.path_info.startswith(settings.PSDM_CAMERA_PATH_PREFIX)
            response["Permissions-Policy"] = (
                self.camera_header if camera else self.header
            )
        return response


def stripe_checkout_origin() -> str:
    """Where card buyers are sent to pay: Stripe Checkout, or the local fake
    Stripe when STRIPE_API_BASE points at one (tests)."""
    if settings.STRIPE_API_BASE:
        parts = urlsplit(settings.STRIPE_API_BASE)
        return f"{parts.scheme}://{parts.netloc}"
    return STRIPE_CHECKOUT_ORIGIN


# What a response carries when a view's decorator changes its policy.
_CSP_DECORATED = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_exempt",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
    "_csp_exempt_ro",
)
_site_policy: dict = {}


@receiver(setting_changed)
def _forget_site_policy(setting, **kwargs):
    _site_policy.clear()


class CSPMiddleware(BaseCSPMiddleware):
    """django-csp's middleware, with Stripe Checkout added to form-action:
    "Confirm and pay" posts to us and we redirect to Stripe, and browsers
    check a form's redirects against form-action too.

    The header is the same for nearly every response (no nonce, no view
    decorator), so that one is built once, not per response (django-csp
    builds it twice a response, the report-only one too: 0.07 ms)."""

    def process_response(self, request, response):
        plain = (
            getattr(request, "_csp_nonce", None) is None
            and HEADER not in response
            and not any(hasattr(response, name) for name in _CSP_DECORATED)
            and not settings.DEBUG
            and not getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
            and not settings.CONTENT_SECURITY_POLICY.get("EXCLUDE_URL_PREFIXES")
        )
        if not plain:
            return super().process_response(request, response)
        if "header" not in _site_policy:
            parts = self.get_policy_parts(request=request, response=response)
            _site_policy["header"] = build_policy(
                config=parts.config,
                update=parts.update,
                replace=parts.replace,
                nonce=parts.nonce,
            )
        if _site_policy["header"]:
            response[HEADER] = _site_policy["header"]
        # As django-csp does: a nonce asked for after this is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only:
            update = dict(parts.update or {})
            extra = update.get("form-action") or []
            if isinstance(extra, str):
                extra = [extra]
            update["form-action"] = [*extra, stripe_checkout_origin()]
            parts.update = update
        return parts


# A NUL byte anywhere in a request. Nothing the site shows or stores ever has
# one, and PostgreSQL refuses it in text: a NUL that reached a query (an
# admin list filter: ?payment_status__exact=%00x) was a 500 there. So it is
# refused once, here, for the whole site: 400, the friendly page.
NUL = "\x00"
ENCODED_NUL = "%00"
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
# Where the answer is the API's JSON, not a page (besides *.json, and
# requests that send or ask for JSON). Override with PSDM_JSON_PATH_PREFIXES.
JSON_PATH_PREFIXES = ("/checkin/api/",)

nul_logger = logging.getLogger("psdm.security")


class RefuseNulMiddleware:
    """400 for a NUL (\\x00) in the path, the query string (%00 too), a
    header or cookie, or a posted form's field names and values.

    Cheap: a substring test per string. The path, query string and headers
    are checked before anything reads the request (sessions, users, views;
    it sits after the middleware that only add headers to the answer, so the
    400 has them too). A form body is checked in
    process_view, and only for views Django's CSRF check covers: that check
    parses the same form anyway, so the body is read no sooner and no
    differently. Views exempt from it (the Stripe webhook, the check-in API)
    read their own raw bodies, JSON, and are left to refuse bad ones
    themselves (a NUL written \\u0000 in JSON is theirs to handle)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        where = _nul_in_address_or_headers(request)
        if where:
            return refuse_nul(request, where)
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if (
            request.method != "POST"
            or request.content_type not in FORM_TYPES
            or getattr(view_func, "csrf_exempt", False)
        ):
            return None
        try:
            fields = request.POST
            files = request.FILES
        except OSError:
            return None  # the client went away: as CsrfViewMiddleware does
        for name, values in fields.lists():
            if NUL in name or any(NUL in value for value in values):
                return refuse_nul(request, "a form field")
        for name, uploads in files.lists():
            if NUL in name or any(NUL in (upload.name or "") for upload in uploads):
                return refuse_nul(request, "a file's name")
        return None


def _nul_in_address_or_headers(request) -> str | None:
    if NUL in request.path:
        return "the path"
    meta = request.META
    query = meta.get("QUERY_STRING", "")
    if NUL in query or ENCODED_NUL in query:
        return "the query string"
    for key, value in meta.items():
        if (
            isinstance(value, str)
            and NUL in value
            and (key.startswith("HTTP_") or key.startswith("CONTENT_"))
        ):
            return "a header"
    # A quoted cookie may write a NUL as \000, which Django unquotes.
    if "\\" in meta.get("HTTP_COOKIE", "") and any(
        NUL in name or NUL in value for name, value in request.COOKIES.items()
    ):
        return "a cookie"
    return None


def _wants_json(request) -> bool:
    path = request.path_info
    prefixes = getattr(settings, "PSDM_JSON_PATH_PREFIXES", JSON_PATH_PREFIXES)
    if path.endswith(".json") or path.startswith(tuple(prefixes)):
        return True
    accept = request.META.get("HTTP_ACCEPT", "")
    return request.content_type == "application/json" or (
        "application/json" in accept and "text/html" not in accept
    )


def refuse_nul(request, where: str):
    """The site's 400: its handler400 page (templates/400.html), or JSON
    like the check-in API's own 400 for JSON endpoints."""
    from django.core.exceptions import BadRequest
    from django.http import JsonResponse
    from django.urls import get_resolver, get_urlconf
    from django.utils.translation import gettext as _

    nul_logger.warning("Refused a request with a NUL byte in %s", where)
    if _wants_json(request):
        response = JsonResponse(
            {
                "result": "invalid",
                "error": "bad_request",
                "message": _("The request has a NUL byte in it."),
            },
            status=400,
        )
    else:
        handler = get_resolver(get_urlconf()).resolve_error_handler(400)
        response = handler(request, exception=BadRequest(f"NUL byte in {where}"))
    response["Cache-Control"] = "no-store"
    return response
