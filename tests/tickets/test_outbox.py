"""The outbox's rules, in-process: one row per cause, sent once, retried
with backoff when the mail server is down, failed for good when it says no,
swept when the queue lost it."""

import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import transaction
from django.utils import timezone

from tests.conftest import book
from tickets.models import Email
from tickets.services import outbox

FAILURES: list[Exception] = []


class FlakyBackend(LocmemBackend):
    """The in-memory outbox, but it raises the next queued failure first."""

    def send_messages(self, messages):
        if FAILURES:
            raise FAILURES.pop(0)
        return super().send_messages(messages)


@pytest.fixture
def flaky(settings):
    settings.EMAIL_BACKEND = "tests.tickets.test_outbox.FlakyBackend"
    FAILURES.clear()
    yield FAILURES
    FAILURES.clear()


@pytest.fixture
def queued(event, free_type):
    """A booking whose confirmation is in the outbox, not yet handed over
    (the test's transaction never commits, so nothing is sent)."""
    order = book(event, free_type, 1, buyer_email="ada0@example.gov.uk")
    return Email.objects.get(order=order)


def test_the_same_key_twice_is_one_row(queued):
    again = outbox.email_queue(
        kind=queued.kind, key=queued.key, to_email="someone@else.example"
    )
    assert again.pk == queued.pk
    assert Email.objects.filter(key=queued.key).count() == 1


def test_an_e_mail_is_queued_only_when_its_change_commits(
    event, free_type, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                book(event, free_type, 1, buyer_email="ada0@example.gov.uk")
                raise RuntimeError("the booking fails after the row was written")
    assert callbacks == []
    assert not Email.objects.exists()


def test_sending_twice_sends_once(queued):
    first = outbox.email_send(email_id=queued.pk)
    second = outbox.email_send(email_id=queued.pk)
    assert (first.status, second.status) == ("sent", "sent")
    assert len(mail.outbox) == 1
    queued.refresh_from_db()
    assert (queued.status, queued.attempts) == ("sent", 1)


def test_a_row_another_sender_holds_is_left_alone(queued):
    Email.objects.filter(pk=queued.pk).update(
        status="sending", claimed_until=timezone.now() + timedelta(minutes=5)
    )
    assert outbox.email_send(email_id=queued.pk).status == "sending"
    assert mail.outbox == []


def test_a_row_whose_sender_died_is_sent_by_the_next(queued):
    Email.objects.filter(pk=queued.pk).update(
        status="sending",
        attempts=1,
        claimed_until=timezone.now() - timedelta(seconds=1),
    )
    assert outbox.email_send(email_id=queued.pk).status == "sent"
    assert len(mail.outbox) == 1
    assert Email.objects.get(pk=queued.pk).attempts == 2


@pytest.mark.parametrize(
    "failure",
    [
        smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
        ConnectionRefusedError(111, "Connection refused"),
        smtplib.SMTPDataError(451, b"4.3.0 Try again later"),
        smtplib.SMTPRecipientsRefused({"ada0@example.gov.uk": (450, b"busy")}),
    ],
)
def test_a_mail_server_that_is_down_or_busy_is_tried_again_later(
    queued, flaky, settings, failure
):
    settings.PSDM_EMAIL_RETRY_SECONDS = 30
    flaky.append(failure)
    result = outbox.email_send(email_id=queued.pk)
    assert (result.status, result.retry_in) == ("queued", 30)
    queued.refresh_from_db()
    assert queued.status == "queued" and queued.attempts == 1
    assert queued.next_attempt_at > timezone.now() + timedelta(seconds=25)
    assert type(failure).__name__ in queued.last_error

    flaky.append(failure)
    assert outbox.email_send(email_id=queued.pk).retry_in == 60  # backing off
    assert outbox.email_send(email_id=queued.pk).status == "sent"
    assert len(mail.outbox) == 1
    queued.refresh_from_db()
    assert (queued.status, queued.attempts, queued.last_error) == ("sent", 3, "")


@pytest.mark.parametrize(
    "failure",
    [
        smtplib.SMTPRecipientsRefused({"ada0@example.gov.uk": (550, b"no such user")}),
        smtplib.SMTPDataError(554, b"5.7.1 rejected"),
        ValueError("a bug in a template"),
    ],
)
def test_a_refusal_fails_at_once_for_the_organiser_to_see(queued, flaky, failure):
    flaky.append(failure)
    result = outbox.email_send(email_id=queued.pk)
    assert (result.status, result.retry_in) == ("failed", None)
    queued.refresh_from_db()
    assert queued.status == "failed" and queued.last_error
    assert mail.outbox == []


def test_after_the_last_attempt_a_busy_server_means_failed(queued, flaky, settings):
    settings.PSDM_EMAIL_MAX_ATTEMPTS = 3
    flaky.extend(smtplib.SMTPServerDisconnected("down") for _ in range(3))
    statuses = [outbox.email_send(email_id=queued.pk).status for _ in range(3)]
    assert statuses == ["queued", "queued", "failed"]
    assert outbox.email_send(email_id=queued.pk).status == "failed"  # left alone


def test_the_organiser_can_send_a_failed_e_mail_again(
    queued, flaky, django_capture_on_commit_callbacks
):
    flaky.append(ValueError("broken"))
    outbox.email_send(email_id=queued.pk)
    assert Email.objects.get(pk=queued.pk).status == "failed"
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.email_retry(email_id=queued.pk)
    queued.refresh_from_db()
    assert (queued.status, queued.attempts) == ("sent", 1)
    assert len(mail.outbox) == 1
    assert not outbox.email_retry(email_id=queued.pk)  # sent: nothing to do


def test_the_sweeper_hands_over_what_is_due_and_nothing_else(
    event, free_type, monkeypatch
):
    handed = []
    monkeypatch.setattr(
        outbox, "email_enqueue", lambda *, email_id: handed.append(email_id)
    )
    now = timezone.now()

    def row(key, **values):
        return Email.objects.create(
            key=key, kind="broadcast", to_email="a@b.example", **values
        )

    lost = row("lost", next_attempt_at=now - timedelta(minutes=5))
    fresh = row("fresh", next_attempt_at=now)
    later = row("later", next_attempt_at=now + timedelta(minutes=5))
    dead = row("dead", status="sending", claimed_until=now - timedelta(seconds=1))
    row("busy", status="sending", claimed_until=now + timedelta(minutes=1))
    row("sent", status="sent", sent_at=now)
    row("failed", status="failed")

    assert outbox.emails_sweep() == 2
    assert sorted(handed) == sorted([lost.pk, dead.pk])
    handed.clear()
    outbox.emails_sweep(grace_seconds=0)
    assert sorted(handed) == sorted([lost.pk, fresh.pk, dead.pk])
    assert later.pk not in handed


def test_a_broker_that_is_down_loses_nothing(queued, monkeypatch):
    from tickets import tasks

    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(tasks.email_send, "delay", broker_down)
    outbox.email_enqueue(email_id=queued.pk)  # logs, does not raise
    assert Email.objects.get(pk=queued.pk).status == "queued"
    monkeypatch.undo()
    Email.objects.filter(pk=queued.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=2)
    )
    assert outbox.emails_sweep() == 1
    assert Email.objects.get(pk=queued.pk).status == "sent"
    assert len(mail.outbox) == 1
