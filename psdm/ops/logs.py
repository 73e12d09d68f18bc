"""Log lines that say which request (or task) they belong to, as JSON in
production, and never carry an e-mail address or a secret link or code.

Wired up in settings.LOGGING (the `console` handler) and, for Celery's own
handlers, in psdm.celery. The code logs ids and references, never names or
addresses; the redaction here is the safety net for what slips through
(a mail server's refusal quoting the address, a 404 for a manage link).
"""

import json
import logging
import re
import time
from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("psdm_request_id", default="-")

EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
# "Grace Hopper <[email]>": the name that went with an address (as a mail
# server's refusal quotes it) goes with it.
NAMED_EMAIL = re.compile(
    r"(?:\"[^\"\n]*\"|[^\s'\"<>{}()\[\],:;][^'\"<>{}()\[\],:;\n]*)?\s*<\[email\]>"
)
# Manage-my-booking links: /bookings/<reference>/<secret>/...
MANAGE_LINK = re.compile(r"(/bookings/[\w-]+/)[\w-]+")
# Badge codes (27 characters) and link secrets (32), URL-safe base64, on
# their own (with a digit or mixed case, as nearly all are); Stripe's ids
# (pi_..., cs_...) and plain words are left readable.
TOKEN = re.compile(
    r"(?<![\w-])(?!(?:pi|cs|re|ch|evt|cus|pm|in|txn|py|seti|whsec|sk|pk)_)"
    r"(?=[\w-]*\d|[\w-]*[A-Z][\w-]*[a-z]|[\w-]*[a-z][\w-]*[A-Z])"
    r"(?:[\w-]{27}|[\w-]{32})(?![\w-])"
)


def redact(text: str) -> str:
    """Mask e-mail addresses, manage-link secrets and badge codes."""
    # Each pattern only where it can match: NAMED_EMAIL alone costs 20 us
    # on a request's log line, and every request logs one.
    if "@" in text:
        text = EMAIL.sub("[email]", text)
    if "<[email]>" in text:
        text = NAMED_EMAIL.sub("[email]", text)
    if "/bookings/" in text:
        text = MANAGE_LINK.sub(r"\1[secret]", text)
    return TOKEN.sub("[secret]", text)


class RedactFilter(logging.Filter):
    """Replace the record's message (and traceback) with a redacted one."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string is logged as is
            message = str(record.msg)
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class ContextFilter(logging.Filter):
    """Add the request id (web) or the task's id (Celery) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            # Django logs its 4xx/5xx lines (django.request) after the
            # middleware has finished, with the request attached.
            request = getattr(record, "request", None)
            record.request_id = getattr(request, "request_id", None) or (
                request_id_var.get()
            )
        if not hasattr(record, "task_id"):
            record.task_id = _current_task_id()
        return True


def _current_task_id() -> str:
    import sys

    if "celery" not in sys.modules:  # a web process never imports it to log
        return "-"
    from celery import current_task

    task = current_task
    return getattr(getattr(task, "request", None), "id", None) or "-"


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, message, request
    or task id, and the traceback when there is one."""

    converter = time.gmtime
    EXTRA = ("method", "path", "status", "duration_ms")

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S")
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("request_id", "task_id"):
            value = getattr(record, key, "-")
            if value and value != "-":
                line[key] = value
        for key in self.EXTRA:
            if hasattr(record, key):
                line[key] = getattr(record, key)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        return json.dumps(line, ensure_ascii=False, default=str)


def celery_handlers_setup(logger: logging.Logger, log_format: str) -> None:
    """Give Celery's own handlers (it replaces the root logger's in a
    worker) the same filters, and the JSON format when chosen."""
    for handler in logger.handlers:
        if not any(isinstance(f, RedactFilter) for f in handler.filters):
            handler.addFilter(ContextFilter())
            handler.addFilter(RedactFilter())
        if log_format == "json":
            handler.setFormatter(JsonFormatter())
