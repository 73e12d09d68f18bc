"""The agenda as an .ics calendar feed (RFC 5545, via `icalendar`)."""

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar
from icalendar import Event as CalendarEvent

from .models import Event, Session


def session_location(session: Session) -> str:
    """Return the room, the venue and its address on one line."""
    event = session.event
    parts = [session.room, event.venue_name, *event.venue_address.splitlines()]
    return ", ".join(part.strip() for part in parts if part.strip())


def agenda_ics(*, event: Event, sessions: list[Session], url: str) -> bytes:
    """One VEVENT per session, each with a UID that stays the same when the
    session changes, so a calendar that subscribed updates it in place.

    Pass sessions from selectors.event_agenda, so speakers come in order."""
    calendar = Calendar()
    calendar.add("prodid", f"-//{settings.PSDM_SITE_NAME}//psdm agenda//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", event.name)
    stamp = timezone.now()
    for session in sessions:
        session.event = event  # already loaded: saves a query per session
        entry = CalendarEvent()
        entry.add("uid", f"session-{session.pk}@{settings.PSDM_EMAIL_DOMAIN}")
        entry.add("dtstamp", stamp)
        entry.add("dtstart", session.starts_at)
        entry.add("dtend", session.ends_at)
        entry.add("summary", session.title)
        entry.add("location", session_location(session))
        names = ", ".join(speaker.name for speaker in session.speakers.all())
        description = [session.description]
        if names:
            description.append(f"Speakers: {names}")
        description.append(f"{url}#session-{session.pk}")
        entry.add("description", "\n\n".join(line for line in description if line))
        entry.add("url", f"{url}#session-{session.pk}")
        calendar.add_component(entry)
    return calendar.to_ical()
