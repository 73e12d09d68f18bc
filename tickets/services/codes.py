"""Codes: look one up for a buyer, price places with it, take and give back
its uses, and make the free-place codes of sponsors and speakers.

Lock order (see places.py): the event's row (the pool), orders, ticket
types in id order, then codes. A code's uses change only with a conditional
update under the pool's lock, in the transaction that books or releases the
places, so two buyers racing for its last use never both get it.
"""

import secrets
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from django.db import IntegrityError, transaction
from django.db.models import Count, F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from events.models import Event, Speaker
from sponsors.models import Sponsor

from ..models import BadgeRole, Code, Ticket, TicketType, code_normalise
from ..models.codes import CODE_MAX_LENGTH
from ..money import format_pence
from ..selectors import Availability, event_availability
from .errors import BookingError

# No 0/O, 1/I/L, 2/Z, 5/S, 8/B: easy to read out and type from a letter.
CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
GENERATED_LENGTH = 12  # 25**12: about 56 bits, unguessable at any rate


class CodeError(BookingError):
    """A code that cannot be used; the message says why."""


class CodeUsedUp(Exception):
    """Raised inside the booking transaction: too few uses left."""


@dataclass(frozen=True)
class PriceLine:
    """One ticket type's places in a booking, priced with or without a code."""

    ticket_type: TicketType
    quantity: int
    unit_pence: int
    discount_pence: int  # off each place
    with_code: bool

    @property
    def price_pence(self) -> int:
        return self.unit_pence - self.discount_pence

    @property
    def amount_pence(self) -> int:
        return self.price_pence * self.quantity


@dataclass(frozen=True)
class Quote:
    lines: list[PriceLine]
    code: Code | None = None

    @property
    def total_pence(self) -> int:
        return sum(line.amount_pence for line in self.lines)

    @property
    def discount_pence(self) -> int:
        return sum(line.discount_pence * line.quantity for line in self.lines)

    @property
    def places_with_code(self) -> int:
        return sum(line.quantity for line in self.lines if line.with_code)


# -- finding a code ------------------------------------------------------------


def code_find(*, event: Event, text: str, now=None) -> Code:
    """Return the event's code typed as `text`, or raise CodeError saying why
    it cannot be used now (unknown, not yet valid, expired, used up)."""
    now = now or timezone.now()
    normalised = code_normalise(text or "")
    if not normalised:
        raise CodeError(_("Enter a code"))
    code = None
    if len(normalised) <= CODE_MAX_LENGTH and "\x00" not in normalised:
        code = Code.objects.filter(event=event, code=normalised).first()
    if code is None or not code.is_active:
        raise CodeError(_("We do not recognise that code. Check it and enter it again"))
    if code.valid_from and now < code.valid_from:
        raise CodeError(
            _("That code cannot be used until %(when)s")
            % {"when": _when(code.valid_from)}
        )
    if code.valid_until and now >= code.valid_until:
        raise CodeError(
            _("That code expired on %(when)s") % {"when": _when(code.valid_until)}
        )
    if code.uses >= code.max_uses and _lapsed_uses_given_back(code, now):
        code.refresh_from_db(fields=["uses"])
    if code.uses >= code.max_uses:
        raise CodeError(_("That code has been used for all its places"))
    return code


def _lapsed_uses_given_back(code: Code, now) -> bool:
    """Give back the uses held by reservations of this code whose time ran
    out (they stopped counting then; the counter is tidied here, under the
    pool's lock). True if any were."""
    from .reservations import reservations_lapsed_with_code_release

    return reservations_lapsed_with_code_release(code=code, now=now)


def _when(moment) -> str:
    """Return "27 September 2026, 09:00" in local time."""
    local = timezone.localtime(moment)
    return f"{local.day} {local:%B %Y}, {local:%H:%M}"


