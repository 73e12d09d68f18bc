"""Door check-in: scan a badge, admit someone found by name, undo.

Each admission runs in one short transaction that locks the ticket's row, so
two doors scanning one badge at the same moment admit it once. Every scan,
admission and undo is logged (`Scan`) in that same transaction, failed ones
included. Scans and admissions carry a nonce chosen by the door device: the
log's unique (user, nonce) makes a retried request return the first answer
instead of counting twice, also when both copies arrive at once.
"""

import logging
import re
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from django.db import IntegrityError, OperationalError, transaction
from django.db.models import CharField, Q, QuerySet, Value
from django.db.models.functions import Concat
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext as _

from events.models import Event
from psdm.ops.remembered import forget, remembered

from ..models import Order, RevokedSecret, Scan, Ticket
from ..models.checkins import SCAN_CODE_MAX_LENGTH, SCAN_DOOR_MAX_LENGTH
from . import checkin_sql
from .errors import BookingBusy
from .places import is_lock_timeout, lock_timeout_set

Result = Scan.Result

# Badge codes are `new_ticket_secret()`: URL-safe base64. Anything else is
# refused before it reaches a query.
CODE_MAX_LENGTH = 64
_CODE = re.compile(r"[A-Za-z0-9_-]+")
SEARCH_MIN_LENGTH = 2
SEARCH_MAX_LENGTH = 100
DOOR_OPEN_AFTER_END = timedelta(hours=12)
EVENT_ID_CACHE_SECONDS = 60

log = logging.getLogger(__name__)


# What judging a scan and answering it read (a door asks many times a second).
_JUDGED_FIELDS = (
    "event__name",
    "event__entry_requires_payment",
    "order__reference",
    "order__status",
    "order__payment_method",
    "order__payment_status",
    "ticket_type__name",
    "ticket_type__badge_role",
    "first_name",
    "last_name",
    "organisation",
    "access_needs",
    "status",
    "checked_in_at",
    "checked_in_by",
    "checked_in_door",
)


class Counts(NamedTuple):
    checked_in: int
    expected: int


@dataclass(frozen=True)
class ScanResult:
    """The door's answer. `ticket` is the place the code or search found
    (None for an unknown code, and for the old badge of a place passed on or
    of another event's place); `checked_in_*` say when, by whom and where it
    was admitted."""

    result: str
    message: str
    ticket: Ticket | None
    checked_in_at: datetime | None
    checked_in_by: str | None
    door: str | None
    counts: Counts


@dataclass(frozen=True)
class _Verdict:
    result: str
    message: str
    ticket: Ticket | None = None
    admits: bool = False  # check the ticket in when the scan is logged


def printable(value: str, max_length: int) -> str:
    """Return `value` without control characters (NUL, newlines, lone
    surrogates...), trimmed and cut to `max_length`: safe to store."""
    text = "".join(ch for ch in value[: max_length * 4] if ch.isprintable())
    return text.strip()[:max_length]


def is_well_formed_code(code: str) -> bool:
    return len(code) <= CODE_MAX_LENGTH and _CODE.fullmatch(code) is not None


def scan(
    *, event_id: int, code: str, nonce: str, user, door: str, device_id=None
) -> ScanResult:
    """Check in the badge whose QR code says `code` at this event's door.
    `device_id`: the door device (`DoorDevice`) whose token it came with."""
    door = printable(door, SCAN_DOOR_MAX_LENGTH)
    code = code if isinstance(code, str) else ""
    cleaned = code.strip()  # handheld scanners may add a newline or spaces

    def find(now: datetime) -> _Verdict:
        if not is_well_formed_code(cleaned):
            return _Verdict(Result.INVALID, _("This is not a badge's code."))
        ticket = checkin_sql.ticket_locked(secret=cleaned)
        if ticket is not None:
            return _judge(
                ticket=ticket, event_id=event_id, user=user, door=door, now=now
            )
        return _revoked(code=cleaned, event_id=event_id)

    return _record(
        event_id=event_id,
        user=user,
        door=door,
        nonce=nonce,
        kind=Scan.Kind.SCAN,
        code=printable(code, SCAN_CODE_MAX_LENGTH),
        find=find,
        device_id=device_id,
    )


