"""Read-only queries about events, speakers and the agenda."""

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from .models import SPEAKERS_IN_SESSION_ORDER, Event, Session, Speaker


def event_list_upcoming() -> QuerySet[Event]:
    """Return published events not yet over, soonest first."""
    return Event.objects.upcoming().order_by("starts_at", "pk")


def event_list_past() -> QuerySet[Event]:
    """Return published events that are over, the most recent first."""
    return Event.objects.past().order_by("-starts_at", "-pk")


def event_get_published(*, slug: str) -> Event:
    return get_object_or_404(Event.objects.published(), slug=slug)


def event_speakers(*, event: Event) -> list[Speaker]:
    return list(event.speakers.all())


def event_agenda(*, event: Event) -> list[Session]:
    """Return the agenda with each session's speakers in the organiser's
    order (two queries)."""
    return list(
        event.sessions.prefetch_related(
            Prefetch(
                "speakers",
                queryset=Speaker.objects.order_by(*SPEAKERS_IN_SESSION_ORDER),
            )
        )
    )


def agenda_slots(*, sessions: list[Session]) -> list[tuple]:
    """Group the agenda by start time: [(starts_at, [session, ...]), ...].

    Sessions at the same time run side by side in different rooms.
    """
    slots: list[tuple] = []
    for session in sessions:
        if slots and slots[-1][0] == session.starts_at:
            slots[-1][1].append(session)
        else:
            slots.append((session.starts_at, [session]))
    return slots


def speaker_get(*, event: Event, slug: str) -> Speaker:
    return get_object_or_404(
        Speaker.objects.prefetch_related("sessions"), event=event, slug=slug
    )
