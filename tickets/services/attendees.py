"""Changing who a ticket is for: correcting details, or passing it on."""

from dataclasses import asdict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..consents import CONSENT_FIELDS, consent_ticket_values
from ..models import RevokedSecret, Ticket
from .badge_codes import ticket_code_revoke
from .errors import ChangeNotAllowed, InvalidBooking
from .history import Actor, order_change_record
from .notify import ticket_passed_on_notify
from .orders import AttendeeDetails


def ticket_attendee_change(
    *,
    order_id: int,
    ticket_id: int,
    details: AttendeeDetails,
    actor: Actor,
    transfer: bool = False,
    by_organiser: bool = False,
    consents: bool = False,
) -> Ticket:
    """Change a confirmed ticket's attendee details; with `transfer`, the
    ticket is passed to someone else. Buyers may do this until the event's
    changes deadline (so badges can be printed); organisers at any time.
    With `consents` (or a transfer) the optional consents in `details` are
    applied too; otherwise they are left as they are."""
    with transaction.atomic():
        ticket = (
            Ticket.objects.select_for_update()
            .select_related("order", "event")
            .filter(pk=ticket_id, order_id=order_id)
            .first()
        )
        if ticket is None or ticket.status != Ticket.Status.CONFIRMED:
            raise ChangeNotAllowed(_("This place cannot be changed."))
        if not by_organiser and not ticket.event.allows_changes():
            raise ChangeNotAllowed(
                _(
                    "The deadline for changes has passed, because badges are "
                    "being printed. Contact the organiser if something is wrong."
                )
            )
        before = ticket.full_name
        before_email = ticket.email
        changed = []
        wanted = asdict(details)
        agreed = {key: wanted.pop(key) for key in CONSENT_FIELDS}
        if (consents or transfer) and _consents_change(
            ticket, agreed=agreed, fresh=transfer
        ):
            changed.append(_("choices about the attendee list and e-mails"))
        for key, value in wanted.items():
            value = value.strip()
            if getattr(ticket, key) != value:
                setattr(ticket, key, value)
                changed.append(str(Ticket._meta.get_field(key).verbose_name))
        if not changed:
            return ticket
        try:
            ticket.full_clean(exclude=["order", "event", "ticket_type", "secret"])
        except ValidationError as exc:
            raise InvalidBooking(" ".join(exc.messages)) from exc
        ticket.save()
        if transfer:
            message = _("Passed the place from %(old)s to %(new)s.") % {
                "old": before,
                "new": ticket.full_name,
            }
        else:
            message = _("Changed %(fields)s for %(name)s.") % {
                "fields": ", ".join(changed),
                "name": ticket.full_name,
            }
        change = order_change_record(
            order=ticket.order,
            ticket=ticket,
            actor=actor,
            action="transferred" if transfer else "details_changed",
            message=message,
        )
        if transfer:
            ticket_code_revoke(ticket=ticket, reason=RevokedSecret.Reason.TRANSFERRED)
            ticket_passed_on_notify(
                ticket=ticket,
                old_name=before,
                old_email=before_email,
                change_id=change.pk,
            )
        return ticket


def _consents_change(ticket: Ticket, *, agreed: dict, fresh: bool) -> bool:
    """Set the ticket's consents to `agreed`, keeping the moment of a consent
    still given (unless the place goes to someone new). Return whether any
    changed."""
    values = consent_ticket_values(agreed=agreed, now=timezone.now())
    changed = False
    for field in CONSENT_FIELDS:
        at, version = f"{field}_at", f"{field}_version"
        was = getattr(ticket, at) is not None
        now_given = values[at] is not None
        if was == now_given and not (fresh and was):
            continue
        setattr(ticket, at, values[at])
        setattr(ticket, version, values[version])
        changed = True
    return changed
