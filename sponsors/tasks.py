"""Celery tasks for sponsors."""

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def sponsor_logo_renditions_make(sponsor_id: int) -> bool:
    """Make the sponsor's web and print logos (idempotent)."""
    return services.sponsor_logo_renditions_make(sponsor_id=sponsor_id)
