"""Celery entry points for tickets: load by id, call one service."""

from celery import shared_task

from . import stripe_api
from .services import holds_expire, outbox, reminders, waitlist
from .services import refund_make as refund_make_service
from .services import refunds_retry_pending as refunds_retry_pending_service


@shared_task(acks_late=True)
def holds_expire_all() -> int:
    return holds_expire()


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(stripe_api.StripeError,),
    retry_backoff=30,
    retry_backoff_max=1800,
    max_retries=6,
)
def refund_make(self, refund_id: int) -> str:
    # Idempotent: Stripe's idempotency key is the refund's id.
    return refund_make_service(refund_id=refund_id).status


@shared_task(acks_late=True)
def refunds_retry_pending() -> int:
    return refunds_retry_pending_service()


@shared_task(acks_late=True)
def badge_sheet_build(sheet_id: int) -> str:
    # Idempotent: a sheet that is already built is left alone.
    from .services.badges import badge_sheet_build as badge_sheet_build_service

    return badge_sheet_build_service(sheet_id=sheet_id)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def email_send(self, email_id: int) -> str:
    # Idempotent: the row is claimed before sending and a sent row is left
    # alone. The outbox counts attempts, so Celery's retry limit is off.
    result = outbox.email_send(email_id=email_id)
    if result.retry_in is not None and not self.request.is_eager:
        raise self.retry(countdown=result.retry_in)
    return result.status


@shared_task(acks_late=True)
def emails_sweep() -> int:
    return outbox.emails_sweep()


@shared_task(acks_late=True)
def reminders_send() -> int:
    return reminders.reminders_queue()


@shared_task(acks_late=True)
def personal_data_anonymise_due() -> int:
    # Idempotent: an event done before has a row and is skipped.
    from .services.retention import personal_data_anonymise_due as anonymise_due

    return len(anonymise_due())


@shared_task(acks_late=True)
def waitlist_sweep() -> int:
    # Idempotent: an offer ends once, and only free places are offered.
    return waitlist.waitlist_sweep()
