"""Uploads work on storage that has no local path (an S3 bucket shared by
every web machine): logos and speaker photos, and their renditions, are
read and written only through the storage's open() and save(). Tested on
a storage in memory that, like S3's, has no path()."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, default_storage
from PIL import Image

from events.models import Speaker
from events.services import speaker_photo_update
from sponsors.models import Sponsor, SponsorTier
from sponsors.services import sponsor_logo_renditions_make

ROOT = Path(__file__).resolve().parent.parent.parent

pytestmark = pytest.mark.django_db


class PathlessStorage(Storage):
    """Files in memory, reachable only by name, as in a bucket: no path()."""

    files: dict[str, bytes] = {}

    def _open(self, name, mode="rb"):
        return ContentFile(self.files[name], name=name)

    def _save(self, name, content):
        self.files[name] = b"".join(content.chunks())
        return name

    def exists(self, name):
        return name in self.files

    def delete(self, name):
        self.files.pop(name, None)

    def size(self, name):
        return len(self.files[name])

    def url(self, name):
        return f"https://media.example.org/{name}"


@pytest.fixture
def pathless(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "tests.ops.test_media_storage.PathlessStorage"},
    }
    PathlessStorage.files = {}
    with pytest.raises(NotImplementedError):
        default_storage.path("anything")
    return default_storage


def image_bytes(size, fmt="PNG", mode="RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, "purple").save(out, format=fmt)
    return out.getvalue()


def size_of(field) -> tuple[int, int]:
    with field.open("rb") as f, Image.open(io.BytesIO(f.read())) as image:
        return image.size


def test_sponsor_logo_renditions_need_no_local_path(pathless, event, client):
    tier = SponsorTier.objects.create(name="Gold", rank=2, free_places=2)
    sponsor = Sponsor.objects.create(event=event, tier=tier, name="Curium Solutions")
    sponsor.logo.save("curium.png", ContentFile(image_bytes((3000, 1000))))

    assert sponsor_logo_renditions_make(sponsor_id=sponsor.pk) is True

    sponsor.refresh_from_db()
    assert pathless.exists(sponsor.logo_web.name)
    assert pathless.exists(sponsor.logo_print.name)
    assert size_of(sponsor.logo_web)[0] <= 400
    assert size_of(sponsor.logo_print)[0] == 1600
    page = client.get(f"/events/{event.slug}/sponsors/")
    assert page.status_code == 200
    assert sponsor.logo_web.url in page.content.decode()


def test_speaker_photo_rendition_needs_no_local_path(pathless, event):
    speaker = Speaker.objects.create(event=event, name="Andy Street")
    speaker.photo.save("andy.png", ContentFile(image_bytes((800, 600))))

    speaker_photo_update(speaker=speaker)

    speaker.refresh_from_db()
    assert pathless.exists(speaker.photo_web.name)
    assert size_of(speaker.photo_web) == (400, 400)


def test_s3_storage_is_chosen_by_environment():
    code = (
        "import django, json; django.setup(); "
        "from django.core.files.storage import storages; s = storages['default']; "
        "print(json.dumps([type(s).__module__, s.bucket_name, s.endpoint_url, "
        "s.location, s.url('sponsors/logo.png')]))"
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "DJANGO_SETTINGS_MODULE": "psdm.settings.base",
        "DJANGO_MEDIA_STORAGE": "s3",
        "AWS_STORAGE_BUCKET_NAME": "psdm-media",
        "AWS_S3_ENDPOINT_URL": "http://127.0.0.1:9000",
        "AWS_S3_REGION_NAME": "eu-west-2",
        "AWS_ACCESS_KEY_ID": "test-key",
        "AWS_SECRET_ACCESS_KEY": "test-secret",
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    module, bucket, endpoint, location, url = json.loads(result.stdout)
    assert module == "storages.backends.s3"
    assert (bucket, endpoint, location) == (
        "psdm-media",
        "http://127.0.0.1:9000",
        "media",
    )
    assert url == "http://127.0.0.1:9000/psdm-media/media/sponsors/logo.png"
