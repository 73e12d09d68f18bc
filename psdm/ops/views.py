"""The health check, for load balancers and monitoring."""

from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .health import database_check, health_check


@never_cache
@require_GET
def health(request):
    """Everything: 503 when the database is down or the e-mail outbox has
    stopped moving; 200 ("degraded") when only Redis is down."""
    report = health_check()
    return JsonResponse(report.as_json(), status=200 if report.healthy else 503)


@never_cache
@require_GET
def health_web(request):
    """Can this process serve pages? Only the database counts, so a load
    balancer never takes every web process out because e-mail is late."""
    database = database_check()
    return JsonResponse(
        {"status": "ok" if database["ok"] else "unhealthy", "database": database},
        status=200 if database["ok"] else 503,
    )
