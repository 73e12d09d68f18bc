"""The Celery app: configured from Django settings with the CELERY_ prefix."""

import os

from celery import Celery
from celery.signals import after_setup_logger, after_setup_task_logger

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "psdm.settings.base")

app = Celery("psdm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@after_setup_logger.connect
@after_setup_task_logger.connect
def _logging_setup(logger, **kwargs):
    """A worker logs through Celery's handlers: mask personal data there too,
    and write JSON when DJANGO_LOG_FORMAT says so."""
    from django.conf import settings

    from psdm.ops.logs import celery_handlers_setup

    celery_handlers_setup(logger, settings.DJANGO_LOG_FORMAT)
