"""E-mails are never lost and never sent twice, proved with real parts: an
SMTP server (aiosmtpd), a private redis-server and a real Celery worker
process reading the test database. See tests/mailtools.py.

One worker serves the whole module (it takes seconds to start). It tries an
e-mail at most 3 times, 1 s then 2 s apart, and owns a claimed e-mail for
3 s. Runs on SQLite (the test database is a file both processes open) and
on PostgreSQL.
"""

import threading
import time
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db import connection

from tests.conftest import attendee, billing
from tests.mailtools import (
    NO_MAILBOX,
    TRY_LATER,
    CeleryWorker,
    RedisServer,
    SmtpSink,
    celery_broker,
    database_url,
    free_port,
    wait_until,
)
from tickets.models import Email, Order
from tickets.services import OrderLine, order_create, outbox
from tickets.tasks import email_send

pytestmark = pytest.mark.django_db(transaction=True)

BUYER = "grace@example.gov.uk"
MAX_ATTEMPTS = 3


class Workers:
    """The module's worker, which a test may kill and replace."""

    def __init__(self, **options):
        self.options = options
        self.current: CeleryWorker | None = None
        self.started: list[CeleryWorker] = []

    def start(self) -> CeleryWorker:
        self.current = CeleryWorker(**self.options)
        self.started.append(self.current)
        return self.current.start()

    def ensure(self) -> CeleryWorker:
        if self.current is None or not self.current.alive:
            self.start()
        return self.current

    def close(self) -> None:
        for worker in self.started:
            worker.close()


@pytest.fixture(scope="module")
def sink():
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture(scope="module")
def broker():
    redis = RedisServer()
    try:
        yield redis.start()
    finally:
        redis.close()


@pytest.fixture(scope="module")
def workers(django_db_setup, sink, broker):
    workers = Workers(
        database_url=database_url(connection.settings_dict),
        broker_url=broker.url,
        smtp_port=sink.port,
        env={"PSDM_EMAIL_MAX_ATTEMPTS": str(MAX_ATTEMPTS)},
    )
    try:
        workers.start()
        yield workers
    finally:
        workers.close()


@dataclass
class Live:
    sink: SmtpSink
    broker: RedisServer
    workers: Workers

    @property
    def worker(self) -> CeleryWorker:
        return self.workers.current


@pytest.fixture
def live(workers, sink, broker, settings):
    """This process sends tasks to the private broker (not eagerly) and mail,
    when it sends any itself, to the sink; a worker is running."""
    if not broker.ping():  # a test that stopped it failed half-way
        broker.start()
    workers.ensure()
    sink.reset()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = sink.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    with celery_broker(broker.url):
        yield Live(sink, broker, workers)
        sink.release()
        try:  # the worker must not write while the database is emptied
            workers.current.wait_idle(timeout=15)
        except TimeoutError:
            workers.current.kill()


@pytest.fixture
def invoicing(event):
    event.invoice_payment_enabled = True
    event.vat_rate_percent = Decimal("20")
    event.invoice_issuer = "Public Sector Digital Midlands\nBirmingham"
    event.invoice_payment_details = "Sort code 00-00-00, account 12345678"
    event.save()
    return event


def book_own_place(event, ticket_type, buyer_email: str = BUYER, **options) -> Order:
    """The buyer books one place for themself: one e-mail, the confirmation
    (plus the invoice when paying by invoice)."""
    return order_create(
        event_id=event.pk,
        buyer_name="Grace Hopper",
        buyer_email=buyer_email,
        lines=[
            OrderLine(
                ticket_type_id=ticket_type.pk,
                attendee=attendee(
                    first_name="Grace", last_name="Hopper", email=buyer_email
                ),
            )
        ],
        **options,
    )


@pytest.fixture
def dead_broker():
    """A broker address where nothing listens."""
    return f"redis://127.0.0.1:{free_port()}/0"


