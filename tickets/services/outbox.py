"""The e-mail outbox: never lost, never sent twice.

A row is written in the same transaction as the change that causes the
e-mail (`email_queue`), so a booking and its confirmation are saved together
or not at all. After the commit the row's id is handed to Celery; if the
broker is down, nothing is lost: `emails_sweep` (Celery beat) hands it over
again later.

Sending (`email_send`) first claims the row with a conditional update, so
two workers given the same id send it once. A row already sent is left
alone. Every message has a Message-ID made from the row, so in the one case
no database can rule out (a worker killed after the mail server accepted the
message but before the row was marked sent) the resend is the same message,
which mail clients show once.
"""

import logging
import smtplib
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from ..models import Email

logger = logging.getLogger(__name__)

Status = Email.Status

_silenced = ContextVar("psdm_emails_silenced", default=False)


@contextmanager
def emails_silenced():
    """Write no e-mails inside this block: for demo data, whose made-up
    people must not be mailed."""
    token = _silenced.set(True)
    try:
        yield
    finally:
        _silenced.reset(token)


def email_queue(
    *,
    kind: str,
    key: str,
    to_email: str,
    to_name: str = "",
    order=None,
    ticket=None,
    broadcast=None,
    waitlist_offer=None,
    data: dict | None = None,
) -> Email | None:
    """Write an e-mail to the outbox inside the caller's transaction. The
    same `key` twice is one e-mail: the second call returns the first row."""
    if _silenced.get():
        return None
    email, created = Email.objects.get_or_create(
        key=key,
        defaults={
            "kind": kind,
            "to_email": to_email,
            "to_name": to_name[:200],
            "order": order,
            "ticket": ticket,
            "broadcast": broadcast,
            "waitlist_offer": waitlist_offer,
            "data": data or {},
        },
    )
    if created:
        transaction.on_commit(lambda: email_enqueue(email_id=email.pk), robust=True)
    return email


def emails_queue_new(emails: list[dict]) -> list[Email]:
    """Write e-mails about something just created in this transaction (such
    as a new order's confirmation) to the outbox in one statement: their keys
    cannot exist yet, and the unique key still refuses a second copy."""
    if _silenced.get() or not emails:
        return []
    rows = Email.objects.bulk_create(
        Email(
            key=email["key"],
            kind=email["kind"],
            to_email=email["to_email"],
            to_name=email.get("to_name", "")[:200],
            order=email.get("order"),
            ticket=email.get("ticket"),
            data=email.get("data") or {},
        )
        for email in emails
    )
    for row in rows:
        if row.pk is None:  # a database that returns no ids (none we use)
            row.pk = Email.objects.values_list("pk", flat=True).get(key=row.key)
        transaction.on_commit(lambda pk=row.pk: email_enqueue(email_id=pk), robust=True)
    return rows


def email_enqueue(*, email_id: int) -> None:
    """Hand an e-mail to Celery. If the broker is down the row stays queued
    and the sweeper hands it over later."""
    from ..tasks import email_send

    try:
        email_send.delay(email_id)
    except Exception:  # noqa: BLE001 - any broker failure; the sweeper retries
        logger.warning("Could not queue e-mail %s; the sweeper will", email_id)


@dataclass(frozen=True)
class SendResult:
    status: str
    retry_in: int | None = None


def email_send(*, email_id: int) -> SendResult:
    """Send one queued e-mail. Safe to run any number of times, at once or
    one after another: it is sent once."""
    now = timezone.now()
    claimed = (
        Email.objects.filter(pk=email_id)
        .filter(
            Q(status=Status.QUEUED)
            | Q(status=Status.SENDING, claimed_until__lt=now)  # a sender died
        )
        .update(
            status=Status.SENDING,
            claimed_until=now + timedelta(seconds=settings.PSDM_EMAIL_CLAIM_SECONDS),
            attempts=F("attempts") + 1,
        )
    )
    if not claimed:
        status = Email.objects.filter(pk=email_id).values_list("status", flat=True)
        return SendResult(status=status.first() or "missing")
    email = Email.objects.get(pk=email_id)
    try:
        from ..mail import message_build

        message = message_build(email)
        message.send()
    except Exception as exc:  # noqa: BLE001 - every failure is recorded
        return _attempt_failed(email, exc)
    Email.objects.filter(pk=email_id, status=Status.SENDING).update(
        status=Status.SENT,
        sent_at=timezone.now(),
        claimed_until=None,
        subject=message.subject[:300],
        last_error="",
    )
    return SendResult(status=Status.SENT)


def _attempt_failed(email: Email, exc: Exception) -> SendResult:
    error = f"{type(exc).__name__}: {exc}"[:500]
    # Only while the claim is still ours: a sender stuck past its claim may
    # have been replaced by one that sent the e-mail, which must stay sent.
    ours = Email.objects.filter(
        pk=email.pk, status=Status.SENDING, claimed_until=email.claimed_until
    )
    permanent = not is_transient(exc) or email.attempts >= (
        settings.PSDM_EMAIL_MAX_ATTEMPTS
    )
    if permanent:
        if not ours.update(status=Status.FAILED, claimed_until=None, last_error=error):
            return _lost_claim(email, error)
        logger.error("E-mail %s failed for good: %s", email.pk, error)
        return SendResult(status=Status.FAILED)
    delay = min(settings.PSDM_EMAIL_RETRY_SECONDS * 2 ** (email.attempts - 1), 3600)
    if not ours.update(
        status=Status.QUEUED,
        claimed_until=None,
        next_attempt_at=timezone.now() + timedelta(seconds=delay),
        last_error=error,
    ):
        return _lost_claim(email, error)
    logger.warning("E-mail %s not sent (%s); retrying in %s s", email.pk, error, delay)
    return SendResult(status=Status.QUEUED, retry_in=delay)


def _lost_claim(email: Email, error: str) -> SendResult:
    logger.warning("E-mail %s: claimed by another sender; ignored %s", email.pk, error)
    status = Email.objects.filter(pk=email.pk).values_list("status", flat=True)
    return SendResult(status=status.first() or "missing")


def is_transient(exc: Exception) -> bool:
    """Worth trying again: the mail server is down, busy or said "later"
    (4xx). A 5xx answer (say, no such mailbox) will not change."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return any(code < 500 for code, _message in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code < 500
    return isinstance(exc, (smtplib.SMTPException, OSError))


def emails_sweep(*, grace_seconds: int = 60) -> int:
    """Hand Celery every e-mail that should have gone by now: queued while
    the broker was down, due for another attempt, or claimed by a worker
    that died. Run by Celery beat; returns how many were handed over."""
    now = timezone.now()
    due = Email.objects.filter(
        Q(
            status=Status.QUEUED,
            next_attempt_at__lte=now - timedelta(seconds=grace_seconds),
        )
        | Q(status=Status.SENDING, claimed_until__lt=now)
    ).values_list("pk", flat=True)
    count = 0
    for email_id in due[:1000]:
        email_enqueue(email_id=email_id)
        count += 1
    return count


def email_retry(*, email_id: int) -> bool:
    """The organiser asks for a failed e-mail to be tried again."""
    changed = Email.objects.filter(pk=email_id, status=Status.FAILED).update(
        status=Status.QUEUED, attempts=0, next_attempt_at=timezone.now()
    )
    if changed:
        transaction.on_commit(lambda: email_enqueue(email_id=email_id), robust=True)
    return bool(changed)
