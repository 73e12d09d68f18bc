from django.urls import path

from . import views

app_name = "sponsors"

urlpatterns = [
    path("events/<slug:slug>/sponsors/", views.sponsor_list, name="list"),
    path("sponsors/tiers.css", views.tiers_css, name="tiers_css"),
]
