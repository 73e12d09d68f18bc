"""The organiser's lists of an event's confirmed places, as CSV files that
open cleanly in Excel.

Excel reads a CSV as UTF-8 only when it starts with a byte order mark, and
treats a cell that starts with = + - @ (or a tab or carriage return) as a
formula: such cells get a leading apostrophe, which Excel shows as text.

Each list is a `CsvList`: a title, a header and rows of strings. The admin
views only choose the event (and, from an action, the places) and send the
bytes.
"""

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from events.models import Event

from .models import Ticket

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


@dataclass(frozen=True)
class CsvList:
    kind: str
    header: list[str]
    rows: list[list[str]]

    def filename(self, event: Event, today=None) -> str:
        """Return e.g. ``attendees-psdm-launch-2018-09-20.csv`` (the day of
        the export, so successive downloads sort and do not overwrite)."""
        today = today or timezone.localdate()
        return f"{self.kind}-{event.slug}-{today:%Y-%m-%d}.csv"

    def as_bytes(self) -> bytes:
        return csv_bytes(self.header, self.rows)


def csv_cell(value) -> str:
    """Return `value` as text Excel will show as it is, never run."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def csv_bytes(header: list[str], rows: Iterable[Iterable]) -> bytes:
    """Return a UTF-8 CSV with a byte order mark and CRLF line ends, every
    cell quoted where needed and made formula-safe."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([csv_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([csv_cell(cell) for cell in row])
    return (BOM + out.getvalue()).encode("utf-8")


def _when(moment) -> str:
    if moment is None:
        return ""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def confirmed_places(
    *, event: Event, ticket_ids: Iterable[int] | None = None
) -> QuerySet[Ticket]:
    """Return the event's confirmed places (only those in `ticket_ids` if
    given), by surname then first name."""
    places = Ticket.objects.filter(
        event=event, status=Ticket.Status.CONFIRMED
    ).select_related("order", "ticket_type")
    if ticket_ids is not None:
        places = places.filter(pk__in=list(ticket_ids))
    return places.order_by(Lower("last_name"), Lower("first_name"), "pk")


def attendee_list(*, event: Event, ticket_ids: Iterable[int] | None = None) -> CsvList:
    """Return everyone with a confirmed place, with their contact details."""
    header = [
        _("First name"),
        _("Last name"),
        _("E-mail"),
        _("Organisation"),
        _("Job title"),
        _("Sector"),
        _("Ticket type"),
        _("Order reference"),
        _("Payment"),
        _("Booked at"),
        _("Checked in at"),
    ]
    rows = [
        [
            place.first_name,
            place.last_name,
            place.email,
            place.organisation,
            place.job_title,
            place.get_sector_display(),
            place.ticket_type.name,
            place.order.reference,
            place.order.get_payment_status_display(),
            _when(place.created_at),
            _when(place.checked_in_at),
        ]
        for place in confirmed_places(event=event, ticket_ids=ticket_ids)
    ]
    return CsvList("attendees", header, rows)


def needs_list(*, event: Event, ticket_ids: Iterable[int] | None = None) -> CsvList:
    """Return the places with dietary or access needs, for the caterer and
    the venue. No e-mail addresses: they need to know what, not how to reach
    whom."""
    header = [
        _("Name"),
        _("Organisation"),
        _("Ticket type"),
        _("Dietary needs"),
        _("Access needs"),
    ]
    rows = [
        [
            place.full_name,
            place.organisation,
            place.ticket_type.name,
            place.dietary_needs.strip(),
            place.access_needs.strip(),
        ]
        for place in confirmed_places(event=event, ticket_ids=ticket_ids)
        if place.dietary_needs.strip() or place.access_needs.strip()
    ]
    return CsvList("dietary-and-access-needs", header, rows)


def sign_in_sheet(*, event: Event, ticket_ids: Iterable[int] | None = None) -> CsvList:
    """Return a sign-in sheet, by surname, with an empty column to sign."""
    header = [
        _("Last name"),
        _("First name"),
        _("Organisation"),
        _("Ticket type"),
        _("Signature"),
    ]
    rows = [
        [
            place.last_name,
            place.first_name,
            place.organisation,
            place.ticket_type.name,
            "",
        ]
        for place in confirmed_places(event=event, ticket_ids=ticket_ids)
    ]
    return CsvList("sign-in-sheet", header, rows)


def future_events_list(
    *, event: Event, ticket_ids: Iterable[int] | None = None
) -> CsvList:
    """Return the attendees who agreed to hear about future events, with the
    moment they agreed and the wording's version (the proof of consent)."""
    header = [
        _("First name"),
        _("Last name"),
        _("E-mail"),
        _("Organisation"),
        _("Sector"),
        _("Agreed at"),
        _("Wording version"),
    ]
    rows = [
        [
            place.first_name,
            place.last_name,
            place.email,
            place.organisation,
            place.get_sector_display(),
            _when(place.future_events_consent_at),
            place.future_events_consent_version,
        ]
        for place in confirmed_places(event=event, ticket_ids=ticket_ids)
        if place.future_events_consent_at is not None
    ]
    return CsvList("future-events", header, rows)


LISTS = {
    "attendees": attendee_list,
    "needs": needs_list,
    "sign-in": sign_in_sheet,
    "future-events": future_events_list,
}
