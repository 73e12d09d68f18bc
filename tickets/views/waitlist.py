"""The waiting list: join a sold-out event, and take up an offered place."""

from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from events.selectors import event_get_published

from ..booking import pending_offer_set
from ..forms import WaitlistJoinForm
from ..models import WaitlistEntry
from ..selectors import event_availability
from ..services.errors import BookingBusy
from ..services.waitlist import (
    AlreadyOnList,
    NotSoldOut,
    OfferNotAvailable,
    WaitlistError,
    entry_position,
    offer_check,
    offer_find,
    offer_hours,
    waitlist_join,
)

JOINED_SESSION_PREFIX = "waitlist:"


@never_cache
@require_http_methods(["GET", "POST"])
def waitlist_join_view(request, slug):
    event = event_get_published(slug=slug)
    context = {
        "event": event,
        "choose_url": reverse("tickets:choose", args=[event.slug]),
        "privacy_url": reverse("privacy"),
        "offer_hours": offer_hours(),
    }
    if not event.is_on_sale():
        return render(request, "tickets/waitlist_closed.html", context)
    if not event_availability(event=event).sold_out:
        return render(request, "tickets/waitlist_not_needed.html", context)
    form = WaitlistJoinForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            entry = waitlist_join(event_id=event.pk, **form.cleaned_data)
        except AlreadyOnList as exc:
            form.add_error("email", exc.message)
        except NotSoldOut:
            return render(request, "tickets/waitlist_not_needed.html", context)
        except (WaitlistError, BookingBusy) as exc:
            form.add_error(None, exc.message)
        else:
            request.session[f"{JOINED_SESSION_PREFIX}{event.pk}"] = entry.pk
            return redirect("tickets:waitlist_joined", slug=event.slug)
    # Errors come back with 200, like every step of the booking flow.
    return render(request, "tickets/waitlist_join.html", {**context, "form": form})


@never_cache
@require_GET
def waitlist_joined(request, slug):
    event = event_get_published(slug=slug)
    entry_id = request.session.get(f"{JOINED_SESSION_PREFIX}{event.pk}")
    entry = (
        WaitlistEntry.objects.filter(pk=entry_id, event=event).first()
        if isinstance(entry_id, int)
        else None
    )
    if entry is None:
        return redirect("tickets:waitlist_join", slug=event.slug)
    return render(
        request,
        "tickets/waitlist_joined.html",
        {"event": event, "entry": entry, "position": entry_position(entry=entry)},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def offer(request, token):
    """The link in the offer e-mail: what is offered, until when, and a
    button that starts booking the one place kept for this person."""
    found = offer_find(token=token)
    if found is None:
        raise Http404
    event = found.event
    error = None
    try:
        offer_check(token=token)
    except OfferNotAvailable as exc:
        error = exc.message
    if request.method == "POST" and error is None:
        # Its place is reserved at the first step, like any other.
        pending_offer_set(request.session, event.pk, found.token)
        return redirect("tickets:choose", slug=event.slug)
    return render(
        request,
        "tickets/waitlist_offer.html",
        {"event": event, "offer": found, "error": error},
        status=410 if error else 200,
    )
