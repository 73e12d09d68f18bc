"""Badges as PNG images, drawn with Pillow from the same layout as the PDF."""

import io

from PIL import Image, ImageDraw

from .data import BadgeData
from .fonts import pillow_font, text_width
from .layout import PAPER, badge_layout
from .qr import dark_runs


def badge_png(data: BadgeData, dpi: int = 300, size: str | None = None) -> bytes:
    """Return one badge as a PNG at `dpi` dots an inch."""
    badge = badge_layout(data, size)
    geo = badge.geometry
    scale = dpi / 72  # pixels a point
    image = Image.new("RGB", (round(geo.width * scale), round(geo.height * scale)))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, image.width, image.height), fill=PAPER)
    band = geo.band
    draw.rectangle(
        (
            round(band.x * scale),
            round(band.y * scale),
            round(band.right * scale) - 1,
            round(band.bottom * scale) - 1,
        ),
        fill=badge.band_colour,
    )
    for line in (*badge.label, *badge.lines):
        font = pillow_font(line.bold, round(line.size * scale, 1))
        # Each character at the place the layout measured for it: FreeType
        # rounds hinted advances to whole pixels, which would make a line
        # drift from its measured width.
        x, y = line.x, line.baseline * scale
        for ch in line.text:
            if not ch.isspace():
                draw.text((x * scale, y), ch, font=font, fill=line.colour, anchor="ls")
            x += text_width(ch, line.bold, line.size)
    # Module edges rounded to whole pixels: every module is dark or light,
    # never grey, and the code keeps its overall size.
    qr = geo.qr
    count = len(badge.qr_matrix)
    module = qr.width / count
    xs = [round((qr.x + i * module) * scale) for i in range(count + 1)]
    ys = [round((qr.y + i * module) * scale) for i in range(count + 1)]
    for row, column, length in dark_runs(badge.qr_matrix):
        draw.rectangle(
            (xs[column], ys[row], xs[column + length] - 1, ys[row + 1] - 1),
            fill="#000000",
        )
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(dpi, dpi))
    return out.getvalue()
