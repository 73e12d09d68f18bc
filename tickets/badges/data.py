"""What goes on a badge, read from a ticket once so drawing needs no database."""

import unicodedata
from dataclasses import dataclass

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from ..models import BadgeRole


@dataclass(frozen=True)
class BadgeData:
    first_name: str
    last_name: str
    organisation: str
    role: str  # a BadgeRole value: picks the band's colour
    role_label: str
    event_name: str
    date_text: str  # "Thursday 12 March 2026"
    code: str  # the ticket's secret: exactly what the QR code carries


def badge_data(ticket) -> BadgeData:
    """Return what `ticket`'s badge shows (its event and ticket type are
    read, so select them with it)."""
    event = ticket.event
    role = ticket.ticket_type.badge_role
    try:
        role_label = str(BadgeRole(role).label)
    except ValueError:
        role, role_label = BadgeRole.ATTENDEE.value, str(BadgeRole.ATTENDEE.label)
    return BadgeData(
        first_name=ticket.first_name,
        last_name=ticket.last_name,
        organisation=ticket.organisation,
        role=role,
        role_label=role_label,
        event_name=event.name,
        date_text=event_dates(event.starts_at, event.ends_at),
        code=ticket.secret,
    )


def event_dates(starts_at, ends_at) -> str:
    """Return "Thursday 12 March 2026", or "Thursday 12 March 2026 to Friday
    13 March 2026" for an event over more than one day (local dates)."""
    start = timezone.localtime(starts_at).date()
    end = timezone.localtime(ends_at).date() if ends_at else start
    text = date_format(start, "l j F Y")
    if end > start:
        text = _("%(start)s to %(end)s") % {
            "start": text,
            "end": date_format(end, "l j F Y"),
        }
    return text


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).strip()


def sort_key(data: BadgeData) -> tuple[str, str, str, str, str]:
    """Surname, then first name, ignoring case and accents; ties broken by
    the exact text and the code so the order is always the same."""
    return (
        _fold(data.last_name),
        _fold(data.first_name),
        data.last_name,
        data.first_name,
        data.code,
    )
