from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from psdm.ops.remembered import remembered

from .calendar import agenda_ics
from .extensions import event_context
from .selectors import (
    agenda_slots,
    event_agenda,
    event_get_published,
    event_list_past,
    event_list_upcoming,
    event_speakers,
    speaker_get,
)

# How many past events the home page shows before "all past events".
HOME_PAST_EVENTS = 3


@require_GET
def home(request):
    past = list(event_list_past()[: HOME_PAST_EVENTS + 1])
    context = {
        "events": event_list_upcoming(),
        "past_events": past[:HOME_PAST_EVENTS],
        "more_past_events": len(past) > HOME_PAST_EVENTS,
    }
    return render(request, "events/home.html", context)


@require_GET
def archive(request):
    return render(request, "events/archive.html", {"events": event_list_past()})


# How long a visitor's copy of an event page may be served to the next one.
EVENT_PAGE_CACHE_SECONDS = 10


@require_GET
def event_detail(request, slug):
    """The event page. The same for every visitor without messages waiting,
    so it is drawn once for them all: the copy is keyed by the pool's
    counter (a place taken or given back draws it again at once) and the
    event's last change, and kept EVENT_PAGE_CACHE_SECONDS (speakers,
    sponsors and places freed by time running out show within that)."""
    event = event_get_published(slug=slug)
    if len(messages.get_messages(request)):
        return _event_page(request, event)
    key = (
        f"event-page:{event.pk}:{event.places_taken}:{event.capacity}:"
        f"{event.updated_at.timestamp()}:{get_language()}"
    )
    html = remembered(
        key,
        EVENT_PAGE_CACHE_SECONDS,
        lambda: _event_page(request, event).content,
        what="event page",
    )
    return HttpResponse(html)


def _event_page(request, event):
    context = {
        "event": event,
        "speakers": event_speakers(event=event),
        "agenda": event_agenda(event=event),
        **event_context(event),
    }
    return render(request, "events/event_detail.html", context)


@require_GET
def speaker_list(request, slug):
    event = event_get_published(slug=slug)
    return render(
        request,
        "events/speaker_list.html",
        {"event": event, "speakers": event_speakers(event=event)},
    )


@require_GET
def speaker_detail(request, slug, speaker):
    event = event_get_published(slug=slug)
    return render(
        request,
        "events/speaker_detail.html",
        {"event": event, "speaker": speaker_get(event=event, slug=speaker)},
    )


@require_GET
def agenda(request, slug):
    event = event_get_published(slug=slug)
    return render(
        request,
        "events/agenda.html",
        {"event": event, "slots": agenda_slots(sessions=event_agenda(event=event))},
    )


@require_GET
def agenda_calendar(request, slug):
    """The agenda as an .ics feed people can subscribe to or import."""
    event = event_get_published(slug=slug)
    url = request.build_absolute_uri(reverse("events:agenda", args=[event.slug]))
    body = agenda_ics(event=event, sessions=event_agenda(event=event), url=url)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{event.slug}-agenda.ics"'
    return response
