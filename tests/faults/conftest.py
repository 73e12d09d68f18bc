"""The real parts of tests/tickets/test_email_delivery.py (an SMTP sink, a
private redis-server, a real Celery worker), shared with the fault tests."""

from tests.tickets.test_email_delivery import (  # noqa: F401
    broker,
    dead_broker,
    live,
    sink,
    workers,
)
