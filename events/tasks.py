"""Celery tasks for events (none yet)."""
