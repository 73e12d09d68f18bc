"""The organiser downloads sponsors and their benefits from the sponsor list."""

import csv
import io

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from sponsors.models import Sponsor, SponsorTier
from tests.conftest import make_event
from tests.tickets.test_codes import sponsor_places_book

EXPORT = reverse("admin:sponsors_sponsor_export")


@pytest.fixture
def sponsors(event):
    headline = SponsorTier.objects.create(
        name="Headline",
        rank=1,
        free_places=4,
        benefits="Logo on the home page\nFour free places",
    )
    gold = SponsorTier.objects.create(name="Gold", rank=2, free_places=2)
    Sponsor.objects.create(
        event=event,
        tier=gold,
        name='=HYPERLINK("http://evil.example")',
        contact_name="Zoë Ødegaard",
    )
    Sponsor.objects.create(
        event=event,
        tier=headline,
        name="Curium Solutions",
        website="https://curium.example/",
        contact_name="Priya Shah",
        contact_email="priya@curium.example",
        is_invoiced=True,
        is_paid=True,
    )
    curium = Sponsor.objects.get(name="Curium Solutions")
    sponsor_places_book(curium, 3)  # claimed: booked with its code
    other = make_event(slug="oneteamgov-midlands", name="OneTeamGov Midlands")
    Sponsor.objects.create(event=other, tier=gold, name="Other Event Co")


def rows(response) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline="")))


def test_the_export_lists_each_sponsors_benefits(admin_client, event, sponsors):
    response = admin_client.get(EXPORT, {"event__id__exact": event.pk})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f'filename="sponsors-{event.slug}-' in response["Content-Disposition"]
    assert b"\r\n" in response.content
    header, *body = rows(response)
    assert header[:3] == ["Event", "Tier", "Sponsor"]
    curium = dict(zip(header, body[0], strict=True))
    assert curium["Sponsor"] == "Curium Solutions"
    assert (curium["Invoiced"], curium["Paid"], curium["Logo received"]) == (
        "Yes",
        "Yes",
        "No",
    )
    assert (curium["Free places claimed"], curium["Free places included"]) == (
        "3",
        "4",
    )
    assert curium["Tier benefits"] == "Logo on the home page; Four free places"
    assert curium["Contact e-mail"] == "priya@curium.example"
    evil = dict(zip(header, body[1], strict=True))
    assert evil["Sponsor"].startswith("'=")  # shown as text, never run
    assert evil["Contact name"] == "Zoë Ødegaard"
    assert len(body) == 2  # the other event's sponsor is filtered out


def test_the_export_follows_the_lists_search(admin_client, sponsors):
    response = admin_client.get(EXPORT, {"q": "Other Event"})
    assert [row[2] for row in rows(response)[1:]] == ["Other Event Co"]
    assert 'filename="sponsors-oneteamgov-midlands-' in response["Content-Disposition"]
    everything = admin_client.get(EXPORT)
    assert 'filename="sponsors-20' in everything["Content-Disposition"]
    assert len(rows(everything)) == 4


def test_the_sponsor_list_links_to_the_export_with_its_filters(
    admin_client, event, sponsors
):
    page = admin_client.get(
        reverse("admin:sponsors_sponsor_changelist"), {"is_paid__exact": "1"}
    )
    assert f'href="{EXPORT}?is_paid__exact=1"' in page.content.decode()


def test_staff_who_may_view_sponsors_can_export(client, django_user_model, sponsors):
    user = django_user_model.objects.create_user("helper", password="pw", is_staff=True)
    client.force_login(user)
    assert client.get(EXPORT).status_code == 403
    user.user_permissions.add(Permission.objects.get(codename="view_sponsor"))
    assert client.get(EXPORT).status_code == 200


def test_people_who_are_not_staff_are_sent_to_log_in(client, sponsors):
    response = client.get(EXPORT)
    assert response.status_code == 302
    assert "/login/" in response["Location"]
