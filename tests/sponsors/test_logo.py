"""Sponsor logos are checked with Pillow before they reach the page."""

import io
import struct
import zlib

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


def png_claiming_size(width: int, height: int) -> bytes:
    """Return a tiny PNG whose header claims `width` x `height` pixels."""
    data = bytearray(png((1, 1)))
    # IHDR follows the 8-byte signature: length, type, then width and height.
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


@pytest.mark.parametrize(
    "content",
    [
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>',
        b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
        b"\xef\xbb\xbf  <!DOCTYPE svg><svg/>",
    ],
)
def test_an_svg_logo_is_refused_with_a_reason(sponsor, content):
    sponsor.logo = SimpleUploadedFile("logo.svg", content, "image/svg+xml")
    with pytest.raises(ValidationError, match="SVG logos cannot be used"):
        sponsor.full_clean()


@pytest.mark.parametrize("size", [(6000, 5000), (100_000, 100_000)])
def test_a_pixel_bomb_is_refused_before_it_is_decoded(sponsor, size):
    """A few bytes that claim a huge picture are refused, however huge."""
    sponsor.logo = SimpleUploadedFile("logo.png", png_claiming_size(*size))
    with pytest.raises(ValidationError, match="too many pixels"):
        sponsor.full_clean()


def test_a_truncated_image_is_refused(sponsor):
    whole = png((300, 300), fmt="JPEG")
    sponsor.logo = SimpleUploadedFile("logo.jpg", whole[: len(whole) // 2])
    with pytest.raises(ValidationError, match="logo"):
        sponsor.full_clean()
