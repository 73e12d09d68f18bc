"""The waiting list: join it when an event is sold out; each place that comes
free is offered to the next person in the order they joined.

An offer holds one place in the event's pool counter (`Event.places_taken`)
for `PSDM_WAITLIST_OFFER_HOURS`, so offers never push held, confirmed and
offered places beyond capacity. Booking with the offer's link gives that
place to the booking in the same transaction; an offer not taken in time
gives it back and it is offered to the next person.

Every writer here locks the pool (the event's row) first, then waiting-list
rows, the same order as tickets.services.places, and runs inside the
caller's transaction (a savepoint when there is one).
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from events.models import Event
from events.services import event_places_release, event_places_take

from ..models import Email, Order, WaitlistEntry, WaitlistOffer
from .errors import BookingBusy, BookingError
from .outbox import email_queue
from .places import is_lock_timeout, lock_timeout_set, pool_lock

Entry = WaitlistEntry
Offer = WaitlistOffer


class WaitlistError(BookingError):
    """Something the waiting list cannot do; the message says why."""


class NotSoldOut(WaitlistError):
    """There are places to book, so there is no need to wait."""


class AlreadyOnList(WaitlistError):
    pass


class NoFreePlace(WaitlistError):
    pass


class OfferNotAvailable(WaitlistError):
    """The offer link is unknown, used, expired or withdrawn."""


def offer_hours() -> int:
    return max(int(settings.PSDM_WAITLIST_OFFER_HOURS), 1)


# Joining


def waitlist_join(
    *, event_id: int, name: str, email: str, organisation: str
) -> WaitlistEntry:
    """Put someone on the event's waiting list, or raise a WaitlistError.

    Only while the event is on sale and sold out. If a place happens to be
    free when they join (nobody was waiting for it), it is offered at once.
    """
    from ..selectors import event_availability

    name, email, organisation = name.strip(), email.strip(), organisation.strip()
    event = Event.objects.filter(pk=event_id).first()
    if event is None or not event.is_on_sale():
        raise WaitlistError(_("Booking is closed for this event."))
    entry = Entry(event=event, name=name, email=email, organisation=organisation)
    try:
        entry.full_clean(exclude=["event"], validate_constraints=False)
    except ValidationError as exc:
        raise WaitlistError(" ".join(exc.messages)) from exc
    if not event_availability(event=event).sold_out:
        raise NotSoldOut(_("There are still places left, so you can book one now."))
    try:
        with transaction.atomic():
            lock_timeout_set()
            pool_lock(event_id)
            if _live_entry_exists(event_id, email):
                raise AlreadyOnList(_already_message())
            with transaction.atomic():
                entry.save(force_insert=True)
            offers_make(event_id=event_id)
    except IntegrityError:
        raise AlreadyOnList(_already_message()) from None
    except OperationalError as exc:
        if is_lock_timeout(exc):
            raise BookingBusy(
                _("Lots of people are booking right now. Please try again.")
            ) from exc
        raise
    entry.refresh_from_db()
    return entry


def _live_entry_exists(event_id: int, email: str) -> bool:
    return Entry.objects.filter(
        event_id=event_id, email__iexact=email, status__in=Entry.LIVE
    ).exists()


def _already_message() -> str:
    return _(
        "This email address is already on the waiting list for this event. "
        "We will email you if a place comes free."
    )


def entry_position(*, entry: WaitlistEntry) -> int | None:
    """Return the entry's place in the queue (1 is next), or None if it is
    no longer waiting."""
    if entry.status != Entry.Status.WAITING:
        return None
    ahead = Entry.objects.filter(
        event_id=entry.event_id, status=Entry.Status.WAITING
    ).filter(
        Q(joined_at__lt=entry.joined_at) | Q(joined_at=entry.joined_at, pk__lt=entry.pk)
    )
    return ahead.count() + 1


# Offering places


def offers_make(*, event_id: int, now=None) -> int:
    """Offer each free place in the pool to the next person waiting, in the
    order they joined; return how many offers were made.

    Locks the pool first. Called in the same transaction wherever places
    are given back, when capacity grows, and by Celery beat as a safety net.
    Offers are made only while the event is on sale.
    """
    now = now or timezone.now()
    with transaction.atomic():
        event = pool_lock(event_id)
        free = event.capacity - event.places_taken
        if free <= 0 or not event.is_on_sale(now):
            return 0
        waiting = list(
            Entry.objects.select_for_update()
            .filter(event_id=event_id, status=Entry.Status.WAITING)
            .order_by("joined_at", "id")[:free]
        )
        made = 0
        for entry in waiting:
            if not event_places_take(event_id=event_id, quantity=1):
                break
            _offer_create(entry=entry, event=event, now=now)
            made += 1
        return made


def offer_send_now(*, entry_id: int, user=None, now=None) -> WaitlistOffer:
    """The organiser offers a free place to this person now, whatever their
    place in the queue. It never goes beyond capacity: with no free place
    it raises NoFreePlace and changes nothing."""
    now = now or timezone.now()
    event_id = (
        Entry.objects.filter(pk=entry_id).values_list("event_id", flat=True).first()
    )
    if event_id is None:
        raise WaitlistError(_("That person is no longer on the waiting list."))
    with transaction.atomic():
        lock_timeout_set()
        event = pool_lock(event_id)
        entry = Entry.objects.select_for_update().get(pk=entry_id)
        if entry.status != Entry.Status.WAITING:
            raise WaitlistError(
                _("%(name)s is not waiting (%(status)s), so no offer was sent.")
                % {"name": entry.name, "status": entry.get_status_display().lower()}
            )
        if not event.is_on_sale(now):
            raise WaitlistError(
                _("Booking is closed for %(event)s, so no offer was sent.")
                % {"event": event.name}
            )
        if not event_places_take(event_id=event_id, quantity=1):
            raise NoFreePlace(
                _(
                    "There is no free place to offer to %(name)s: every place "
                    "is booked, held for payment or already offered. Raise the "
                    "event's capacity or wait for a cancellation; the next "
                    "free place goes to the waiting list by itself."
                )
                % {"name": entry.name}
            )
        return _offer_create(entry=entry, event=event, now=now, user=user)


def _offer_create(*, entry: WaitlistEntry, event: Event, now, user=None):
    """Make the offer for a place already taken from the pool, and e-mail it."""
    expires_at = now + timedelta(hours=offer_hours())
    closes = event.sales_close_at or event.ends_at
    offer = Offer.objects.create(
        entry=entry,
        event=event,
        created_at=now,
        expires_at=min(expires_at, closes),
        sent_by=user,
    )
    entry.status = Entry.Status.OFFERED
    entry.save(update_fields=["status", "updated_at"])
    email_queue(
        kind=Email.Kind.WAITLIST_OFFER,
        key=f"waitlist_offer:{offer.pk}",
        to_email=entry.email,
        to_name=entry.name,
        waitlist_offer=offer,
    )
    return offer


# Offers ending


def _offer_end(*, offer: WaitlistOffer, status: str, now) -> None:
    """End a live offer (locked, with the pool locked) and give its place
    back to the pool's counter."""
    offer.status = status
    offer.ended_at = now
    offer.save(update_fields=["status", "ended_at"])
    event_places_release(event_id=offer.event_id, quantity=1)


