"""Deployment checks (`manage.py check --deploy`) for the security settings."""

from django.conf import settings
from django.core.checks import Error, Warning, register

from .ratelimit import parse_rate


@register()
def rate_limits_are_rates(app_configs=None, **kwargs):
    """Every PSDM_RATE_LIMITS value must read as "N/period"."""
    errors = []
    for name, value in settings.PSDM_RATE_LIMITS.items():
        for rate in value.values() if isinstance(value, dict) else [value]:
            try:
                parse_rate(rate)
            except ValueError as exc:
                errors.append(
                    Error(f"PSDM_RATE_LIMITS[{name!r}]: {exc}", id="security.E001")
                )
    return errors


@register(deploy=True)
def rate_limits_are_shared(app_configs=None, **kwargs):
    """In-memory caches count per process: with 4 gunicorn workers a client
    gets 4 times the limit (and axes' and the door's counts differ too)."""
    backend = settings.CACHES["default"]["BACKEND"]
    if not settings.PSDM_RATE_LIMITS_ENABLED or "locmem" not in backend.lower():
        return []
    return [
        Warning(
            "Rate limits are counted in each process's memory, so every "
            "process allows the full limit.",
            hint="Set DJANGO_CACHE_URL to a Redis database shared by all processes.",
            id="psdm.W001",
        )
    ]
