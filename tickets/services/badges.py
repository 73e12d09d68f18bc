"""Badge print sheets: asked for by an organiser, built by a Celery task that
records its progress, then downloaded from the admin."""

import logging
from collections.abc import Iterable

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from ..badges import badge_data, badge_sheet_pdf
from ..models import BadgeSheet, Ticket

logger = logging.getLogger(__name__)


class NothingToPrint(ValueError):
    """A sheet asked for with no confirmed place in it."""

    def __init__(self, message: str | None = None):
        self.message = message or _("There are no confirmed places to print.")
        super().__init__(self.message)


def badge_sheet_tickets(
    *, event_id: int, ticket_ids: Iterable[int] | None = None
) -> QuerySet[Ticket]:
    """The confirmed places of the event a sheet prints: all of them, or
    those among `ticket_ids`."""
    tickets = Ticket.objects.filter(event_id=event_id, status=Ticket.Status.CONFIRMED)
    if ticket_ids:
        tickets = tickets.filter(pk__in=list(ticket_ids))
    return tickets


def badge_sheet_request(
    *, event_id: int, ticket_ids: Iterable[int] | None = None, user=None
) -> BadgeSheet:
    """Record a print sheet of the event's confirmed places (or those among
    `ticket_ids`) and have it built once the transaction commits. Raise
    NothingToPrint if there are none."""
    chosen = sorted({int(pk) for pk in ticket_ids or ()})
    total = badge_sheet_tickets(event_id=event_id, ticket_ids=chosen).count()
    if not total:
        raise NothingToPrint
    sheet = BadgeSheet.objects.create(
        event_id=event_id,
        ticket_ids=chosen,
        total=total,
        created_by=user if user is not None and user.is_authenticated else None,
    )
    transaction.on_commit(lambda: badge_sheet_enqueue(sheet_id=sheet.pk))
    return sheet


def badge_sheet_enqueue(*, sheet_id: int) -> None:
    """Queue the build; if the broker is down the sheet waits to be asked
    for again."""
    from ..tasks import badge_sheet_build as task

    try:
        task.delay(sheet_id)
    except Exception:  # noqa: BLE001 - broker down, or an in-process build failed
        logger.warning("Could not queue badge sheet %s", sheet_id, exc_info=True)


def badge_sheet_build(*, sheet_id: int) -> str:
    """Draw the sheet's badges into one PDF and store it; return the
    sheet's status. A sheet already built is left alone, so running this
    twice is harmless. Failing, the sheet is marked failed and the error
    raised."""
    with transaction.atomic():
        sheet = BadgeSheet.objects.select_for_update().get(pk=sheet_id)
        if sheet.status == BadgeSheet.Status.DONE:
            return sheet.status
        # A sheet left "building" by a worker that died is built again.
        sheet.status = BadgeSheet.Status.BUILDING
        sheet.done = 0
        sheet.error = ""
        sheet.save(update_fields=["status", "done", "error"])
    sheets = BadgeSheet.objects.filter(pk=sheet_id)
    try:
        tickets = badge_sheet_tickets(
            event_id=sheet.event_id, ticket_ids=sheet.ticket_ids
        ).select_related("event", "ticket_type")
        datas = [badge_data(ticket) for ticket in tickets]
        # Places cancelled since the sheet was asked for are not printed.
        sheets.update(total=len(datas), done=0)

        def progress(done: int, total: int) -> None:
            sheets.update(done=done)

        pdf = badge_sheet_pdf(datas, on_progress=progress)
    except Exception as exc:
        error = (str(exc) or repr(exc))[:500]
        sheets.update(status=BadgeSheet.Status.FAILED, error=error)
        logger.exception("Badge sheet %s failed", sheet_id)
        raise
    sheets.update(
        status=BadgeSheet.Status.DONE,
        pdf=pdf,
        done=len(datas),
        finished_at=timezone.now(),
    )
    return BadgeSheet.Status.DONE.value
