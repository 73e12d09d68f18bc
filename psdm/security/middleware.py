"""Security headers beyond Django's own SecurityMiddleware."""

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
