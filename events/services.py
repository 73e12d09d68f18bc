"""Write operations on events. The pool's counter changes only here."""

from pathlib import PurePath

from django.db.models import F

from .images import square_rendition
from .models import Event, Speaker


def event_places_take(*, event_id: int, quantity: int) -> bool:
    """Take `quantity` places from the event's pool if that many are left.

    One conditional UPDATE: it locks the event row until the surrounding
    transaction ends, so bookings for one event queue here and the pool is
    never oversold. Return False (and change nothing) when too few are left.
    """
    if quantity < 1:
        raise ValueError("quantity must be at least 1")
    updated = Event.objects.filter(
        pk=event_id, places_taken__lte=F("capacity") - quantity
    ).update(places_taken=F("places_taken") + quantity)
    return updated == 1


def event_places_release(*, event_id: int, quantity: int) -> None:
    """Give `quantity` places back to the event's pool."""
    if quantity < 1:
        raise ValueError("quantity must be at least 1")
    Event.objects.filter(pk=event_id, places_taken__gte=quantity).update(
        places_taken=F("places_taken") - quantity
    )


def speaker_photo_update(*, speaker: Speaker) -> None:
    """Make the square web rendition of the speaker's photo (or drop it).

    The original stays as uploaded; the rendition is stored beside it under
    speakers/web/. Call after the photo has been saved.
    """
    old = speaker.photo_web.name if speaker.photo_web else ""
    if speaker.photo:
        stem = PurePath(speaker.photo.name).stem
        with speaker.photo.open("rb") as original:
            rendition = square_rendition(original)
        speaker.photo_web.save(f"{stem}.jpg", rendition, save=False)
    else:
        speaker.photo_web = ""
    Speaker.objects.filter(pk=speaker.pk).update(photo_web=speaker.photo_web.name)
    if old and old != speaker.photo_web.name:
        speaker.photo_web.storage.delete(old)
