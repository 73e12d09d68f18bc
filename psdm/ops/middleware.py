"""A request id on every request: taken from the load balancer's
X-Request-ID header when it sends a sane one, else made here; sent back in
the response and put in every log line of the request. One log line per
request (method, path with secrets masked, status, time taken)."""

import logging
import re
import time
import uuid

from django.http import HttpResponse

from .logs import redact, request_id_var

logger = logging.getLogger("psdm.requests")

SANE_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get("X-Request-ID", "")
        request_id = given if SANE_ID.fullmatch(given) else str(uuid.uuid4())
        request.request_id = request_id
        token = request_id_var.set(request_id)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            duration = round((time.monotonic() - started) * 1000, 1)
            path = redact(request.path)
            logger.info(
                "%s %s %s %.1f ms",
                request.method,
                path,
                response.status_code,
                duration,
                extra={
                    "method": request.method,
                    "path": path,
                    "status": response.status_code,
                    "duration_ms": duration,
                },
            )
            return response
        finally:
            request_id_var.reset(token)


class DatabaseUnavailableMiddleware:
    """A view whose database connection dropped (or was never made) answers
    503 "Sorry, there is a problem with the service" with Retry-After: the
    same page as a 500, drawn without the database, never a traceback. The
    transaction the view was in has rolled back, so nothing is half-saved."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.db import InterfaceError, OperationalError

        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.error("Database unavailable", exc_info=exception)
        response = HttpResponse(_error_page(), status=503)
        response["Retry-After"] = "30"
        response["Cache-Control"] = "no-store"
        return response


def _error_page() -> str:
    from django.conf import settings
    from django.template import loader

    try:
        return loader.render_to_string(
            "500.html", {"site_name": settings.PSDM_SITE_NAME}
        )
    except Exception:  # noqa: BLE001 - the error page must never fail
        return (
            "<h1>Sorry, there is a problem with the service</h1><p>Try again later.</p>"
        )