def admit(
    *, event_id: int, ticket_id: int, nonce: str, user, door: str, device_id=None
) -> ScanResult:
    """Check in a place found by search (the attendee has no badge with
    them): the same rules and the same log as a scan."""
    door = printable(door, SCAN_DOOR_MAX_LENGTH)

    def find(now: datetime) -> _Verdict:
        ticket = checkin_sql.ticket_locked(ticket_id=ticket_id)
        if ticket is None:
            return _Verdict(Result.INVALID, _("There is no such place."))
        return _judge(ticket=ticket, event_id=event_id, user=user, door=door, now=now)

    return _record(
        event_id=event_id,
        user=user,
        door=door,
        nonce=nonce,
        kind=Scan.Kind.MANUAL,
        code="",
        find=find,
        device_id=device_id,
    )


def undo(*, event_id: int, ticket_id: int, user, door: str, device_id=None) -> bool:
    """Take back this place's admission (admitted by mistake, or the wrong
    person). Return False if it was not checked in."""
    door = printable(door, SCAN_DOOR_MAX_LENGTH)
    with _busy_as_error(), transaction.atomic(durable=True):
        lock_timeout_set()
        ticket = _locked(Ticket.objects.filter(pk=ticket_id, event_id=event_id))
        done = ticket is not None and ticket.checked_in_at is not None
        if done:
            Ticket.objects.filter(pk=ticket.pk).update(
                checked_in_at=None, checked_in_by=None, checked_in_door=""
            )
        Scan.objects.create(
            event_id=event_id,
            user=user,
            door=door,
            kind=Scan.Kind.UNDO,
            result=Result.UNDONE if done else Result.NOT_CHECKED_IN,
            message=_("Admission undone.") if done else _("Not checked in."),
            ticket=ticket,
            device_id=device_id,
        )
    return done


def search(*, event_id: int, query: str, limit: int = 20) -> list[Ticket]:
    """Confirmed places whose attendee's name (first, last or both), e-mail
    or organisation contains `query`, ignoring case; nothing for fewer than
    two characters."""
    query = " ".join(printable(query, SEARCH_MAX_LENGTH).split())
    if len(query) < SEARCH_MIN_LENGTH:
        return []
    full_name = Concat("first_name", Value(" "), "last_name", output_field=CharField())
    return list(
        Ticket.objects.filter(event_id=event_id, status=Ticket.Status.CONFIRMED)
        .annotate(attendee_name=full_name)
        .filter(
            # The full name contains any part of the first or the last name.
            Q(attendee_name__icontains=query)
            | Q(email__icontains=query)
            | Q(organisation__icontains=query)
        )
        .select_related("ticket_type", "order", "checked_in_by")
        .order_by("last_name", "first_name", "pk")[: max(limit, 0)]
    )


def counts(*, event_id: int) -> Counts:
    """How many confirmed places are checked in, out of all confirmed."""
    checked_in, expected = checkin_sql.counts(event_id=event_id)
    return Counts(checked_in=checked_in, expected=expected)


def door_event_id(slug: str) -> int | None:
    """The id of the event whose web address name is `slug`, or None.

    Remembered for EVENT_ID_CACHE_SECONDS: a door asks with every scan, and
    saving or deleting an event forgets its name at once (in this process,
    and in all of them when the cache is shared)."""
    return remembered(
        _door_event_key(slug),
        EVENT_ID_CACHE_SECONDS,
        lambda: Event.objects.filter(slug=slug).values_list("pk", flat=True).first(),
        what="check-in",
    )


def door_event_forget(sender, instance, **kwargs) -> None:
    """Receiver for Event post_save and post_delete: forget its slug."""
    forget([_door_event_key(instance.slug)], what="check-in")


def _door_event_key(slug: str) -> str:
    return f"checkin-event:{slug}"


