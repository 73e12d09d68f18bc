"""Every model is in the organiser's admin with working lists and search."""

import pytest
from django.db import connection
from django.urls import reverse

from events.models import Session, Speaker
from sponsors.models import Sponsor, SponsorTier
from tests.conftest import book

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


def test_organiser_creates_an_event_and_a_ticket_type(organiser_client):
    from events.models import Event
    from tickets.models import TicketType

    response = organiser_client.post(
        reverse("admin:events_event_add"),
        {
            "name": "OneTeamGov Midlands",
            "slug": "otg",
            "summary": "An unconference.",
            "description": "",
            "aims": "",
            "starts_at_0": "2030-01-24",
            "starts_at_1": "09:30:00",
            "ends_at_0": "2030-01-24",
            "ends_at_1": "16:30:00",
            "venue_name": "The Council House",
            "venue_address": "Victoria Square, Birmingham",
            "capacity": "120",
            "few_places_threshold": "20",
            "is_published": "on",
            "vat_rate_percent": "20",
            "reminder_days_before": "3",
            "speakers-TOTAL_FORMS": "0",
            "speakers-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    event = Event.objects.get(slug="otg")
    response = organiser_client.post(
        reverse("admin:tickets_tickettype_add"),
        {
            "event": event.pk,
            "name": "Attendee",
            "price_pence": "0",
            "currency": "GBP",
            "max_per_order": "4",
            "position": "0",
            "is_visible": "on",
            "badge_role": "attendee",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert TicketType.objects.filter(event=event, name="Attendee").exists()


def test_capacity_below_places_taken_is_explained(organiser_client, event):
    """Cutting capacity below the places already booked gives a message."""
    form = event_form_data(event)
    form["capacity"] = "1"
    response = organiser_client.post(
        reverse("admin:events_event_change", args=[event.pk]), form
    )
    assert response.status_code == 200
    assert "Capacity cannot be less than the places already taken (2)" in (
        response.content.decode()
    )
    event.refresh_from_db()
    assert event.capacity == 250


def event_form_data(event) -> dict:
    """The event's change form as the organiser's browser would post it."""
    data = {
        "name": event.name,
        "slug": event.slug,
        "summary": event.summary,
        "description": event.description,
        "aims": event.aims,
        "venue_name": event.venue_name,
        "venue_address": event.venue_address,
        "capacity": str(event.capacity),
        "few_places_threshold": str(event.few_places_threshold),
        "is_published": "on",
        "vat_rate_percent": str(event.vat_rate_percent),
        "reminder_days_before": str(event.reminder_days_before),
        "speakers-TOTAL_FORMS": "0",
        "speakers-INITIAL_FORMS": "0",
    }
    if event.entry_requires_payment:
        data["entry_requires_payment"] = "on"
    for field in ("starts_at", "ends_at"):
        value = getattr(event, field)
        data[f"{field}_0"] = value.strftime("%Y-%m-%d")
        data[f"{field}_1"] = value.strftime("%H:%M:%S")
    return data


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="on SQLite the admin's write transaction makes bookings wait",
)
@pytest.mark.django_db(transaction=True)
def test_bookings_during_an_admin_save_are_kept(client, django_user_model, monkeypatch):
    """Places booked between the admin loading and saving an event are kept.

    A booking on another connection commits while the organiser's save is
    being validated; saving every field would write back the old count.
    """
    import threading

    from events.models import Event
    from tests.conftest import make_event, make_ticket_type
    from tickets.models import TicketType

    organiser = django_user_model.objects.create_superuser("o", "o@x.gov.uk", "pw")
    client.force_login(organiser)
    event = make_event(slug="stale")
    ticket_type = make_ticket_type(event)
    book(event, ticket_type, count=2)
    event.refresh_from_db()

    def book_elsewhere():
        try:
            book(event, ticket_type, count=3)
        finally:
            connection.close()

    def clean_while_someone_books(self):
        thread = threading.Thread(target=book_elsewhere)
        thread.start()
        thread.join()

    monkeypatch.setattr(Event, "clean", clean_while_someone_books)
    monkeypatch.setattr(TicketType, "clean", clean_while_someone_books)
    form = event_form_data(event)
    form["name"] = "Renamed"
    response = client.post(reverse("admin:events_event_change", args=[event.pk]), form)
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.name == "Renamed"
    assert event.places_taken == 5

    response = client.post(
        reverse("admin:tickets_tickettype_change", args=[ticket_type.pk]),
        {
            "event": event.pk,
            "name": "Renamed type",
            "price_pence": "0",
            "currency": "GBP",
            "max_per_order": "10",
            "position": "0",
            "is_visible": "on",
            "badge_role": "attendee",
        },
    )
    assert response.status_code == 302
    ticket_type.refresh_from_db()
    assert (ticket_type.name, ticket_type.places_taken) == ("Renamed type", 8)


def test_a_cap_below_places_taken_is_explained(organiser_client, event, free_type):
    response = organiser_client.post(
        reverse("admin:tickets_tickettype_change", args=[free_type.pk]),
        {
            "event": event.pk,
            "name": free_type.name,
            "price_pence": "0",
            "currency": "GBP",
            "quota": "1",
            "max_per_order": "10",
            "position": "0",
            "is_visible": "on",
            "badge_role": "attendee",
        },
    )
    assert response.status_code == 200
    assert "The cap cannot be less than the places already taken (2)" in (
        response.content.decode()
    )


def test_a_booking_racing_the_organiser_gives_a_message(
    organiser_client, event, monkeypatch
):
    """If the database refuses the save, the organiser is told, not shown a 500."""
    from events.models import Event

    monkeypatch.setattr(Event, "clean", lambda self: None)  # lose the race
    form = event_form_data(event)
    form["capacity"] = "1"
    response = organiser_client.post(
        reverse("admin:events_event_change", args=[event.pk]), form, follow=True
    )
    assert response.status_code == 200
    assert "That change was not saved" in response.content.decode()
    event.refresh_from_db()
    assert event.capacity == 250


def test_the_event_page_links_to_messaging_attendees_and_printing_badges(
    organiser_client, event
):
    page = organiser_client.get(
        reverse("admin:events_event_change", args=[event.pk])
    ).content.decode()
    message_url = f"{reverse('admin:tickets_broadcast_add')}?event={event.pk}"
    assert f'href="{message_url}"' in page
    assert (
        f'href="{reverse("admin:tickets_badgesheet_print")}?event={event.pk}"' in page
    )
    form = organiser_client.get(message_url).content.decode()
    assert f'<option value="{event.pk}" selected>' in form
