"""Celery tasks for sponsors (none yet)."""
