"""Read-only queries about events, speakers and the agenda."""

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from .models import Event, Session, Speaker


def event_list_upcoming() -> QuerySet[Event]:
    return Event.objects.upcoming()


def event_get_published(*, slug: str) -> Event:
    return get_object_or_404(Event.objects.published(), slug=slug)


def event_speakers(*, event: Event) -> list[Speaker]:
    return list(event.speakers.all())


def event_agenda(*, event: Event) -> list[Session]:
    """Return the agenda with each session's speakers (two queries)."""
    return list(
        event.sessions.prefetch_related(
            Prefetch("speakers", queryset=Speaker.objects.order_by("position", "name"))
        )
    )


def speaker_get(*, event: Event, slug: str) -> Speaker:
    return get_object_or_404(
        Speaker.objects.prefetch_related("sessions"), event=event, slug=slug
    )
