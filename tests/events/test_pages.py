"""Public pages: home, event, speakers, sponsors, statements."""

from datetime import timedelta

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from events.models import Session, Speaker
from sponsors.models import Sponsor, SponsorTier
from tests.conftest import book, make_event, make_ticket_type


def test_home_lists_upcoming_published_events(client, db):
    make_event(slug="soon", name="Soon")
    make_event(
        slug="past",
        name="Long ago",
        starts_at=timezone.now() - timedelta(days=9),
        ends_at=timezone.now() - timedelta(days=8),
    )
    make_event(slug="draft", name="Draft", is_published=False)
    page = client.get("/").content.decode()
    upcoming, past = page.split("Past events")
    assert "Soon" in upcoming and "Long ago" not in upcoming
    assert "Long ago" in past
    assert "Draft" not in page


def test_event_page_says_plainly_how_many_places_are_left(client, event, free_type):
    event.capacity = 30
    event.save()
    assert (
        "30 of 30 places left" in client.get(event.get_absolute_url()).content.decode()
    )
    book(event, free_type, count=10)
    book(event, free_type, count=5)
    page = client.get(event.get_absolute_url()).content.decode()
    assert "Only 15 places left" in page
    assert "Book your place" in page


def test_event_page_when_booking_has_not_opened(client, event, free_type):
    event.sales_open_at = timezone.now() + timedelta(days=3)
    event.save()
    page = client.get(event.get_absolute_url()).content.decode()
    assert "Booking opens on" in page and "Book your place" not in page


def add_programme(event, n: int) -> None:
    tier, _ = SponsorTier.objects.get_or_create(name="Gold", defaults={"rank": 2})
    for i in range(n):
        speaker = Speaker.objects.create(event=event, name=f"Speaker {i}", slug=f"s{i}")
        session = Session.objects.create(
            event=event,
            title=f"Talk {i}",
            starts_at=event.starts_at + timedelta(minutes=30 * i),
            ends_at=event.starts_at + timedelta(minutes=30 * i + 25),
        )
        session.speakers.add(speaker)
        Sponsor.objects.create(event=event, tier=tier, name=f"Sponsor {i}")
        make_ticket_type(event, name=f"Type {i}", position=i)


def count_queries(client, path, *, cached=False) -> int:
    """Queries of one visit; with cached=False, as the first visitor's."""
    if not cached:
        cache.clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def test_event_page_queries_do_not_grow_with_content(client, db):
    """The event page runs the same number of queries for 1 or 20 of each."""
    small, large = make_event(slug="small"), make_event(slug="large")
    add_programme(small, 1)
    add_programme(large, 20)
    page = client.get(large.get_absolute_url()).content.decode()
    assert "Speaker 19" in page and "Talk 19" in page and "Sponsor 19" in page
    assert count_queries(client, small.get_absolute_url()) == count_queries(
        client, large.get_absolute_url()
    )
    assert count_queries(client, large.get_absolute_url()) <= 8
    # The places left come from the cache for the next visitor.
    assert count_queries(client, large.get_absolute_url(), cached=True) < (
        count_queries(client, large.get_absolute_url())
    )


def test_speaker_pages(client, event):
    speaker = Speaker.objects.create(
        event=event, name="Andy Street", slug="andy-street", role="Mayor"
    )
    assert (
        "Andy Street" in client.get(f"/events/{event.slug}/speakers/").content.decode()
    )
    page = client.get(speaker.get_absolute_url()).content.decode()
    assert "Mayor" in page
    assert client.get(f"/events/{event.slug}/speakers/nobody/").status_code == 404


