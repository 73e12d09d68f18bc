from django.shortcuts import render
from django.views.decorators.http import require_GET

from events.selectors import event_get_published

from .selectors import sponsors_by_tier


@require_GET
def sponsor_list(request, slug):
    event = event_get_published(slug=slug)
    return render(
        request,
        "sponsors/sponsor_list.html",
        {"event": event, "sponsor_tiers": sponsors_by_tier(event=event)},
    )
