"""Speaker photos (checked, cropped for the web) and speakers on sessions."""

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from events.models import Session, Speaker


def image_bytes(size=(800, 600), mode="RGB", fmt="PNG", colour=0) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, colour).save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def organiser(client, django_user_model, media):
    user = django_user_model.objects.create_superuser("org", "org@example.gov.uk", "pw")
    client.force_login(user)
    return client


def speaker_form(event, photo=None, **overrides) -> dict:
    data = {
        "event": event.pk,
        "name": "Andy Street",
        "slug": "andy-street",
        "role": "Mayor of the West Midlands",
        "organisation": "",
        "bio": "",
        "position": 0,
    }
    if photo is not None:
        data["photo"] = photo
    data.update(overrides)
    return data


def test_a_photo_is_kept_and_cropped_to_a_square_for_the_web(organiser, event):
    photo = SimpleUploadedFile("andy.png", image_bytes((800, 600)), "image/png")
    response = organiser.post(
        reverse("admin:events_speaker_add"), speaker_form(event, photo)
    )
    assert response.status_code == 302, response.context["adminform"].errors
    speaker = Speaker.objects.get()
    with Image.open(speaker.photo.path) as original:
        assert original.size == (800, 600)
    with Image.open(speaker.photo_web.path) as web:
        assert (web.format, web.size) == ("JPEG", (400, 400))
    assert speaker.photo_url == speaker.photo_web.url
    page = organiser.get(
        reverse("events:speaker", args=[event.slug, speaker.slug])
    ).content.decode()
    assert speaker.photo_web.url in page


def test_a_new_photo_replaces_the_old_rendition(organiser, event, media):
    add = reverse("admin:events_speaker_add")
    organiser.post(
        add,
        speaker_form(event, SimpleUploadedFile("a.png", image_bytes(), "image/png")),
    )
    speaker = Speaker.objects.get()
    first = speaker.photo_web.name
    transparent = image_bytes((300, 500), mode="RGBA", colour=(0, 0, 0, 0))
    organiser.post(
        reverse("admin:events_speaker_change", args=[speaker.pk]),
        speaker_form(event, SimpleUploadedFile("b.png", transparent, "image/png")),
    )
    speaker.refresh_from_db()
    assert speaker.photo_web.name != first
    with Image.open(speaker.photo_web.path) as web:
        assert web.size == (400, 400)
        assert web.getpixel((200, 200)) == (255, 255, 255)
    assert not (media / first).exists()


SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>'


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("logo.svg", SVG, "SVG images cannot be used"),
        ("photo.png", b"not an image at all", "The file was not an image"),
        (
            "bomb.png",
            image_bytes((10_000, 5_000), mode="1"),
            "The image is too large (10000 by 5000 pixels)",
        ),
        ("photo.bmp", image_bytes((10, 10), fmt="BMP"), "PNG, JPEG, GIF or WebP"),
    ],
)
def test_bad_photos_are_refused_with_a_clear_message(
    organiser, event, name, content, message
):
    photo = SimpleUploadedFile(name, content)
    response = organiser.post(
        reverse("admin:events_speaker_add"), speaker_form(event, photo)
    )
    assert response.status_code == 200
    assert message in str(response.context["adminform"].errors["photo"])
    assert not Speaker.objects.exists()


def session_form(event, speakers, **overrides) -> dict:
    data = {
        "event": event.pk,
        "title": "A digital West Midlands",
        "description": "",
        "starts_at_0": event.starts_at.strftime("%d/%m/%Y"),
        "starts_at_1": "09:30:00",
        "ends_at_0": event.starts_at.strftime("%d/%m/%Y"),
        "ends_at_1": "10:10:00",
        "room": "Main hall",
    }
    prefix = "speaker_links-"
    data.update(
        {
            f"{prefix}TOTAL_FORMS": len(speakers),
            f"{prefix}INITIAL_FORMS": 0,
            f"{prefix}MIN_NUM_FORMS": 0,
            f"{prefix}MAX_NUM_FORMS": 1000,
        }
    )
    for i, speaker in enumerate(speakers):
        data[f"{prefix}{i}-speaker"] = speaker.pk
        data[f"{prefix}{i}-position"] = i + 1
    data.update(overrides)
    return data


def test_speakers_are_attached_inline_on_the_session_page(organiser, event):
    andy = Speaker.objects.create(event=event, name="Andy Street", slug="andy")
    kevin = Speaker.objects.create(event=event, name="Kevin Cunnington", slug="kc")
    add = reverse("admin:events_session_add")
    assert organiser.get(add).status_code == 200
    response = organiser.post(add, session_form(event, [andy, kevin]))
    assert response.status_code == 302, response.context["errors"]
    session = Session.objects.get()
    assert set(session.speakers.all()) == {andy, kevin}
    assert session.room == "Main hall"

    page = organiser.get(reverse("admin:events_speaker_change", args=[andy.pk]))
    assert "A digital West Midlands" in page.content.decode()


def test_a_speaker_from_another_event_is_refused(organiser, event):
    from tests.conftest import make_event

    later = event.starts_at + timedelta(days=90)
    other = make_event(slug="other", starts_at=later, ends_at=later)
    stranger = Speaker.objects.create(event=other, name="Someone Else", slug="se")
    response = organiser.post(
        reverse("admin:events_session_add"), session_form(event, [stranger])
    )
    assert response.status_code == 200
    assert "Someone Else speaks at another event." in response.content.decode()
    assert not Session.objects.exists()
