"""Fault: the mail server is down (nothing listens: connection refused) for
a while. The e-mail is tried again with backoff and delivered once when the
server is back. A real worker, a private redis-server and an SMTP sink
(tests/mailtools.py); the worker waits 1 s, then 2 s, between attempts.
See tests/tickets/test_email_delivery.py for a server that answers 4xx or
5xx, or stalls, and tests/tickets/test_outbox.py for the rules in-process."""

import pytest

from tests.mailtools import NO_MAILBOX, wait_until
from tests.tickets.test_email_delivery import book_own_place, row, wait_for_status
from tickets.models import Email

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_mail_server_that_refuses_connections_gets_the_email_once_it_is_back(
    live, event, free_type
):
    port = live.sink.port
    live.sink.stop()
    try:
        order = book_own_place(event, free_type)
        email = row(order)

        def refused():
            email.refresh_from_db()
            return email.attempts >= 2 and email.status == Email.Status.QUEUED

        wait_until(refused, 20, interval=0.02, what="two refused attempts")
        assert "Connection refused" in email.last_error
        assert email.sent_at is None
    finally:
        live.sink.start(port=port)

    (received,) = live.sink.wait_for(1, timeout=30)
    wait_for_status(email, Email.Status.SENT)
    live.worker.wait_idle()
    assert len(live.sink.messages) == 1
    assert received.message_id == email.message_id
    assert email.attempts == 3  # the module's worker tries three times at most
    assert email.last_error == ""


def test_the_workers_log_of_a_refused_email_names_nobody(live, event, free_type):
    """The mail server's refusal quotes the recipient ("Grace Hopper
    <grace@...>"); the worker's log line masks both."""
    live.sink.refuse("RCPT", NO_MAILBOX, times=None)

    order = book_own_place(event, free_type)

    email = wait_for_status(row(order), Email.Status.FAILED)
    live.worker.wait_idle()
    assert "grace@example.gov.uk" in email.last_error  # kept for the organiser
    log = live.worker.log()
    assert f"E-mail {email.pk} failed for good" in log
    assert "[email]" in log
    for personal in ("grace@example.gov.uk", "Grace", "Hopper"):
        assert personal not in log