def events_at_the_door(now: datetime | None = None) -> list[Event]:
    """Published events on now (ending less than 12 hours ago) or to come,
    soonest first; if there are none, the most recent one."""
    now = now or timezone.now()
    published = Event.objects.published()
    current = list(published.filter(ends_at__gt=now - DOOR_OPEN_AFTER_END))
    if current:
        return current
    return list(published.order_by("-ends_at")[:1])


def who(user) -> str | None:
    """How door staff are named on the page: full name, else username."""
    if user is None:
        return None
    return user.get_full_name() or user.get_username()


# --- the steps -------------------------------------------------------------


def _record(
    *,
    event_id: int,
    user,
    door: str,
    nonce: str,
    kind: str,
    code: str,
    find: Callable[[datetime], _Verdict],
    device_id: int | None,
) -> ScanResult:
    """Judge and log one scan or admission in one transaction, or answer a
    nonce seen before from the log. `door` is already printable()."""
    try:
        with _busy_as_error(), transaction.atomic(durable=True):
            now = timezone.now()
            verdict = find(now)  # the ticket's lookup waits for its lock
            checked_in, expected = checkin_sql.scan_record(
                check_in=verdict.admits,
                event_id=event_id,
                user_id=getattr(user, "pk", None),
                door=door,
                scanned_at=now,
                kind=kind,
                code=code,
                nonce=nonce,
                result=verdict.result,
                message=verdict.message[:300],
                ticket_id=verdict.ticket.pk if verdict.ticket else None,
                device_id=device_id,
            )
    except IntegrityError:
        # This user sent this nonce before (a retry): everything above was
        # rolled back, including any admission; give the first answer.
        first = _scan_with_nonce(user=user, nonce=nonce)
        if first is None:
            raise
        return _answer_again(first, event_id=event_id)
    return _answer(verdict, Counts(checked_in=checked_in, expected=expected))


def _judge(*, ticket: Ticket, event_id: int, user, door: str, now) -> _Verdict:
    """Decide whether this (locked) place may come in; if so, check it in."""
    order = ticket.order
    if ticket.event_id != event_id:
        return _Verdict(
            Result.WRONG_EVENT,
            _("This badge is for another event: %(event)s.")
            % {"event": ticket.event.name},
            ticket,
        )
    if ticket.status == Ticket.Status.CANCELLED:
        return _Verdict(Result.CANCELLED, _("This place was cancelled."), ticket)
    if order.payment_status == Order.PaymentStatus.REFUNDED:
        return _Verdict(Result.CANCELLED, _("This booking was refunded."), ticket)
    if order.payment_status == Order.PaymentStatus.VOID:
        return _Verdict(Result.CANCELLED, _("This booking was cancelled."), ticket)
    if ticket.status != Ticket.Status.CONFIRMED or order.status != (
        Order.Status.CONFIRMED
    ):
        return _Verdict(Result.INVALID, _("This place was never paid for."), ticket)
    if order.payment_status == Order.PaymentStatus.AWAITING:
        if order.payment_method != Order.PaymentMethod.INVOICE:
            return _Verdict(Result.INVALID, _("This place was never paid for."), ticket)
        if ticket.event.entry_requires_payment:
            return _Verdict(
                Result.UNPAID,
                _("The invoice for this place (%(reference)s) is not paid yet.")
                % {"reference": order.reference},
                ticket,
            )
    if ticket.checked_in_at is not None:
        return _Verdict(Result.ALREADY_CHECKED_IN, _already_message(ticket), ticket)
    # Checked in by _record, with the log row: here only what the answer says.
    ticket.checked_in_at = now
    ticket.checked_in_by = user
    ticket.checked_in_door = door
    return _Verdict(
        Result.ADMITTED,
        _("Admit %(name)s.") % {"name": ticket.full_name},
        ticket,
        admits=True,
    )


