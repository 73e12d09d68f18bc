"""The badge's typeface, DejaVu Sans (vendored, see fonts/LICENSE.txt), for
both renderers: measured with reportlab, drawn by reportlab and Pillow.

Pillow uses its basic layout (no kerning, no shaping), which advances glyphs
exactly as reportlab does, so a line measured once fits in both."""

import unicodedata
from functools import cache, lru_cache
from pathlib import Path

from PIL import ImageFont
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FILES = {False: FONT_DIR / "DejaVuSans.ttf", True: FONT_DIR / "DejaVuSans-Bold.ttf"}
NAMES = {False: "PsdmBadgeSans", True: "PsdmBadgeSans-Bold"}

# Vertical extent of a line, in ems (the font's hhea ascender and descender).
ASCENT = 0.93
DESCENT = 0.24

# Drawn in place of a character the font does not have (CJK, for example).
MISSING = "\u25a1"  # WHITE SQUARE
ELLIPSIS = "\u2026"

# Marks that only change how a neighbour looks (emoji variation selectors,
# skin tones, joiners): dropped rather than drawn as boxes.
_INVISIBLE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
_MODIFIERS = set(range(0xFE00, 0xFE10)) | set(range(0x1F3FB, 0x1F400))


@cache
def font_name(bold: bool) -> str:
    """Register the face with reportlab (once) and return its name."""
    name = NAMES[bold]
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(name, str(FILES[bold])))
    return name


@cache
def _widths(bold: bool) -> tuple[dict[int, float], float]:
    face = pdfmetrics.getFont(font_name(bold)).face
    return face.charWidths, face.defaultWidth


@cache
def _covered() -> frozenset[int]:
    # Both faces cover the same characters, near enough; ask for both.
    regular = pdfmetrics.getFont(font_name(False)).face.charToGlyph
    bold = pdfmetrics.getFont(font_name(True)).face.charToGlyph
    return frozenset(regular.keys() & bold.keys())


def text_width(text: str, bold: bool, size: float) -> float:
    """Width of `text` in points at `size`, as both renderers draw it."""
    widths, default = _widths(bold)
    return sum(widths.get(ord(ch), default) for ch in text) * size / 1000


@lru_cache(maxsize=4096)
def clean(text: str) -> str:
    """Return `text` ready to draw: composed (NFC), on one line with single
    spaces, invisible marks dropped and characters the font lacks shown as a
    box, so nothing the attendee typed can break a renderer."""
    covered = _covered()
    out = []
    for ch in unicodedata.normalize("NFC", text or ""):
        if ch.isspace():
            out.append(" ")
        elif unicodedata.category(ch) in _INVISIBLE or ord(ch) in _MODIFIERS:
            continue
        elif ord(ch) in covered:
            out.append(ch)
        elif unicodedata.combining(ch):
            continue  # a mark the font cannot draw: the letter is enough
        else:
            out.append(MISSING)
    return " ".join("".join(out).split())


@lru_cache(maxsize=256)
def pillow_font(bold: bool, pixels: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(
        str(FILES[bold]), pixels, layout_engine=ImageFont.Layout.BASIC
    )
