"""Sponsor logos are checked with Pillow before they reach the page."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from sponsors.models import Sponsor, SponsorTier


def png(size=(10, 10), fmt="PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "purple").save(out, format=fmt)
    return out.getvalue()


@pytest.fixture
def sponsor(event, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    tier = SponsorTier.objects.create(name="Gold", rank=2)
    return Sponsor(event=event, tier=tier, name="Curium Solutions")


def test_a_png_logo_is_accepted(sponsor):
    sponsor.logo = SimpleUploadedFile("logo.png", png(), content_type="image/png")
    sponsor.full_clean()
    sponsor.save()
    assert sponsor.logo.url.endswith(".png")


def test_a_file_that_is_not_an_image_is_refused(sponsor):
    sponsor.logo = SimpleUploadedFile("logo.png", b"<svg onload=alert(1)>")
    with pytest.raises(ValidationError, match="logo"):
        sponsor.full_clean()


def test_an_image_format_browsers_cannot_show_is_refused(sponsor):
    sponsor.logo = SimpleUploadedFile("logo.tiff", png(fmt="TIFF"))
    with pytest.raises(ValidationError, match="PNG, JPEG, GIF or WebP"):
        sponsor.full_clean()


def test_a_huge_logo_is_refused(sponsor):
    sponsor.logo = SimpleUploadedFile("logo.png", png() + b"\0" * (2 * 1024 * 1024))
    with pytest.raises(ValidationError, match="smaller than 2 MB"):
        sponsor.full_clean()
