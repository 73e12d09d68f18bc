"""The organiser orders speakers within a session; the agenda page, the
event page, the admin and the .ics feed show them in that order."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from icalendar import Calendar

from events.models import Session, SessionSpeaker, Speaker

from .test_speakers import session_form


@pytest.fixture
def panel(event):
    """A panel whose speakers' own order (position, name) is A, B, C."""
    speakers = [
        Speaker.objects.create(event=event, name=name, slug=name.split()[0].lower())
        for name in ["Aisha Khan", "Ben Okafor", "Chloe Price"]
    ]
    start = event.starts_at
    session = Session.objects.create(
        event=event,
        title="Panel: shared services",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        room="Main hall",
    )
    return session, speakers


def speak_in_order(session, speakers, order):
    for number, index in enumerate(order, start=1):
        SessionSpeaker.objects.update_or_create(
            session=session, speaker=speakers[index], defaults={"position": number}
        )


def test_agenda_page_lists_speakers_in_the_organisers_order(client, event, panel):
    session, speakers = panel
    speak_in_order(session, speakers, [2, 0, 1])
    page = client.get(f"/events/{event.slug}/agenda/").content.decode()
    assert page.index("Chloe Price") < page.index("Aisha Khan") < page.index("Ben")
    event_page = client.get(event.get_absolute_url()).content.decode()
    agenda = event_page[event_page.index("Panel: shared services") :]
    assert agenda.index("Chloe Price") < agenda.index("Aisha Khan")
    assert agenda.index("Aisha Khan") < agenda.index("Ben Okafor")


def test_agenda_feed_lists_speakers_in_the_organisers_order(client, event, panel):
    session, speakers = panel
    speak_in_order(session, speakers, [1, 2, 0])
    response = client.get(f"/events/{event.slug}/agenda.ics")
    (entry,) = Calendar.from_ical(response.content).walk("VEVENT")
    assert "Speakers: Ben Okafor, Chloe Price, Aisha Khan" in str(entry["description"])


def test_speakers_without_an_order_keep_their_own(client, event, panel):
    """Speakers added without a number (0) fall back to the speaker order."""
    session, speakers = panel
    session.speakers.add(*reversed(speakers))
    page = client.get(f"/events/{event.slug}/agenda/").content.decode()
    assert page.index("Aisha Khan") < page.index("Ben Okafor") < page.index("Chloe")


def test_the_organiser_orders_speakers_inline(admin_client, event, panel):
    session, speakers = panel
    aisha, ben, chloe = speakers
    add = reverse("admin:events_session_add")
    form = session_form(event, [aisha, ben, chloe], title="Ordered panel")
    form.update(
        {
            "speaker_links-0-position": 3,
            "speaker_links-1-position": 1,
            "speaker_links-2-position": 2,
        }
    )
    response = admin_client.post(add, form)
    assert response.status_code == 302, response.context["errors"]
    added = Session.objects.get(title="Ordered panel")
    links = SessionSpeaker.objects.filter(session=added)
    assert [(link.speaker, link.position) for link in links] == [
        (ben, 1),
        (chloe, 2),
        (aisha, 3),
    ]
    change = admin_client.get(reverse("admin:events_session_change", args=[added.pk]))
    html = change.content.decode()
    assert 'name="speaker_links-0-position"' in html
    assert [
        link.speaker
        for link in change.context["inline_admin_formsets"][0].formset.queryset
    ] == [ben, chloe, aisha]
    listing = admin_client.get(reverse("admin:events_session_changelist"))
    assert "Ben Okafor, Chloe Price, Aisha Khan" in listing.content.decode()


def test_a_speaker_is_on_a_session_only_once(admin_client, event, panel):
    _, speakers = panel
    aisha = speakers[0]
    response = admin_client.post(
        reverse("admin:events_session_add"), session_form(event, [aisha, aisha])
    )
    assert response.status_code == 200
    assert not Session.objects.filter(title="A digital West Midlands").exists()


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_every_link_numbered_in_the_old_order():
    """0006 copies the plain many-to-many links into SessionSpeaker, numbered
    in the order the site showed them before (speaker position, then name)."""
    before = [("events", "0005_speaker_photo_web")]
    after = [("events", "0006_session_speaker_order")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    apps = executor.loader.project_state(before).apps
    Event = apps.get_model("events", "Event")
    OldSession = apps.get_model("events", "Session")
    OldSpeaker = apps.get_model("events", "Speaker")
    from django.utils import timezone

    now = timezone.now()
    event = Event.objects.create(
        name="Old",
        slug="old",
        summary="s",
        starts_at=now,
        ends_at=now,
        venue_name="v",
        venue_address="a",
        capacity=10,
    )
    zed = OldSpeaker.objects.create(event=event, name="Zed", slug="zed", position=1)
    amy = OldSpeaker.objects.create(event=event, name="Amy", slug="amy", position=2)
    bob = OldSpeaker.objects.create(event=event, name="Bob", slug="bob", position=2)
    talk = OldSession.objects.create(
        event=event, title="Talk", starts_at=now, ends_at=now
    )
    talk.speakers.add(bob, amy, zed)
    empty = OldSession.objects.create(
        event=event, title="Break", starts_at=now, ends_at=now
    )

    executor = MigrationExecutor(connection)
    executor.migrate(after)
    apps = executor.loader.project_state(after).apps
    Link = apps.get_model("events", "SessionSpeaker")
    links = Link.objects.filter(session_id=talk.pk).order_by("position")
    assert [(link.speaker_id, link.position) for link in links] == [
        (zed.pk, 1),
        (amy.pk, 2),
        (bob.pk, 3),
    ]
    assert not Link.objects.filter(session_id=empty.pk).exists()

    executor = MigrationExecutor(connection)
    executor.migrate(before)
    apps = executor.loader.project_state(before).apps
    talk = apps.get_model("events", "Session").objects.get(pk=talk.pk)
    assert set(talk.speakers.values_list("pk", flat=True)) == {zed.pk, amy.pk, bob.pk}

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