def code_ticket_type_ids(*, code: Code) -> set[int] | None:
    """Return the ids of the ticket types the code names (None: every
    visible type of its event)."""
    named = set(code.ticket_types.values_list("pk", flat=True))
    return named or None


def code_applies_to(code: Code, ticket_type: TicketType, named: set | None) -> bool:
    if named is None:
        return ticket_type.is_visible
    return ticket_type.pk in named


def code_check_places(*, code: Code, quantities: Mapping[int, int]) -> None:
    """Raise CodeError unless the code can be used for the places chosen:
    it must apply to at least one of them, and have a use for each place of
    a type it applies to."""
    named = code_ticket_type_ids(code=code)
    types = TicketType.objects.filter(pk__in=list(quantities), event_id=code.event_id)
    count = sum(quantities[tt.pk] for tt in types if code_applies_to(code, tt, named))
    if not count:
        raise CodeError(
            _("The code %(code)s cannot be used for the places you chose")
            % {"code": code.code}
        )
    if count > code.uses_left:
        raise CodeError(_uses_left_message(code, count))


def _uses_left_message(code: Code, wanted: int) -> str:
    left = code.uses_left
    if left == 0:
        return _("That code has been used for all its places")
    return ngettext(
        "The code %(code)s can be used for %(count)d more place, but you "
        "chose %(wanted)d",
        "The code %(code)s can be used for %(count)d more places, but you "
        "chose %(wanted)d",
        left,
    ) % {"code": code.code, "count": left, "wanted": wanted}


# -- prices ---------------------------------------------------------------------


def booking_quote(
    *,
    ticket_types: Mapping[int, TicketType],
    quantities: Mapping[int, int],
    code: Code | None = None,
) -> Quote:
    """Price the places chosen: the code (if any) takes its discount off
    each place of a type it applies to. Prices come from our ticket types
    only, never from the browser."""
    named = code_ticket_type_ids(code=code) if code else None
    lines = []
    for pk in sorted(quantities):
        ticket_type = ticket_types.get(pk)
        if ticket_type is None or quantities[pk] <= 0:
            continue
        with_code = code is not None and code_applies_to(code, ticket_type, named)
        discount = code.discount_for(ticket_type.price_pence) if with_code else 0
        lines.append(
            PriceLine(
                ticket_type=ticket_type,
                quantity=quantities[pk],
                unit_pence=ticket_type.price_pence,
                discount_pence=discount,
                with_code=with_code,
            )
        )
    return Quote(lines=lines, code=code)


def code_availability(
    *, event: Event, availability: Availability, code: Code | None
) -> Availability:
    """Adjust the choose-places page's `availability` (the visible types) for
    the buyer's code: add the hidden types it names (bookable while the event
    is on sale), and let places it makes free be booked even when no way of
    paying is available."""
    if code is None:
        return availability
    named = code_ticket_type_ids(code=code)
    now = timezone.now()
    on_sale = event.is_on_sale(now)
    shown = {item.ticket_type.pk for item in availability.ticket_types}
    hidden = [
        replace(
            item,
            on_sale=on_sale and item.ticket_type.is_on_sale(now, unlocked=True),
        )
        for item in (
            event_availability(event=event, include_hidden=True).ticket_types
            if named
            else []
        )
        if item.ticket_type.pk in named and item.ticket_type.pk not in shown
    ]
    items = []
    for item in [*availability.ticket_types, *hidden]:
        ticket_type = item.ticket_type
        if (
            code_applies_to(code, ticket_type, named)
            and code.discount_for(ticket_type.price_pence) == ticket_type.price_pence
        ):
            item = replace(item, payable=True)
        items.append(item)
    items.sort(key=lambda item: (item.ticket_type.position, item.ticket_type.pk))
    return replace(availability, ticket_types=items)


def code_for_draft(*, event: Event, text: str) -> tuple[Code | None, str]:
    """Return the draft's code if it can still be used, else (None, why)."""
    if not text:
        return None, ""
    try:
        return code_find(event=event, text=text), ""
    except CodeError as exc:
        return None, exc.message


