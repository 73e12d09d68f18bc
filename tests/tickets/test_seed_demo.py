"""seed_demo loads the launch event and is safe to run twice."""

from io import StringIO

from django.core.management import call_command

from events.models import Event, Speaker
from sponsors.models import Sponsor
from tickets.models import Email, Order, TicketType


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
