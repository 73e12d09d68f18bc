"""Read-only queries about sponsors."""

from itertools import groupby

from django.urls import reverse

from events.models import Event

from .models import Sponsor


def sponsors_by_tier(*, event: Event) -> list[tuple]:
    """Return [(tier, [sponsor, ...]), ...], top tier first (one query)."""
    sponsors = (
        Sponsor.objects.filter(event=event, is_visible=True)
        .select_related("tier")
        .order_by("tier__rank", "tier__name", "position", "name")
    )
    return [
        (tier, list(members))
        for tier, members in groupby(sponsors, key=lambda s: s.tier)
    ]


def event_page_context(event: Event) -> dict:
    """What the sponsors app adds to the public event page."""
    return {
        "sponsor_tiers": sponsors_by_tier(event=event),
        "sponsors_url": reverse("sponsors:list", args=[event.slug]),
    }