def code_describe(code: Code) -> str:
    """Return what the code does, for the buyer: "50% off", "£10 off each
    place", "free places"."""
    if code.discount_type == Code.DiscountType.PERCENT:
        if code.discount_percent >= 100:
            return _("free places")
        return _("%(percent)d%% off") % {"percent": code.discount_percent}
    if code.discount_type == Code.DiscountType.FIXED:
        return _("%(amount)s off each place") % {
            "amount": format_pence(code.discount_amount_pence, short=True)
        }
    return _("access to extra ticket types")


# -- taking and giving back uses (inside the caller's transaction) ----------


def code_uses_take(*, code_id: int, quantity: int, active_only: bool = True) -> None:
    """Take `quantity` uses of the code, or raise CodeUsedUp. Runs under the
    pool's lock, after the ticket types (the fixed lock order).

    `active_only=False` is for places paid for after their hold ran out: the
    buyer was promised the price, so only the use limit counts."""
    if quantity <= 0:
        return
    codes = Code.objects.filter(pk=code_id)
    if active_only:
        codes = codes.filter(is_active=True)
    updated = codes.filter(uses__lte=F("max_uses") - quantity).update(
        uses=F("uses") + quantity
    )
    if updated != 1:
        raise CodeUsedUp


def code_uses_release(*, uses: Mapping[int, int]) -> None:
    """Give back uses of codes (code id -> places no longer held), in id
    order. Never takes a counter below zero."""
    for code_id in sorted(uses):
        quantity = uses[code_id]
        if quantity > 0:
            Code.objects.filter(pk=code_id, uses__gte=quantity).update(
                uses=F("uses") - quantity
            )


def ticket_code_uses(tickets: Iterable) -> Counter:
    """Return code id -> how many of these tickets were booked with it."""
    return Counter(ticket.code_id for ticket in tickets if ticket.code_id)


def code_uses_left_message(*, code_id: int, wanted: int) -> str:
    """The buyer's message after a booking lost the race for a code's uses."""
    code = Code.objects.get(pk=code_id)
    if not code.is_active:
        return _("We do not recognise that code. Check it and enter it again")
    return _uses_left_message(code, wanted)


# -- free-place codes for sponsors and speakers --------------------------------


def code_generate_text() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _i in range(GENERATED_LENGTH))


@dataclass(frozen=True)
class CodeCreated:
    owner: str
    code: Code | None
    created: bool
    message: str


def _create_unique(**fields) -> Code:
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return Code.objects.create(code=code_generate_text(), **fields)
        except IntegrityError:
            continue
    raise CodeError(_("Could not make a unique code. Please try again."))


def _role_types(event_id: int, role: str) -> list[TicketType]:
    return list(
        TicketType.objects.filter(event_id=event_id, badge_role=role).order_by(
            "is_visible", "position", "pk"
        )
    )


def sponsor_code_create(*, sponsor: Sponsor) -> CodeCreated:
    """Give the sponsor a code for its tier's free places (100% off, for the
    event's Sponsor ticket types). A sponsor that has one keeps it; its
    places follow the tier's free places if those changed."""
    existing = (
        Code.objects.filter(sponsor=sponsor, kind=Code.Kind.SPONSOR)
        .order_by("pk")
        .first()
    )
    total = sponsor.tier.free_places
    if existing is not None:
        if existing.max_uses != total and total >= max(existing.uses, 1):
            Code.objects.filter(pk=existing.pk, uses__lte=total).update(max_uses=total)
            existing.refresh_from_db()
            return CodeCreated(
                sponsor.name,
                existing,
                False,
                _("%(owner)s's code %(code)s now covers %(count)d places.")
                % {"owner": sponsor.name, "code": existing.code, "count": total},
            )
        return _already_has(sponsor.name, existing)
    if total < 1:
        return CodeCreated(
            sponsor.name,
            None,
            False,
            _("%(owner)s's tier (%(tier)s) has no free places.")
            % {"owner": sponsor.name, "tier": sponsor.tier.name},
        )
    return _free_places_code(
        owner=sponsor,
        role=BadgeRole.SPONSOR,
        places=total,
        description=_("Free places for %(owner)s") % {"owner": sponsor.name},
        sponsor=sponsor,
    )


