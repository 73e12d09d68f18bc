"""The optional consents an attendee may give, and the wording they agreed.

Each consent is recorded on the ticket as the moment it was given (empty
means no) and the version of the wording shown. When the wording changes,
add a new version here and keep the old ones, so what someone agreed to can
always be shown.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Consent:
    field: str  # the ticket's "<field>_at" and "<field>_version"
    version: str
    wording: str
    hint: str = ""


ATTENDEE_LIST = Consent(
    field="attendee_list_consent",
    version="2026-11",
    wording=_(
        "List my name and organisation on the attendee list other attendees can see"
    ),
    hint=_("Only people with a place at this event can see the list."),
)
FUTURE_EVENTS = Consent(
    field="future_events_consent",
    version="2026-11",
    wording=_("E-mail me about future Public Sector Digital Midlands events"),
    hint=_("You can change your mind at any time from your booking."),
)
CONSENTS = (ATTENDEE_LIST, FUTURE_EVENTS)

# Every wording ever shown, by (field, version).
WORDINGS = {(consent.field, consent.version): consent.wording for consent in CONSENTS}


def consent_wording(field: str, version: str) -> str:
    return str(WORDINGS.get((field, version), ""))


def consent_ticket_values(*, agreed: dict, now) -> dict:
    """Return a ticket's consent fields for `agreed` ({"attendee_list_consent":
    the wording version ticked, or ""}); an unknown version counts as no."""
    values = {}
    for consent in CONSENTS:
        version = str(agreed.get(consent.field) or "").strip()
        known = (consent.field, version) in WORDINGS
        values[f"{consent.field}_at"] = now if known else None
        values[f"{consent.field}_version"] = version if known else ""
    return values


CONSENT_FIELDS = tuple(consent.field for consent in CONSENTS)
