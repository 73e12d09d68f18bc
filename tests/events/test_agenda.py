"""The public agenda page and its .ics feed."""

from datetime import timedelta

import pytest
from icalendar import Calendar

from events.models import Session, Speaker
from tests.conftest import make_event


@pytest.fixture
def programme(event):
    andy = Speaker.objects.create(
        event=event, name="Andy Street", slug="andy-street", role="Mayor"
    )
    kevin = Speaker.objects.create(event=event, name="Kevin Cunnington", slug="kc")
    start = event.starts_at
    keynote = Session.objects.create(
        event=event,
        title="A digital West Midlands",
        description="The region's ambitions.",
        starts_at=start,
        ends_at=start + timedelta(minutes=40),
        room="Main hall",
    )
    keynote.speakers.add(andy, kevin)
    workshop_a = Session.objects.create(
        event=event,
        title="Workshop: sharing code",
        starts_at=start + timedelta(hours=1),
        ends_at=start + timedelta(hours=2),
        room="Room A",
    )
    workshop_b = Session.objects.create(
        event=event,
        title="Workshop: hiring",
        starts_at=start + timedelta(hours=1),
        ends_at=start + timedelta(hours=2),
        room="Room B",
    )
    return keynote, workshop_a, workshop_b


def test_agenda_page_groups_sessions_by_time_with_rooms_and_speakers(
    client, event, programme
):
    keynote, workshop_a, workshop_b = programme
    response = client.get(f"/events/{event.slug}/agenda/")
    assert response.status_code == 200
    page = response.content.decode()
    slots = response.context["slots"]
    assert [len(sessions) for _, sessions in slots] == [1, 2]
    assert page.index("A digital West Midlands") < page.index("Workshop: sharing")
    assert "Room B" in page and "Main hall" in page
    assert f'href="/events/{event.slug}/speakers/andy-street/"' in page
    assert f'href="/events/{event.slug}/agenda.ics"' in page


def test_event_page_links_to_the_agenda_and_its_feed(client, event, programme):
    page = client.get(event.get_absolute_url()).content.decode()
    assert f'href="/events/{event.slug}/agenda/"' in page
    assert f'href="/events/{event.slug}/agenda.ics"' in page


def test_agenda_feed_has_one_event_per_session(client, event, programme, settings):
    settings.PSDM_EMAIL_DOMAIN = "psdm.example"
    keynote, workshop_a, _ = programme
    response = client.get(f"/events/{event.slug}/agenda.ics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    entries = {str(entry["uid"]): entry for entry in calendar.walk("VEVENT")}
    assert len(entries) == 3
    entry = entries[f"session-{keynote.pk}@psdm.example"]
    assert str(entry["summary"]) == "A digital West Midlands"
    assert entry.decoded("dtstart") == keynote.starts_at.replace(microsecond=0)
    assert entry.decoded("dtend") == keynote.ends_at.replace(microsecond=0)
    assert str(entry["location"]) == "Main hall, Test venue, 1 High Street, Birmingham"
    assert "Speakers: Andy Street, Kevin Cunnington" in str(entry["description"])
    assert "Room A" in str(entries[f"session-{workshop_a.pk}@psdm.example"]["location"])


def test_agenda_feed_uids_stay_the_same_when_a_session_moves(client, event, programme):
    keynote = programme[0]
    before = Calendar.from_ical(client.get(f"/events/{event.slug}/agenda.ics").content)
    keynote.starts_at += timedelta(minutes=15)
    keynote.ends_at += timedelta(minutes=15)
    keynote.save()
    after = Calendar.from_ical(client.get(f"/events/{event.slug}/agenda.ics").content)
    assert {str(e["uid"]) for e in before.walk("VEVENT")} == {
        str(e["uid"]) for e in after.walk("VEVENT")
    }


def test_unpublished_events_have_no_agenda(client, db):
    draft = make_event(slug="draft", is_published=False)
    assert client.get(f"/events/{draft.slug}/agenda/").status_code == 404
    assert client.get(f"/events/{draft.slug}/agenda.ics").status_code == 404


def test_an_empty_agenda_says_it_is_coming(client, event):
    page = client.get(f"/events/{event.slug}/agenda/").content.decode()
    assert "The agenda will be published soon." in page
    calendar = Calendar.from_ical(
        client.get(f"/events/{event.slug}/agenda.ics").content
    )
    assert calendar.walk("VEVENT") == []
