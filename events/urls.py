from django.urls import path

from . import views

app_name = "events"

urlpatterns = [
    path("", views.home, name="home"),
    # Before the event pages, whose slug would otherwise take "archive".
    path("events/archive/", views.archive, name="archive"),
    path("events/<slug:slug>/", views.event_detail, name="detail"),
    path("events/<slug:slug>/agenda/", views.agenda, name="agenda"),
    path("events/<slug:slug>/agenda.ics", views.agenda_calendar, name="agenda_ics"),
    path("events/<slug:slug>/speakers/", views.speaker_list, name="speakers"),
    path(
        "events/<slug:slug>/speakers/<slug:speaker>/",
        views.speaker_detail,
        name="speaker",
    ),
]
