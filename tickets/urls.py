from django.urls import path

from . import views

app_name = "tickets"

urlpatterns = [
    path(
        "events/<slug:slug>/availability.json",
        views.availability_json,
        name="availability",
    ),
    path("events/<slug:slug>/book/", views.choose_places, name="choose"),
    path("events/<slug:slug>/book/your-details/", views.buyer_details, name="buyer"),
    path(
        "events/<slug:slug>/book/attendee/<int:number>/",
        views.attendee_details,
        name="attendee",
    ),
    path("events/<slug:slug>/book/check/", views.check_answers, name="check"),
    path("bookings/<str:reference>/", views.confirmation, name="confirmation"),
]