def offers_release_expired(*, event_id: int, now=None) -> int:
    """End this event's offers whose time has run out, tell each person, and
    pass the places on to the next people waiting. Runs in the caller's
    transaction and locks the pool first; return how many offers expired.
    Harmless to run again: an offer ends once."""
    now = now or timezone.now()
    with transaction.atomic():
        pool_lock(event_id)
        due = list(
            Offer.objects.select_for_update()
            .select_related("entry")
            .filter(event_id=event_id, status=Offer.Status.OFFERED, expires_at__lte=now)
            .order_by("id")
        )
        for offer in due:
            _offer_end(offer=offer, status=Offer.Status.EXPIRED, now=now)
            entry = offer.entry
            if entry.status == Entry.Status.OFFERED:
                entry.status = Entry.Status.EXPIRED
                entry.save(update_fields=["status", "updated_at"])
            email_queue(
                kind=Email.Kind.WAITLIST_EXPIRED,
                key=f"waitlist_expired:{offer.pk}",
                to_email=entry.email,
                to_name=entry.name,
                waitlist_offer=offer,
            )
        if due:
            offers_make(event_id=event_id, now=now)
        return len(due)


def offers_expire(*, now=None) -> int:
    """End every offer whose time has run out, on every event, one event
    per transaction; return how many expired. Run by Celery beat."""
    now = now or timezone.now()
    event_ids = (
        Offer.objects.filter(status=Offer.Status.OFFERED, expires_at__lte=now)
        .values_list("event_id", flat=True)
        .distinct()
    )
    expired = 0
    for event_id in list(event_ids):
        with transaction.atomic():
            lock_timeout_set()
            expired += offers_release_expired(event_id=event_id, now=now)
    return expired


