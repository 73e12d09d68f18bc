"""An .ics calendar invite for an event (RFC 5545, via `icalendar`)."""

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar
from icalendar import Event as CalendarEvent


def venue_one_line(event) -> str:
    lines = [event.venue_name, *event.venue_address.splitlines()]
    return ", ".join(line.strip() for line in lines if line.strip())


def event_ics(event, *, url: str) -> bytes:
    """One VEVENT with a stable UID, so a second invite updates the first
    in the attendee's calendar rather than adding another."""
    calendar = Calendar()
    calendar.add("prodid", f"-//{settings.PSDM_SITE_NAME}//psdm//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    entry = CalendarEvent()
    entry.add("uid", f"event-{event.pk}@{settings.PSDM_EMAIL_DOMAIN}")
    entry.add("dtstamp", timezone.now())
    entry.add("dtstart", event.starts_at)
    entry.add("dtend", event.ends_at)
    entry.add("summary", event.name)
    entry.add("location", venue_one_line(event))
    entry.add("description", f"{event.summary}\n\n{url}")
    entry.add("url", url)
    calendar.add_component(entry)
    return calendar.to_ical()
