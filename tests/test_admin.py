"""Every model is in the organiser's admin with working lists and search."""

import pytest
from django.urls import reverse

from events.models import Session, Speaker
from sponsors.models import Sponsor, SponsorTier
from tests.tickets.test_order_create import book

MODELS = [
    ("events", "event"),
    ("events", "speaker"),
    ("events", "session"),
    ("tickets", "tickettype"),
    ("tickets", "order"),
    ("tickets", "ticket"),
    ("sponsors", "sponsortier"),
    ("sponsors", "sponsor"),
]


@pytest.fixture
def organiser_client(client, django_user_model, event, free_type):
    organiser = django_user_model.objects.create_superuser(
        "organiser", "organiser@example.gov.uk", "pw"
    )
    client.force_login(organiser)
    order = book(event, free_type, count=2)
    speaker = Speaker.objects.create(event=event, name="Andy Street", slug="andy")
    session = Session.objects.create(
        event=event, title="Keynote", starts_at=event.starts_at, ends_at=event.ends_at
    )
    session.speakers.add(speaker)
    tier = SponsorTier.objects.create(name="Headline", rank=1)
    Sponsor.objects.create(event=event, tier=tier, name="Curium Solutions")
    client.order = order
    return client


@pytest.mark.parametrize("app, model", MODELS)
def test_changelists_search_and_change_pages(organiser_client, app, model):
    changelist = reverse(f"admin:{app}_{model}_changelist")
    assert organiser_client.get(changelist).status_code == 200
    assert organiser_client.get(changelist, {"q": "a"}).status_code == 200


def test_order_page_shows_its_tickets(organiser_client):
    order = organiser_client.order
    page = organiser_client.get(reverse("admin:tickets_order_change", args=[order.pk]))
    assert page.status_code == 200
    assert b"Ada0" in page.content and order.reference.encode() in page.content


def test_event_list_shows_places_left(organiser_client, event):
    page = organiser_client.get(reverse("admin:events_event_changelist")).content
    assert b"248" in page


def test_orders_cannot_be_added_by_hand(organiser_client):
    """Places are only taken through the booking service."""
    assert organiser_client.get(reverse("admin:tickets_order_add")).status_code == 403


def test_door_staff_cannot_see_admin(client, django_user_model):
    door = django_user_model.objects.create_user("door", password="pw")
    client.force_login(door)
    assert client.get(reverse("admin:index")).status_code == 302
