from django.shortcuts import render
from django.views.decorators.http import require_GET

from .extensions import event_context
from .selectors import (
    event_agenda,
    event_get_published,
    event_list_upcoming,
    event_speakers,
    speaker_get,
)


@require_GET
def home(request):
    return render(request, "events/home.html", {"events": event_list_upcoming()})


@require_GET
def event_detail(request, slug):
    event = event_get_published(slug=slug)
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
