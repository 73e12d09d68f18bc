"""Web renditions of uploaded images, made with Pillow."""

import io

from django.core.files.base import ContentFile
from PIL import Image, ImageOps

SPEAKER_PHOTO_SIZE = 400


def square_rendition(file, *, size: int = SPEAKER_PHOTO_SIZE) -> ContentFile:
    """Return a `size` x `size` JPEG cropped from the middle of the image.

    The upload was checked by validators.validate_image_upload first; EXIF
    rotation is applied so phone photos stand the right way up.
    """
    file.seek(0)
    with Image.open(file) as image:
        image = ImageOps.exif_transpose(image)
        if image.mode in ("RGBA", "LA", "P"):
            image = image.convert("RGBA")
            # JPEG has no transparency: put the picture on white.
            background = Image.new("RGB", image.size, "white")
            background.paste(image, mask=image.getchannel("A"))
            image = background
        else:
            image = image.convert("RGB")
        square = ImageOps.fit(image, (size, size), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    square.save(out, format="JPEG", quality=85, optimize=True, progressive=True)
    return ContentFile(out.getvalue())
