"""Celery tasks for tickets (none yet)."""
