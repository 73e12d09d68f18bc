import re

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from events.selectors import event_get_published

from .colours import HEX_COLOUR
from .models import SponsorTier
from .selectors import sponsors_by_tier


@require_GET
def sponsor_list(request, slug):
    event = event_get_published(slug=slug)
    return render(
        request,
        "sponsors/sponsor_list.html",
        {"event": event, "sponsor_tiers": sponsors_by_tier(event=event)},
    )


@require_GET
@cache_control(max_age=60, public=True)
def tiers_css(request):
    """Each tier's colours as a class (.psdm-tier--<id>): a stylesheet, since
    the Content Security Policy refuses inline style attributes."""
    rules = [
        f".psdm-tier--{tier.pk}{{background-color:{tier.colour};"
        f"color:{tier.text_colour}}}"
        for tier in SponsorTier.objects.order_by("pk")
        if re.fullmatch(HEX_COLOUR, tier.colour)
    ]
    return HttpResponse("\n".join(rules) + "\n", content_type="text/css")