def row(order: Order, kind: str = Email.Kind.CONFIRMATION) -> Email:
    return Email.objects.get(order=order, kind=kind)


def wait_for_status(email: Email, status: str, timeout: float = 20) -> Email:
    def reached():
        email.refresh_from_db()
        return email.status == status

    wait_until(reached, timeout, what=f"e-mail {email.pk} to be {status}")
    return email


def parts(message) -> dict[str, list]:
    """Every leaf part of a message by content type."""
    found: dict[str, list] = {}
    for part in message.walk():
        if not part.is_multipart():
            found.setdefault(part.get_content_type(), []).append(part)
    return found


def test_a_confirmation_goes_through_celery_to_the_mail_server_once(
    live, event, free_type
):
    """A free booking: the worker sends the buyer one confirmation with the
    badge and a calendar invite, under the row's Message-ID."""
    order = book_own_place(event, free_type)

    (received,) = live.sink.wait_for(1)
    email = wait_for_status(row(order), Email.Status.SENT)
    live.worker.wait_idle()
    assert len(live.sink.messages) == 1
    assert received.rcpt_tos == (BUYER,)
    assert received.mail_from == "events@psdm.localhost"
    assert received.message_id == email.message_id
    assert order.reference in received.subject
    assert received.subject == email.subject
    message = received.message
    assert str(message["To"]) == f"Grace Hopper <{BUYER}>"
    found = parts(message)
    (badge,) = found["application/pdf"]
    assert badge.get_filename() == "badge-grace-hopper.pdf"
    assert badge.get_content().startswith(b"%PDF-")
    (invite,) = found["text/calendar"]
    ics = invite.get_content()
    ics = ics.decode() if isinstance(ics, bytes) else ics
    assert "BEGIN:VEVENT" in ics and "SUMMARY:Test conference" in ics
    assert order.reference in found["text/plain"][0].get_content()
    assert (email.attempts, email.last_error, email.claimed_until) == (1, "", None)
    assert email.sent_at is not None


def test_an_invoice_booking_sends_the_confirmation_and_the_invoice_once_each(
    live, invoicing, paid_type
):
    order = book_own_place(
        invoicing,
        paid_type,
        buyer_email="katherine@example.co.uk",
        payment_method="invoice",
        billing=billing(),
    )

    messages = live.sink.wait_for(2)
    confirmation = wait_for_status(row(order), Email.Status.SENT)
    invoice = wait_for_status(row(order, Email.Kind.INVOICE), Email.Status.SENT)
    live.worker.wait_idle()
    assert len(live.sink.messages) == 2
    by_id = {m.message_id: m for m in messages}
    assert set(by_id) == {confirmation.message_id, invoice.message_id}
    to_buyer = by_id[confirmation.message_id]
    assert to_buyer.rcpt_tos == ("katherine@example.co.uk",)
    assert order.reference in to_buyer.subject
    assert len(parts(to_buyer.message)["application/pdf"]) == 1  # the badge
    assert len(parts(to_buyer.message)["text/calendar"]) == 1
    to_accounts = by_id[invoice.message_id]
    assert to_accounts.rcpt_tos == ("invoices@birmingham.gov.uk",)
    (pdf,) = parts(to_accounts.message)["application/pdf"]
    assert pdf.get_filename() == f"{order.invoice.number}.pdf"
    assert Email.objects.count() == 2


def test_booking_while_the_broker_is_unreachable_saves_the_email_for_the_sweeper(
    live, event, free_type, dead_broker
):
    with celery_broker(dead_broker):
        started = time.monotonic()
        order = book_own_place(event, free_type)
        took = time.monotonic() - started

    assert took < 5  # a generous bound: the booking does not wait on the broker
    assert Order.objects.filter(pk=order.pk, status=Order.Status.CONFIRMED).exists()
    email = row(order)
    assert (email.status, email.attempts) == (Email.Status.QUEUED, 0)
    time.sleep(0.5)
    assert live.sink.messages == []  # nothing reached the worker

    assert outbox.emails_sweep(grace_seconds=0) == 1

    (received,) = live.sink.wait_for(1)
    wait_for_status(email, Email.Status.SENT)
    live.worker.wait_idle()
    assert received.message_id == email.message_id
    assert len(live.sink.messages) == 1
    assert email.attempts == 1
    assert outbox.emails_sweep(grace_seconds=0) == 0  # nothing left to hand over


