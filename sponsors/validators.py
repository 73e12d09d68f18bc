"""Checks on sponsor logo uploads, before anything is stored or decoded."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from PIL import Image

from events.validators import validate_image_upload

# A small file can unpack to an enormous picture (a "pixel bomb"). Logos are
# small: refuse anything over 25 megapixels before its pixels are decoded.
MAX_LOGO_PIXELS = 25_000_000


def validate_logo_upload(file) -> None:
    """Refuse SVGs, pixel bombs, broken images and anything the shared image
    rule refuses (over 2 MB, not PNG, JPEG, GIF or WebP)."""
    position = file.tell() if hasattr(file, "tell") else 0
    try:
        file.seek(0)
        if _looks_like_svg(file.read(2048)):
            raise ValidationError(
                _(
                    "SVG logos cannot be used: they can carry scripts. "
                    "Upload a PNG, JPEG, GIF or WebP image."
                ),
                code="svg",
            )
        file.seek(0)
        try:
            # Opening reads only the header, so the size is known before any
            # pixels are decoded.
            with Image.open(file) as image:
                pixels = image.width * image.height
        except Image.DecompressionBombError:
            pixels = MAX_LOGO_PIXELS + 1
        except Exception:  # not an image: the shared rule says so below
            pixels = 0
        if pixels > MAX_LOGO_PIXELS:
            raise ValidationError(
                _(
                    "The logo has too many pixels. Upload one under 25 "
                    "megapixels, such as 2000 by 1000 pixels."
                ),
                code="too_many_pixels",
            )
    finally:
        file.seek(position)
    validate_image_upload(file)
    _validate_decodes(file)


def _looks_like_svg(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return text.startswith((b"<?xml", b"<svg", b"<!doctype svg")) or b"<svg" in text


def _validate_decodes(file) -> None:
    """Refuse an image whose header is fine but whose pixels are broken
    (a truncated upload), which could not be resized for the pages."""
    position = file.tell() if hasattr(file, "tell") else 0
    try:
        file.seek(0)
        with Image.open(file) as image:
            image.load()
    except Exception as exc:
        raise ValidationError(
            _("The logo file is damaged or incomplete. Upload it again."),
            code="broken",
        ) from exc
    finally:
        file.seek(position)
