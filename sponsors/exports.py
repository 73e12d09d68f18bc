"""The organiser's "sponsors and their benefits" list, as a CSV file that
opens cleanly in Excel (the same rules as the attendee lists: a byte order
mark, CRLF line ends, formula-safe cells)."""

from collections.abc import Iterable

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tickets.exports import csv_bytes
from tickets.services.codes import sponsor_places_claimed

from .models import Sponsor


def _yes_no(value: bool) -> str:
    return _("Yes") if value else _("No")


def sponsor_benefits_rows(sponsors: Iterable[Sponsor]) -> tuple[list, list]:
    """Return the header and one row per sponsor, as the admin lists them."""
    header = [
        _("Event"),
        _("Tier"),
        _("Sponsor"),
        _("Website"),
        _("Contact name"),
        _("Contact e-mail"),
        _("Invoiced"),
        _("Paid"),
        _("Logo received"),
        _("Free places claimed"),
        _("Free places included"),
        _("Tier benefits"),
        _("Shown on the site"),
    ]
    sponsors = list(sponsors)
    # Claimed: places booked with the sponsor's codes and not cancelled.
    claimed = sponsor_places_claimed(sponsor_ids=[s.pk for s in sponsors])
    rows = [
        [
            sponsor.event.name,
            sponsor.tier.name,
            sponsor.name,
            sponsor.website,
            sponsor.contact_name,
            sponsor.contact_email,
            _yes_no(sponsor.is_invoiced),
            _yes_no(sponsor.is_paid),
            _yes_no(sponsor.logo_received),
            claimed.get(sponsor.pk, 0),
            sponsor.free_places,
            "; ".join(sponsor.tier.benefit_lines()),
            _yes_no(sponsor.is_visible),
        ]
        for sponsor in sponsors
    ]
    return header, rows


def sponsor_benefits_csv(sponsors: QuerySet[Sponsor]) -> bytes:
    """Return the sponsors and their benefits as CSV bytes."""
    sponsors = sponsors.select_related("event", "tier")
    return csv_bytes(*sponsor_benefits_rows(sponsors))


def sponsor_benefits_filename(sponsors: QuerySet[Sponsor], today=None) -> str:
    """Return e.g. ``sponsors-psdm-launch-2018-09-20.csv`` (the event's slug
    only when every sponsor listed is from one event)."""
    today = today or timezone.localdate()
    slugs = set(
        sponsors.order_by().values_list("event__slug", flat=True).distinct()[:2]
    )
    prefix = f"sponsors-{slugs.pop()}" if len(slugs) == 1 else "sponsors"
    return f"{prefix}-{today:%Y-%m-%d}.csv"