def test_sponsors_page_groups_sponsors_by_tier(client, event):
    gold = SponsorTier.objects.create(name="Gold", rank=2)
    headline = SponsorTier.objects.create(name="Headline", rank=1)
    Sponsor.objects.create(event=event, tier=gold, name="Brindley")
    Sponsor.objects.create(event=event, tier=headline, name="Curium Solutions")
    Sponsor.objects.create(event=event, tier=gold, name="Hidden Co", is_visible=False)
    page = client.get(f"/events/{event.slug}/sponsors/").content.decode()
    assert page.index("Headline") < page.index("Curium Solutions") < page.index("Gold")
    assert page.index("Gold") < page.index("Brindley")
    assert "Hidden Co" not in page


@pytest.mark.parametrize("path", ["/accessibility/", "/privacy/"])
def test_statements(client, db, path):
    response = client.get(path)
    assert response.status_code == 200
    assert b"events@psdm.localhost" in response.content


def test_unknown_pages_are_not_found(client, db):
    assert client.get("/events/nope/").status_code == 404


def test_home_lists_upcoming_events_soonest_first_and_past_ones_apart(client, db):
    now = timezone.now()
    make_event(
        slug="later",
        name="OneTeamGov Midlands",
        starts_at=now + timedelta(days=90),
        ends_at=now + timedelta(days=90, hours=7),
    )
    make_event(
        slug="sooner",
        name="Launch event",
        starts_at=now + timedelta(days=5),
        ends_at=now + timedelta(days=5, hours=8),
    )
    for days in (400, 300, 200, 100):
        make_event(
            slug=f"past-{days}",
            name=f"Past {days}",
            starts_at=now - timedelta(days=days),
            ends_at=now - timedelta(days=days) + timedelta(hours=8),
        )
    make_event(
        slug="draft-past",
        name="Draft past",
        is_published=False,
        starts_at=now - timedelta(days=50),
        ends_at=now - timedelta(days=49),
    )
    page = client.get("/").content.decode()
    upcoming, past = page.split("Past events")
    assert upcoming.index("Launch event") < upcoming.index("OneTeamGov Midlands")
    assert "Past" not in upcoming.replace("Past events", "")
    assert past.index("Past 100") < past.index("Past 200") < past.index("Past 300")
    assert "Past 400" not in past and 'href="/events/archive/"' in past
    assert "Draft" not in page

    archive = client.get("/events/archive/").content.decode()
    assert [archive.index(f"Past {d}") for d in (100, 200, 300, 400)] == sorted(
        archive.index(f"Past {d}") for d in (100, 200, 300, 400)
    )
    assert "Launch event" not in archive and "Draft" not in archive


def test_home_without_past_events_has_no_archive_section(client, event):
    page = client.get("/").content.decode()
    assert "Past events" not in page


def test_a_past_event_page_says_it_took_place(client, db):
    now = timezone.now()
    past = make_event(
        slug="gone",
        starts_at=now - timedelta(days=3),
        ends_at=now - timedelta(days=3) + timedelta(hours=8),
    )
    page = client.get(past.get_absolute_url()).content.decode()
    assert "This event took place on" in page and "Book your place" not in page


def test_the_event_page_is_drawn_once_for_everyone_until_places_change(client, event):
    """A booking shows at once; between bookings the copy is served."""

    ticket_type = make_ticket_type(event)
    first = client.get(event.get_absolute_url()).content.decode()
    assert "250 of 250 places left" in first
    assert count_queries(client, event.get_absolute_url(), cached=True) == 1
    book(event, ticket_type, count=3)
    assert (
        "247 of 250 places left"
        in client.get(event.get_absolute_url()).content.decode()
    )


def test_a_visitor_with_a_message_gets_their_own_page(client, event):

    client.get(event.get_absolute_url())  # the copy for everyone
    storage = CookieStorage(type("Request", (), {"COOKIES": {}})())
    storage.add(constants.SUCCESS, "We have released your places.")
    client.cookies["messages"] = storage._encode(list(storage._queued_messages))
    page = client.get(event.get_absolute_url()).content.decode()
    assert "We have released your places." in page
    # ...and the next visitor still gets the copy without it.
    assert (
        "We have released your places."
        not in Client().get(event.get_absolute_url()).content.decode()
    )
