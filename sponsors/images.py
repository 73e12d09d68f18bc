"""Web and print renditions of sponsor logos, made with Pillow."""

import io

from PIL import Image, ImageOps

# Web: fits the sponsor lists (at most 20rem wide, 7rem tall) at 2x density.
WEB_BOX = (400, 200)
# Print: big enough for a banner or programme at 300 dpi across ~13 cm.
PRINT_LONGEST_SIDE = 1600


def logo_rendition(source, *, box: tuple[int, int]) -> bytes:
    """Return `source` as a PNG that fits inside `box`, never enlarged.

    PNG keeps logos' transparency and flat colours sharp. EXIF rotation is
    applied; animated GIFs keep their first frame.
    """
    source.seek(0)
    with Image.open(source) as image:
        image.seek(0)
        image = ImageOps.exif_transpose(image)
        if image.mode not in ("RGB", "RGBA", "L", "LA"):
            image = image.convert("RGBA")
        image.thumbnail(box, Image.Resampling.LANCZOS)
        out = io.BytesIO()
        image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def web_logo(source) -> bytes:
    return logo_rendition(source, box=WEB_BOX)


def print_logo(source) -> bytes:
    return logo_rendition(source, box=(PRINT_LONGEST_SIDE, PRINT_LONGEST_SIDE))
