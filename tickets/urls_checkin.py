"""The door's check-in pages and API, under /checkin/ (see
tickets.views.checkin for the API's contract)."""

from django.urls import path

from .views import checkin

app_name = "checkin"

urlpatterns = [
    path("", checkin.index, name="index"),
    path("login/", checkin.login, name="login"),
    path("logout/", checkin.logout, name="logout"),
    path("api/scan", checkin.api_scan, name="api_scan"),
    path("api/admit", checkin.api_admit, name="api_admit"),
    path("api/undo", checkin.api_undo, name="api_undo"),
    path("api/search", checkin.api_search, name="api_search"),
    path("api/stats", checkin.api_stats, name="api_stats"),
    path("<slug:slug>/", checkin.event_page, name="event"),
]
