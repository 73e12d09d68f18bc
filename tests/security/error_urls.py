"""The site's URLs plus views that fail, for tests/security/test_error_pages.py."""

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.urls import path

from psdm.urls import handler500  # noqa: F401
from psdm.urls import urlpatterns as site_urlpatterns


def bad_request(request):
    raise SuspiciousOperation("a made-up reason nobody should see")


def forbidden(request):
    raise PermissionDenied("a made-up reason nobody should see")


def broken(request):
    raise RuntimeError("a made-up failure nobody should see")


urlpatterns = [
    path("test-errors/400/", bad_request),
    path("test-errors/403/", forbidden),
    path("test-errors/500/", broken),
    *site_urlpatterns,
]