def test_a_broker_restarted_empty_loses_no_email(live, event, free_type):
    """Redis stops (its queue is not saved) while a booking is made and comes
    back empty: the worker reconnects and the sweeper hands the e-mail over."""
    live.broker.stop()
    try:
        started = time.monotonic()
        order = book_own_place(event, free_type)
        took = time.monotonic() - started
    finally:
        live.broker.start()

    assert took < 5
    email = row(order)
    assert (email.status, email.attempts) == (Email.Status.QUEUED, 0)
    assert live.broker.queue_length() == 0
    assert outbox.emails_sweep(grace_seconds=0) == 1

    (received,) = live.sink.wait_for(1, timeout=30)
    wait_for_status(email, Email.Status.SENT)
    live.worker.wait_idle()
    assert received.message_id == email.message_id
    assert len(live.sink.messages) == 1
    assert email.attempts == 1


def test_a_mail_server_saying_try_later_twice_gets_the_email_on_the_third_attempt(
    live, event, free_type
):
    live.sink.refuse("DATA", TRY_LATER, times=2)

    order = book_own_place(event, free_type)

    (received,) = live.sink.wait_for(1)
    email = wait_for_status(row(order), Email.Status.SENT)
    live.worker.wait_idle()
    assert len(live.sink.messages) == 1
    assert live.sink.seen["DATA"] == 3
    assert received.message_id == email.message_id
    assert (email.attempts, email.last_error) == (3, "")


def test_the_same_task_twice_sends_one_message(live, event, free_type, dead_broker):
    with celery_broker(dead_broker):
        order = book_own_place(event, free_type)
    email = row(order)

    first = email_send.delay(email.pk)
    second = email_send.delay(email.pk)

    live.sink.wait_for(1)
    wait_until(
        lambda: live.worker.results(first.id) and live.worker.results(second.id),
        20,
        what="both tasks to finish",
    )
    live.worker.wait_idle()
    assert live.worker.results(first.id) == ["'sent'"]
    assert live.worker.results(second.id) == ["'sent'"]
    assert len(live.sink.messages) == 1
    email.refresh_from_db()
    assert (email.status, email.attempts) == (Email.Status.SENT, 1)


def test_the_send_service_called_twice_at_once_and_again_sends_one_message(
    live, event, free_type, dead_broker
):
    """Two senders in this process race for one e-mail while the mail server
    is slow to answer; a third comes after it was sent."""
    with celery_broker(dead_broker):
        order = book_own_place(event, free_type)
    email = row(order)
    live.sink.stall("RCPT", 30)  # the first to claim it waits here
    barrier = threading.Barrier(2)
    results: list = []

    def send() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(outbox.email_send(email_id=email.pk).status)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    wait_until(live.sink.stalling.is_set, 20, what="the first to be mid-send")
    wait_until(lambda: results, 20, what="the second sender to give up")
    live.sink.release()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(results) == [Email.Status.SENDING, Email.Status.SENT]
    assert outbox.email_send(email_id=email.pk).status == Email.Status.SENT
    assert len(live.sink.messages) == 1
    assert live.sink.seen["DATA"] == 1
    email.refresh_from_db()
    assert (email.status, email.attempts) == (Email.Status.SENT, 1)
    assert live.sink.messages[0].message_id == email.message_id


