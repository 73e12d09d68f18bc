"""Admin inputs without a <label> of their own get an accessible name."""

from django.urls import reverse

from events.models import Session, Speaker
from sponsors.models import Sponsor, SponsorTier


def test_change_list_editable_columns_are_named_by_column_and_row(admin_client, event):
    Speaker.objects.create(event=event, name="Andy Street", slug="andy")
    tier = SponsorTier.objects.create(name="Gold", rank=2, free_places=2)
    Sponsor.objects.create(event=event, tier=tier, name="Curium Solutions")
    speakers = admin_client.get(reverse("admin:events_speaker_changelist"))
    assert 'aria-label="Order: Andy Street"' in speakers.content.decode()
    tiers = admin_client.get(reverse("admin:sponsors_sponsortier_changelist"))
    html = tiers.content.decode()
    assert 'aria-label="Rank: Gold"' in html
    assert 'aria-label="Free places: Gold"' in html
    sponsors = admin_client.get(reverse("admin:sponsors_sponsor_changelist"))
    assert 'aria-label="Visible: Curium Solutions"' in sponsors.content.decode()


def test_date_and_time_halves_are_named_after_their_field(admin_client, event):
    html = admin_client.get(
        reverse("admin:events_event_change", args=[event.pk])
    ).content.decode()
    assert 'aria-label="Starts: date"' in html
    assert 'aria-label="Booking closes: time"' in html


def test_inline_rows_are_named_and_their_delete_boxes_labelled(admin_client, event):
    andy = Speaker.objects.create(event=event, name="Andy Street", slug="andy")
    session = Session.objects.create(
        event=event,
        title="Keynote",
        starts_at=event.starts_at,
        ends_at=event.starts_at,
    )
    session.speakers.add(andy, through_defaults={"position": 1})
    html = admin_client.get(
        reverse("admin:events_session_change", args=[session.pk])
    ).content.decode()
    assert 'aria-label="Order: Andy Street at Keynote"' in html
    assert 'aria-label="Speaker: new"' in html
    assert '<span class="visually-hidden">Delete Andy Street at Keynote</span>' in html
    assert '<th class="original"><span class="visually-hidden">Speaker</span>' in html
