"""Tier colours, and the text colour that stays readable on each one."""

from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

HEX_COLOUR = r"^#[0-9a-fA-F]{6}$"
DARK_TEXT = "#0b0c0c"  # GOV.UK text colour
LIGHT_TEXT = "#ffffff"
BLACK = "#000000"
# WCAG 2.2 AA for normal-size text.
MIN_CONTRAST = 4.5

validate_hex_colour = RegexValidator(
    HEX_COLOUR,
    _("Enter a colour as # and six hex digits, such as #2f1a5c."),
)


def relative_luminance(colour: str) -> float:
    """Return the WCAG relative luminance of a ``#rrggbb`` colour."""

    def channel(hex_pair: str) -> float:
        value = int(hex_pair, 16) / 255
        if value <= 0.04045:
            return value / 12.92
        return ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: str, second: str) -> float:
    """Return the WCAG contrast ratio of two ``#rrggbb`` colours (1 to 21)."""
    high, low = sorted(
        (relative_luminance(first), relative_luminance(second)), reverse=True
    )
    return (high + 0.05) / (low + 0.05)


def text_colour_on(background: str) -> str:
    """Return the text colour to use on `background`: GOV.UK's near-black or
    white, whichever contrasts more, or pure black for the few mid-tones
    where neither reaches 4.5:1."""
    best = max((DARK_TEXT, LIGHT_TEXT), key=lambda c: contrast_ratio(c, background))
    if contrast_ratio(best, background) >= MIN_CONTRAST:
        return best
    return BLACK
