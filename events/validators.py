from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

MAX_IMAGE_BYTES = 2 * 1024 * 1024
# A small file can still unpack to a huge picture (a "pixel bomb"); refuse
# anything bigger than a large camera photo before it is ever decoded.
MAX_IMAGE_PIXELS = 40_000_000
ALLOWED_IMAGE_FORMATS = {"PNG", "JPEG", "GIF", "WEBP"}


def validate_image_upload(file) -> None:
    """Refuse files that are too big, not images, or not a web image format.

    Opens the file with Pillow here, so the rule holds for admin uploads and
    for code that assigns a file directly.
    """
    if file.size > MAX_IMAGE_BYTES:
        raise ValidationError(_("The image must be smaller than 2 MB."))
    position = file.tell() if hasattr(file, "tell") else 0
    try:
        file.seek(0)
        if _looks_like_svg(file.read(1024)):
            raise ValidationError(
                _("SVG images cannot be used. Upload a PNG, JPEG, GIF or WebP image.")
            )
        file.seek(0)
        with Image.open(file) as image:
            width, height = image.size
            image_format = image.format
            if width * height > MAX_IMAGE_PIXELS:
                raise ValidationError(
                    _(
                        "The image is too large (%(width)d by %(height)d pixels). "
                        "Upload one smaller than 40 megapixels."
                    )
                    % {"width": width, "height": height}
                )
            image.verify()
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        OSError,
        SyntaxError,
        ValueError,
    ) as exc:
        raise ValidationError(
            _("Upload a PNG, JPEG, GIF or WebP image. The file was not an image.")
        ) from exc
    finally:
        file.seek(position)
    if image_format not in ALLOWED_IMAGE_FORMATS:
        raise ValidationError(_("The image must be a PNG, JPEG, GIF or WebP file."))


def _looks_like_svg(head: bytes) -> bool:
    text = head.lstrip().lower()
    return text.startswith((b"<?xml", b"<svg", b"<!doctype svg")) or b"<svg" in text


def stored_places_taken(instance) -> int:
    """Return the places taken as the database has them now (0 if unsaved).

    Admin forms never hold the counter, so their checks must read it fresh.
    """
    if instance.pk is None:
        return 0
    rows = type(instance).objects.filter(pk=instance.pk)
    return rows.values_list("places_taken", flat=True).first() or 0