def waitlist_sweep(*, now=None) -> int:
    """Celery beat's safety net: end expired offers, then offer any free
    place to the people waiting (say a change of capacity was saved another
    way). Return how many offers were made or ended."""
    now = now or timezone.now()
    changed = offers_expire(now=now)
    event_ids = (
        Entry.objects.filter(status=Entry.Status.WAITING)
        .values_list("event_id", flat=True)
        .distinct()
    )
    for event_id in list(event_ids):
        with transaction.atomic():
            lock_timeout_set()
            changed += offers_make(event_id=event_id, now=now)
    return changed


def entry_remove(*, entry_id: int, now=None) -> bool:
    """Take someone off the waiting list (the organiser's action). A live
    offer is withdrawn and its place goes to the next person. Return False
    if they were no longer on the list."""
    now = now or timezone.now()
    event_id = (
        Entry.objects.filter(pk=entry_id).values_list("event_id", flat=True).first()
    )
    if event_id is None:
        return False
    with transaction.atomic():
        lock_timeout_set()
        pool_lock(event_id)
        entry = Entry.objects.select_for_update().get(pk=entry_id)
        if entry.status not in Entry.LIVE:
            return False
        live = list(
            Offer.objects.select_for_update().filter(
                entry=entry, status=Offer.Status.OFFERED
            )
        )
        for offer in live:
            _offer_end(offer=offer, status=Offer.Status.WITHDRAWN, now=now)
        entry.status = Entry.Status.REMOVED
        entry.save(update_fields=["status", "updated_at"])
        if live:
            offers_make(event_id=event_id, now=now)
        return True


# Booking with an offer


def offer_check(*, token: str, now=None) -> WaitlistOffer:
    """Return the live offer with this link's token, or raise
    OfferNotAvailable with a message saying why not."""
    now = now or timezone.now()
    offer = offer_find(token=token)
    if offer is None:
        raise OfferNotAvailable(
            _(
                "This link to a waiting list offer is not right. Check the "
                "link in your email."
            )
        )
    if offer.status == Offer.Status.USED:
        raise OfferNotAvailable(_("This offer has already been used to book a place."))
    if offer.status == Offer.Status.WITHDRAWN:
        raise OfferNotAvailable(_("This offer was withdrawn by the organiser."))
    if offer.status == Offer.Status.EXPIRED or now >= offer.expires_at:
        raise OfferNotAvailable(
            _(
                "This offer has expired, so the place has been offered to the "
                "next person on the waiting list."
            )
        )
    return offer


def offer_find(*, token: str) -> WaitlistOffer | None:
    if not isinstance(token, str) or not 0 < len(token) <= 64 or "\x00" in token:
        return None
    return (
        Offer.objects.select_related("entry", "event", "order")
        .filter(token=token)
        .first()
    )


def offer_reserved_places(*, token: str, event_id: int) -> int:
    """How many places a live offer with this token holds for its holder at
    this event: 1, or 0 when there is no such offer."""
    if not token:
        return 0
    try:
        offer = offer_check(token=token)
    except OfferNotAvailable:
        return 0
    return 1 if offer.event_id == event_id else 0


def offer_redeem(
    *, token: str, event_id: int, quantity: int, order: Order | None = None, now=None
) -> WaitlistOffer:
    """Inside the booking's transaction: use the offer for this booking (an
    order, or a reservation that becomes one) and give its place back to the
    pool's counter, so the booking's own places_take takes it straight away.
    The pool stays locked from here to the commit, so nobody else can take
    the place in between.

    Raises OfferNotAvailable (the booking rolls back) for an offer that is
    not live, belongs to another event, or for more than one place.
    """
    now = now or timezone.now()
    if quantity != 1:
        raise OfferNotAvailable(
            _("A waiting list offer is for one place. Choose one place.")
        )
    pool_lock(event_id)
    offer = (
        Offer.objects.select_for_update().filter(token=token, event_id=event_id).first()
    )
    if offer is None:
        raise OfferNotAvailable(_("This waiting list offer is not for this event."))
    if offer.status != Offer.Status.OFFERED or now >= offer.expires_at:
        # Worded from a fresh read, so the message says what happened.
        offer_check(token=token, now=now)
        raise OfferNotAvailable(_("This offer can no longer be used."))
    if order is not None:
        offer.order = order
        offer.save(update_fields=["order"])
    _offer_end(offer=offer, status=Offer.Status.USED, now=now)
    Entry.objects.filter(pk=offer.entry_id).update(
        status=Entry.Status.BOOKED, updated_at=now
    )
    return offer


def offer_url(offer: WaitlistOffer) -> str:
    return reverse("tickets:offer", kwargs={"token": offer.token})