def _revoked(*, code: str, event_id: int) -> _Verdict:
    """Explain an old code: the place was cancelled, or passed on (its new
    badge has a new code)."""
    revoked = (
        RevokedSecret.objects.select_related(
            "ticket__event", "ticket__ticket_type", "ticket__order"
        )
        .filter(secret=code)
        .first()
    )
    if revoked is None:
        return _Verdict(Result.INVALID, _("This badge is not known: it may be forged."))
    ticket = revoked.ticket
    if ticket.event_id != event_id:
        return _Verdict(
            Result.WRONG_EVENT,
            _("This badge is for another event: %(event)s.")
            % {"event": ticket.event.name},
        )
    if revoked.reason == RevokedSecret.Reason.CANCELLED:
        return _Verdict(Result.CANCELLED, _("This place was cancelled."), ticket)
    # Someone else holds the place now, with a new badge: not them.
    return _Verdict(
        Result.INVALID,
        _("This badge was replaced: the place was passed to someone else."),
    )


def _locked(queryset: QuerySet) -> Ticket | None:
    """Return the one matching ticket, its row locked until the transaction
    ends, with what judging it needs.

    Not `checked_in_by`: after waiting for the lock, PostgreSQL re-reads the
    ticket's row but keeps the joined rows it found before the wait, so a
    joined user would still be the "nobody" from before another door's
    admission. It is loaded from the fresh row when needed.
    """
    rows = list(
        queryset.select_for_update(of=("self",))
        .select_related("order", "event", "ticket_type")
        .only(*_JUDGED_FIELDS)[:1]
    )
    return rows[0] if rows else None


def _already_message(ticket: Ticket) -> str:
    values = {
        "time": time_format(timezone.localtime(ticket.checked_in_at), "H:i"),
        "who": who(ticket.checked_in_by),
        "door": ticket.checked_in_door,
    }
    if values["who"] and values["door"]:
        message = _("Already checked in at %(time)s by %(who)s at %(door)s.")
    elif values["who"]:
        message = _("Already checked in at %(time)s by %(who)s.")
    elif values["door"]:
        message = _("Already checked in at %(time)s at %(door)s.")
    else:
        message = _("Already checked in at %(time)s.")
    return message % values


def _answer(verdict: _Verdict, counts: Counts) -> ScanResult:
    ticket = verdict.ticket
    admitted = ticket is not None and verdict.result in (
        Result.ADMITTED,
        Result.ALREADY_CHECKED_IN,
    )
    return ScanResult(
        result=verdict.result,
        message=verdict.message,
        ticket=ticket,
        checked_in_at=ticket.checked_in_at if admitted else None,
        checked_in_by=who(ticket.checked_in_by) if admitted else None,
        door=ticket.checked_in_door if admitted else None,
        counts=counts,
    )


def _scan_with_nonce(*, user, nonce: str) -> Scan | None:
    return (
        Scan.objects.select_related(
            "user",
            "ticket__order",
            "ticket__event",
            "ticket__ticket_type",
            "ticket__checked_in_by",
        )
        .filter(user=user, nonce=nonce)
        .first()
    )


def _answer_again(first: Scan, *, event_id: int) -> ScanResult:
    """The answer a nonce got the first time."""
    ticket = first.ticket
    when = by = door = None
    if first.result == Result.ADMITTED:
        when, by, door = first.scanned_at, who(first.user), first.door
    elif first.result == Result.ALREADY_CHECKED_IN and ticket is not None:
        when, by = ticket.checked_in_at, who(ticket.checked_in_by)
        door = ticket.checked_in_door if when else None
    return ScanResult(
        result=first.result,
        message=first.message,
        ticket=ticket,
        checked_in_at=when,
        checked_in_by=by,
        door=door,
        counts=counts(event_id=event_id),
    )


@contextmanager
def _busy_as_error():
    """Turn a lock wait that ran out into BookingBusy (try again)."""
    try:
        yield
    except OperationalError as exc:
        if is_lock_timeout(exc):
            raise BookingBusy(
                _("The check-in system is busy. Scan the badge again.")
            ) from exc
        raise
