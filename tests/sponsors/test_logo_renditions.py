"""Each logo gets a web and a print rendition, stored beside the original."""

import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from sponsors import tasks
from sponsors.models import Sponsor, SponsorTier
from sponsors.services import sponsor_logo_renditions_make


def image_bytes(size, fmt="PNG", mode="RGBA") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (47, 26, 92, 128) if mode == "RGBA" else "purple").save(
        out, format=fmt
    )
    return out.getvalue()


def opened(field) -> Image.Image:
    with field.open("rb") as f:
        image = Image.open(io.BytesIO(f.read()))
        image.load()
        return image


@pytest.fixture
def sponsor(event, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    tier = SponsorTier.objects.create(name="Gold", rank=2, free_places=2)
    sponsor = Sponsor.objects.create(event=event, tier=tier, name="Curium Solutions")
    sponsor.logo.save("curium.png", ContentFile(image_bytes((3000, 1000))))
    return sponsor


def test_a_big_logo_is_shrunk_for_the_web_and_for_print(sponsor):
    assert sponsor_logo_renditions_make(sponsor_id=sponsor.pk) is True
    sponsor.refresh_from_db()
    web, print_ = opened(sponsor.logo_web), opened(sponsor.logo_print)
    assert (web.format, web.size, web.mode) == ("PNG", (400, 133), "RGBA")
    assert (print_.format, print_.size) == ("PNG", (1600, 533))
    assert sponsor.logo_web.name.startswith("sponsors/curium")
    assert sponsor.web_logo_url == sponsor.logo_web.url


def test_a_small_logo_is_never_enlarged(sponsor):
    sponsor.logo.save("small.jpg", ContentFile(image_bytes((120, 60), "JPEG", "RGB")))
    sponsor_logo_renditions_make(sponsor_id=sponsor.pk)
    sponsor.refresh_from_db()
    assert opened(sponsor.logo_web).size == (120, 60)
    assert opened(sponsor.logo_print).size == (120, 60)


def test_making_renditions_twice_changes_nothing(sponsor):
    """The task can run again (a retry, a re-save) without redoing the work."""
    tasks.sponsor_logo_renditions_make.delay(sponsor.pk)
    sponsor.refresh_from_db()
    names = (sponsor.logo_web.name, sponsor.logo_print.name)
    assert tasks.sponsor_logo_renditions_make.delay(sponsor.pk).get() is False
    sponsor.refresh_from_db()
    assert (sponsor.logo_web.name, sponsor.logo_print.name) == names


def test_a_new_logo_replaces_the_old_renditions(
    sponsor, django_capture_on_commit_callbacks
):
    sponsor_logo_renditions_make(sponsor_id=sponsor.pk)
    sponsor.refresh_from_db()
    old_web = sponsor.logo_web.name
    storage = sponsor.logo_web.storage
    sponsor.logo.save("new.png", ContentFile(image_bytes((800, 800))))
    assert sponsor.web_logo_url == sponsor.logo.url  # until the new ones exist
    with django_capture_on_commit_callbacks(execute=True):
        sponsor_logo_renditions_make(sponsor_id=sponsor.pk)
    sponsor.refresh_from_db()
    assert opened(sponsor.logo_web).size == (200, 200)
    assert not storage.exists(old_web)


def test_removing_the_logo_removes_its_renditions(sponsor):
    sponsor_logo_renditions_make(sponsor_id=sponsor.pk)
    Sponsor.objects.filter(pk=sponsor.pk).update(logo="")
    assert sponsor_logo_renditions_make(sponsor_id=sponsor.pk) is True
    sponsor.refresh_from_db()
    assert not sponsor.logo_web and not sponsor.logo_print
    assert sponsor.web_logo_url == ""


def test_a_missing_sponsor_is_ignored(db):
    assert sponsor_logo_renditions_make(sponsor_id=999) is False


def test_a_logo_uploaded_in_admin_gets_its_renditions(
    admin_client, sponsor, django_capture_on_commit_callbacks
):
    url = reverse("admin:sponsors_sponsor_change", args=[sponsor.pk])
    upload = SimpleUploadedFile("brindley.webp", image_bytes((1000, 1000), "WEBP"))
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            url,
            {
                "event": sponsor.event_id,
                "tier": sponsor.tier_id,
                "name": "Brindley Digital",
                "position": 0,
                "is_visible": "on",
                "logo": upload,
            },
        )
    assert response.status_code == 302, response.context["adminform"].form.errors
    sponsor.refresh_from_db()
    assert sponsor.logo.name.endswith(".webp")
    assert opened(sponsor.logo_web).size == (200, 200)
    assert opened(sponsor.logo_print).size == (1000, 1000)


def test_admin_refuses_an_svg_logo_with_the_reason(admin_client, sponsor):
    url = reverse("admin:sponsors_sponsor_change", args=[sponsor.pk])
    svg = SimpleUploadedFile("logo.svg", b"<svg onload='alert(1)'/>", "image/svg+xml")
    response = admin_client.post(
        url,
        {
            "event": sponsor.event_id,
            "tier": sponsor.tier_id,
            "name": "Curium Solutions",
            "position": 0,
            "logo": svg,
        },
    )
    assert response.status_code == 200
    assert "SVG logos cannot be used" in response.content.decode()