def test_a_worker_killed_while_sending_leaves_the_email_to_the_sweeper(
    live, event, free_type
):
    live.sink.stall("RCPT", 60)

    order = book_own_place(event, free_type)

    wait_until(live.sink.stalling.is_set, 20, what="the worker to be mid-send")
    email = row(order)
    assert (email.status, email.attempts) == (Email.Status.SENDING, 1)
    live.worker.kill()
    time.sleep(0.2)
    assert live.sink.messages == []  # the killed worker's message never arrived
    assert live.sink.seen["DATA"] == 0

    replacement = live.workers.start()
    email.refresh_from_db()
    claimed_until = email.claimed_until
    wait_until(
        lambda: time.time() > claimed_until.timestamp() + 0.1,
        10,
        what="the claim to run out",
    )
    assert outbox.emails_sweep(grace_seconds=0) == 1

    (received,) = live.sink.wait_for(1)
    wait_for_status(email, Email.Status.SENT)
    replacement.wait_idle()
    assert len(live.sink.messages) == 1
    assert received.message_id == email.message_id
    assert email.attempts == 2


def test_a_mailbox_that_does_not_exist_fails_at_once(live, event, free_type):
    live.sink.refuse("RCPT", NO_MAILBOX, times=None)

    order = book_own_place(event, free_type)

    email = wait_for_status(row(order), Email.Status.FAILED)
    live.worker.wait_idle()
    assert email.attempts == 1
    assert "550" in email.last_error and "no such mailbox" in email.last_error
    assert live.sink.messages == []
    assert live.sink.seen["RCPT"] == 1
    assert email.sent_at is None


def test_a_mail_server_that_always_says_try_later_fails_after_the_last_attempt(
    live, event, free_type
):
    live.sink.refuse("DATA", TRY_LATER, times=None)

    order = book_own_place(event, free_type)

    email = wait_for_status(row(order), Email.Status.FAILED, timeout=30)
    live.worker.wait_idle()
    assert email.attempts == MAX_ATTEMPTS
    assert live.sink.seen["DATA"] == MAX_ATTEMPTS
    assert "451" in email.last_error and "try again later" in email.last_error
    assert live.sink.messages == []
    assert outbox.emails_sweep(grace_seconds=0) == 0  # failed is not retried


@pytest.mark.parametrize("late_reply", [TRY_LATER, NO_MAILBOX])
def test_a_sender_that_outlived_its_claim_does_not_undo_the_send_after_it(
    live, event, free_type, dead_broker, settings, late_reply
):
    """A sender stuck past its claim is replaced and the e-mail is sent; the
    stuck sender's failure, when it comes, leaves the e-mail sent (not queued
    to go again, nor shown as failed)."""
    settings.PSDM_EMAIL_CLAIM_SECONDS = 1
    with celery_broker(dead_broker):
        order = book_own_place(event, free_type)
    email = row(order)
    live.sink.stall("RCPT", 30, reply=late_reply)
    stuck: list = []

    def send() -> None:
        try:
            stuck.append(outbox.email_send(email_id=email.pk))
        finally:
            connection.close()

    thread = threading.Thread(target=send)
    thread.start()
    wait_until(live.sink.stalling.is_set, 10, what="the first sender to be stuck")
    email.refresh_from_db()
    claimed_until = email.claimed_until
    wait_until(lambda: time.time() > claimed_until.timestamp() + 0.1, 5)
    assert outbox.email_send(email_id=email.pk).status == Email.Status.SENT
    live.sink.release()  # now the first sender's attempt fails
    thread.join(timeout=20)

    assert stuck[0].retry_in is None
    email.refresh_from_db()
    assert (email.status, email.attempts) == (Email.Status.SENT, 2)
    assert outbox.emails_sweep(grace_seconds=0) == 0
    assert outbox.email_send(email_id=email.pk).status == Email.Status.SENT
    assert len(live.sink.messages) == 1
    assert live.sink.messages[0].message_id == email.message_id
