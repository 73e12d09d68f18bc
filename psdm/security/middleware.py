"""Security headers beyond Django's own SecurityMiddleware."""

from urllib.parse import urlsplit

from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from django.conf import settings

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


class CSPMiddleware(BaseCSPMiddleware):
    """django-csp's middleware, with Stripe Checkout added to form-action:
    "Confirm and pay" posts to us and we redirect to Stripe, and browsers
    check a form's redirects against form-action too."""

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
