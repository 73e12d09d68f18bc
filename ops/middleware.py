"""A request id on every request: taken from the load balancer's
X-Request-ID header when it sends a sane one, else made here; sent back in
the response and put in every log line of the request. One log line per
request (method, path with secrets masked, status, time taken)."""

import logging
import re
import time
import uuid

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
