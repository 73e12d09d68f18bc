"""Hostile uploads through the admin's change forms: sponsor logos and
speaker photos. Anything that is not a plain web image is refused with a
message and nothing is stored; what is stored is served as an image, never
as a page."""

import io
import struct
import zlib

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from events.models import Speaker
from sponsors.models import Sponsor, SponsorTier
from tickets.roles import ORGANISER_GROUP


def image(size=(40, 20), fmt="PNG", mode="RGB", **save) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, 0).save(out, format=fmt, **save)
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A 1x1 PNG whose header claims width x height pixels (CRC fixed)."""
    data = bytearray(image((1, 1)))
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


SVG_SCRIPT = (
    b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
    b"<script>alert(document.cookie)</script></svg>"
)
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
# GIF header then JavaScript: "GIF89a" is a valid JS identifier, so a page
# that loaded this as a script would run it.
GIF_JS = b"GIF89a/*\x01\x00\x01\x00\x00\x00\x00*/=1;alert(document.domain)//;"

HOSTILE = {
    "svg with a script": ("logo.svg", SVG_SCRIPT),
    "svg named png": ("logo.png", SVG_SCRIPT),
    "svg after a BOM and blanks": ("logo.png", b"\xef\xbb\xbf \n\t" + SVG_SCRIPT),
    "svg in capitals": ("logo.png", SVG_SCRIPT.upper()),
    "html named png": ("logo.png", HTML),
    "gif/js polyglot": ("logo.gif", GIF_JS),
    "pixel bomb header": ("logo.png", png_claiming(100_000, 100_000)),
    "zero bytes": ("logo.png", b""),
    "png named exe": ("logo.exe", image()),
    "png named html": ("logo.html", image()),
    "png named php": ("logo.png.php", image()),
    "png truncated": ("logo.png", image((300, 300))[:200]),
    "tiff": ("logo.tif", image(fmt="TIFF")),
    "pdf": ("logo.png", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"),
}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.PSDM_RATE_LIMITS_ENABLED = False
    return tmp_path


@pytest.fixture
def organiser(client, django_user_model):
    user = django_user_model.objects.create_user("organiser", is_staff=True)
    user.groups.add(Group.objects.get(name=ORGANISER_GROUP))
    client.force_login(user)
    return client


@pytest.fixture
def sponsor(event):
    tier = SponsorTier.objects.create(name="Gold", rank=1)
    return Sponsor.objects.create(event=event, tier=tier, name="Curium Solutions")


@pytest.fixture
def speaker(event):
    return Speaker.objects.create(event=event, name="Andy Street", slug="andy")


def sponsor_post(client, sponsor, name, content):
    return client.post(
        f"/admin/sponsors/sponsor/{sponsor.pk}/change/",
        {
            "event": sponsor.event_id,
            "tier": sponsor.tier_id,
            "name": sponsor.name,
            "position": 0,
            "is_visible": "on",
            "logo": SimpleUploadedFile(name, content, "image/png"),
        },
    )


def speaker_post(client, speaker, name, content):
    return client.post(
        f"/admin/events/speaker/{speaker.pk}/change/",
        {
            "event": speaker.event_id,
            "name": speaker.name,
            "slug": speaker.slug,
            "role": "",
            "organisation": "",
            "bio": "",
            "position": 0,
            "photo": SimpleUploadedFile(name, content, "image/png"),
        },
    )


def stored_files(media) -> list:
    return [p for p in media.rglob("*") if p.is_file()]


@pytest.mark.parametrize("case", HOSTILE)
def test_a_hostile_logo_is_refused_and_nothing_is_stored(
    organiser, sponsor, media, case
):
    name, content = HOSTILE[case]
    response = sponsor_post(organiser, sponsor, name, content)
    assert response.status_code == 200, case
    errors = response.context["adminform"].form.errors
    assert "logo" in errors, (case, errors)
    sponsor.refresh_from_db()
    assert not sponsor.logo
    assert stored_files(media) == []


@pytest.mark.parametrize("case", HOSTILE)
def test_a_hostile_speaker_photo_is_refused_and_nothing_is_stored(
    organiser, speaker, media, case
):
    name, content = HOSTILE[case]
    response = speaker_post(organiser, speaker, name, content)
    assert response.status_code == 200, case
    errors = response.context["adminform"].form.errors
    assert "photo" in errors, (case, errors)
    speaker.refresh_from_db()
    assert not speaker.photo
    assert stored_files(media) == []


def test_a_logo_just_over_the_pixel_limit_is_refused(organiser, sponsor, media):
    """A real picture (not a forged header) of 30 megapixels, compressed to
    a few kilobytes: refused before its pixels are decoded."""
    bomb = image((6000, 5000), mode="1")
    assert len(bomb) < 2 * 1024 * 1024
    response = sponsor_post(organiser, sponsor, "logo.png", bomb)
    assert response.status_code == 200
    assert "too many pixels" in str(response.context["adminform"].form.errors)
    assert stored_files(media) == []


@pytest.mark.parametrize("size", [(20_000, 1), (1, 20_000)])
def test_extreme_shapes_never_break_the_admin(organiser, speaker, sponsor, size):
    """A sliver of a picture is a picture: accepted or refused, never a 500."""
    for post in (
        lambda: speaker_post(organiser, speaker, "sliver.png", image(size)),
        lambda: sponsor_post(organiser, sponsor, "sliver.png", image(size)),
    ):
        assert post().status_code in (200, 302)


def test_an_upload_cannot_choose_where_it_is_stored(organiser, sponsor, media):
    response = sponsor_post(organiser, sponsor, "../../../etc/evil.png", image())
    assert response.status_code == 302
    sponsor.refresh_from_db()
    stored = media / sponsor.logo.name
    assert stored.resolve().is_relative_to(media.resolve() / "sponsors")
    assert stored.suffix == ".png"


def test_a_gif_carrying_a_script_in_a_comment_is_served_as_an_image(
    organiser, sponsor, client
):
    """A valid GIF may carry any text in a comment. It is stored as .gif and
    served as image/gif with nosniff, so no browser runs it as a page."""
    gif = image(fmt="GIF", comment=b"<script>alert(document.domain)</script>")
    response = sponsor_post(organiser, sponsor, "logo.gif", gif)
    assert response.status_code == 302
    sponsor.refresh_from_db()
    assert sponsor.logo.name.endswith(".gif")
    served = client.get(sponsor.logo.url)
    assert served.status_code == 200
    assert served["Content-Type"] == "image/gif"
    assert served["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "path",
    [
        "/media/../README.md",
        "/media/%2e%2e/README.md",
        "/media/..%2fREADME.md",
        "/media/sponsors/..%5c..%5cREADME.md",
        "/media//etc/passwd",
        "/media/x%00.png",
        "/media/",
        "/media/sponsors/",
    ],
)
def test_media_serves_uploads_and_nothing_else(client, media, path):
    """No way out of the uploads folder, and no folder listings."""
    (media / "sponsors").mkdir()
    (media / "sponsors" / "logo.png").write_bytes(image())
    assert client.get("/media/sponsors/logo.png").status_code == 200
    assert client.get(path).status_code in (400, 404)
