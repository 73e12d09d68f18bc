"""seed_demo loads the launch event and is safe to run twice."""

from io import StringIO

from django.core.management import call_command

from events.models import Event, Session, SessionSpeaker, Speaker
from sponsors.colours import MIN_CONTRAST, contrast_ratio
from sponsors.models import Sponsor, SponsorTier
from tickets.models import Email, Order, TicketType
from tickets.services.codes import sponsor_places_claimed


def seed(*args) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def test_seed_demo_is_idempotent(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    first = seed("--sold", "235")
    counts = (
        Event.objects.count(),
        TicketType.objects.count(),
        Speaker.objects.count(),
        Sponsor.objects.count(),
        Order.objects.count(),
    )
    second = seed("--sold", "235")
    assert counts == (
        Event.objects.count(),
        TicketType.objects.count(),
        Speaker.objects.count(),
        Sponsor.objects.count(),
        Order.objects.count(),
    )
    launch = Event.objects.get(slug="psdm-launch")
    assert launch.capacity == 250 and launch.places_taken == 235
    assert not Email.objects.exists()  # made-up people are never mailed
    assert "235 booked just now" in first and "0 booked just now" in second
    assert "organiser / " in first and "door / " in first
    names = set(Speaker.objects.values_list("name", flat=True))
    assert {"Andy Street", "Kevin Cunnington", "Paul Maltby"} <= names
    assert Sponsor.objects.get(name="Curium Solutions").tier.name == "Headline"
    assert all(s.logo for s in Sponsor.objects.all())
    assert Event.objects.filter(slug="oneteamgov-midlands").exists()


def test_seeded_event_page_says_15_left(client, db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    seed("--sold", "235")
    page = client.get("/events/psdm-launch/").content.decode()
    assert "Only 15 places left" in page
    assert "Curium Solutions" in page and "Andy Street" in page


def test_seeded_sponsor_tiers_show_off_the_organisers_features(db, settings, tmp_path):
    """Tiers get distinct readable colours and free places; sponsors get a
    contact, an invoice state and free places claimed within their tier."""
    settings.MEDIA_ROOT = tmp_path
    seed()
    tiers = {tier.name: tier for tier in SponsorTier.objects.all()}
    assert {name: tier.free_places for name, tier in tiers.items()} == {
        "Headline": 4,
        "Gold": 2,
        "Silver": 1,
        "Supporter": 0,
    }
    assert len({tier.colour for tier in tiers.values()}) == len(tiers)
    for tier in tiers.values():
        assert contrast_ratio(tier.colour, tier.text_colour) >= MIN_CONTRAST
        assert tier.benefit_lines()
    sponsors = list(Sponsor.objects.select_related("tier"))
    assert all(s.contact_name and s.contact_email for s in sponsors)
    assert all(s.contact_email.endswith(".example.com") for s in sponsors)
    # Free places claimed are the places booked with each sponsor's codes.
    claimed = sponsor_places_claimed(sponsor_ids=[s.pk for s in sponsors])
    assert all(claimed.get(s.pk, 0) <= s.tier.free_places for s in sponsors)
    assert any(s.is_paid for s in sponsors) and not all(s.is_paid for s in sponsors)
    headline = Sponsor.objects.get(name="Curium Solutions")
    assert (claimed[headline.pk], headline.free_places) == (2, 4)
    for sponsor in sponsors:
        sponsor.full_clean()


def test_seeded_panel_speakers_keep_their_order_when_seeded_again(
    db, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    seed()
    panels = {
        session.pk: list(session.speaker_links.values_list("speaker", "position"))
        for session in Session.objects.filter(speakers__isnull=False).distinct()
    }
    assert any(len(links) > 1 for links in panels.values())
    announcements = Session.objects.get(title__startswith="Announcements")
    assert [
        s.name for s in announcements.speakers.order_by("session_links__position")
    ] == [
        "Kevin Cunnington",
        "Andy Street",
    ]
    for links in panels.values():
        assert [position for _, position in links] == list(range(1, len(links) + 1))
    count = SessionSpeaker.objects.count()
    seed()
    assert SessionSpeaker.objects.count() == count
    for pk, links in panels.items():
        session = Session.objects.get(pk=pk)
        assert list(session.speaker_links.values_list("speaker", "position")) == links