def speaker_code_create(*, speaker: Speaker, places: int = 1) -> CodeCreated:
    """Give the speaker a code for a free place (100% off, for the event's
    Speaker ticket types). A speaker who has one keeps it."""
    existing = (
        Code.objects.filter(speaker=speaker, kind=Code.Kind.SPEAKER)
        .order_by("pk")
        .first()
    )
    if existing is not None:
        return _already_has(speaker.name, existing)
    return _free_places_code(
        owner=speaker,
        role=BadgeRole.SPEAKER,
        places=places,
        description=_("Free place for %(owner)s") % {"owner": speaker.name},
        speaker=speaker,
    )


def _already_has(owner_name: str, code: Code) -> CodeCreated:
    return CodeCreated(
        owner_name,
        code,
        False,
        _("%(owner)s already has code %(code)s.")
        % {"owner": owner_name, "code": code.code},
    )


def _free_places_code(
    *, owner, role: str, places: int, description: str, **link
) -> CodeCreated:
    """A new 100%-off code for `places` places of the event's ticket types
    with this badge role, linked to its owner (sponsor= or speaker=)."""
    types = _role_types(owner.event_id, role)
    if not types:
        return CodeCreated(
            owner.name,
            None,
            False,
            _(
                "%(event)s has no ticket type with the %(role)s badge role: add "
                "one (hidden) first."
            )
            % {"event": owner.event, "role": BadgeRole(role).label},
        )
    code = _create_unique(
        event_id=owner.event_id,
        kind=Code.Kind(role),
        description=description,
        discount_type=Code.DiscountType.PERCENT,
        discount_percent=100,
        max_uses=places,
        **link,
    )
    code.ticket_types.set(types)
    if places == 1:
        message = _("%(owner)s: code %(code)s for a free place.")
    else:
        message = _("%(owner)s: code %(code)s for %(count)d free places.")
    return CodeCreated(
        owner.name,
        code,
        True,
        message % {"owner": owner.name, "code": code.code, "count": places},
    )


def sponsors_with_places_claimed(sponsors: QuerySet) -> QuerySet:
    """Annotate each sponsor with `places_claimed`: places booked with its
    codes and still held or confirmed."""
    claimed = (
        Ticket.objects.filter(code__sponsor=OuterRef("pk"))
        .exclude(status=Ticket.Status.CANCELLED)
        .order_by()
        .values("code__sponsor")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return sponsors.annotate(places_claimed=Coalesce(Subquery(claimed), 0))


def sponsor_places_claimed(*, sponsor_ids: Iterable[int]) -> dict[int, int]:
    """Return sponsor id -> places booked with its codes and still held or
    confirmed (the "n" of "n of N")."""
    rows = (
        Ticket.objects.filter(code__sponsor_id__in=list(sponsor_ids))
        .exclude(status=Ticket.Status.CANCELLED)
        .order_by()
        .values_list("code__sponsor_id")
        .annotate(count=Count("pk"))
    )
    return dict(rows)


__all__ = [
    "CodeCreated",
    "CodeError",
    "CodeUsedUp",
    "PriceLine",
    "Quote",
    "booking_quote",
    "code_availability",
    "code_check_places",
    "code_describe",
    "code_find",
    "code_for_draft",
    "code_uses_release",
    "code_uses_take",
    "speaker_code_create",
    "sponsor_code_create",
    "sponsor_places_claimed",
    "sponsors_with_places_claimed",
]
