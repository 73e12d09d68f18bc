from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MAX_IMAGE_BYTES = 2 * 1024 * 1024
ALLOWED_IMAGE_FORMATS = {"PNG", "JPEG", "GIF", "WEBP"}


def validate_image_upload(file) -> None:
    """Refuse images that are too big or not a web image format.

    Django's ImageField has already opened the file with Pillow; this adds
    the limits a public web page needs.
    """
    if file.size and file.size > MAX_IMAGE_BYTES:
        raise ValidationError(_("The image must be smaller than 2 MB."))
    image = getattr(file, "image", None)
    if image is not None and image.format not in ALLOWED_IMAGE_FORMATS:
        raise ValidationError(_("The image must be a PNG, JPEG, GIF or WebP file."))
