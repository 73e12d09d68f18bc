"""Where everything goes on a badge, in points from the top left corner.

The geometry of each badge size is worked out once; `badge_layout` places
one attendee's text in it. Both renderers (PDF and PNG) only draw what this
returns, so the two look the same."""

from dataclasses import dataclass, replace
from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from reportlab.lib.units import inch, mm

from .data import BadgeData
from .fonts import ASCENT, DESCENT, clean, text_width
from .qr import qr_matrix
from .text import LINE_PITCH, block_height, fit_text

INK = "#0b0c0c"
QUIET_INK = "#505a5f"  # 7:1 on white
PAPER = "#ffffff"

# Band colour and the colour of its label: each pair has a WCAG AA contrast
# ratio of at least 4.5:1 (checked in the tests).
ROLE_COLOURS = {
    "attendee": ("#1d70b8", "#ffffff"),
    "speaker": ("#d4351c", "#ffffff"),
    "sponsor": ("#f47738", "#0b0c0c"),
    "organiser": ("#4c2c92", "#ffffff"),
    "staff": ("#00703c", "#ffffff"),
    "student": ("#ffdd00", "#0b0c0c"),
}


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.x + self.width

    @property
    def bottom(self) -> float:
        return self.y + self.height

    def contains(self, other: "Box") -> bool:
        return (
            self.x <= other.x + 0.01
            and self.y <= other.y + 0.01
            and other.right <= self.right + 0.01
            and other.bottom <= self.bottom + 0.01
        )

    def overlaps(self, other: "Box") -> bool:
        return (
            self.x < other.right
            and other.x < self.right
            and self.y < other.bottom
            and other.y < self.bottom
        )


@dataclass(frozen=True)
class Field:
    """One piece of text: which BadgeData attribute, and how it may fit."""

    name: str
    bold: bool
    max_size: float
    min_size: float
    max_lines: int
    colour: str = INK
    gap_after: float = 0.0

    @property
    def budget(self) -> float:
        """The most height it can take: all its lines at the smallest size."""
        return block_height(self.max_lines, self.min_size)


@dataclass(frozen=True)
class Region:
    box: Box
    fields: tuple[Field, ...]
    from_bottom: bool = False  # stack the fields up from the box's bottom


@dataclass(frozen=True)
class Geometry:
    name: str
    width: float
    height: float
    band: Box
    label: Field
    label_box: Box
    regions: tuple[Region, ...]
    qr: Box  # the QR code with its quiet zone
    centred: bool
    sheet_columns: int
    sheet_rows: int

    @property
    def page(self) -> Box:
        return Box(0, 0, self.width, self.height)


@dataclass(frozen=True)
class Line:
    field: str  # the BadgeData attribute it shows
    text: str
    bold: bool
    size: float
    x: float
    baseline: float
    width: float
    colour: str

    @property
    def box(self) -> Box:
        top = self.baseline - ASCENT * self.size
        return Box(self.x, top, self.width, (ASCENT + DESCENT) * self.size)


@dataclass(frozen=True)
class Badge:
    geometry: Geometry
    band_colour: str
    label: tuple[Line, ...]  # the role, in the band
    lines: tuple[Line, ...]  # everything else
    qr_matrix: tuple[tuple[bool, ...], ...]


def _box_mm(x, y, width, height) -> Box:
    return Box(x * mm, y * mm, width * mm, height * mm)


def _a6() -> Geometry:
    # A6 portrait, 105 x 148 mm: a punched slot at the top, then the band,
    # the names centred, the event, and the QR code at the bottom.
    width, height = 105, 148
    text_x, text_width = 7, 91
    people = (
        Field("first_name", True, 36, 20, 2, gap_after=1 * mm),
        Field("last_name", True, 26, 16, 2, gap_after=2.5 * mm),
        Field("organisation", False, 16, 10, 3),
    )
    event = (
        Field("event_name", True, 13, 9, 2, colour=QUIET_INK, gap_after=1 * mm),
        Field("date_text", False, 11, 8, 2, colour=QUIET_INK),
    )
    return _checked(
        Geometry(
            name="a6",
            width=width * mm,
            height=height * mm,
            band=_box_mm(0, 9, width, 12),
            label=Field("role_label", True, 22, 10, 1),
            label_box=_box_mm(text_x, 9, text_width, 12),
            regions=(
                Region(_box_mm(text_x, 24, text_width, 46.5), people),
                Region(_box_mm(text_x, 72, text_width, 16), event, from_bottom=True),
            ),
            qr=_box_mm((width - 54) / 2, 90, 54, 54),
            centred=True,
            sheet_columns=2,
            sheet_rows=2,
        )
    )


def _four_by_three() -> Geometry:
    # 4 x 3 inches landscape: names on the left, the QR code on the right,
    # the band along the bottom (the slot is punched at the top).
    width, height = 4 * inch / mm, 3 * inch / mm  # 101.6 x 76.2 mm
    text_x, text_width = 5, 46.6
    people = (
        Field("first_name", True, 26, 14, 2, gap_after=1 * mm),
        Field("last_name", True, 20, 11, 2, gap_after=2 * mm),
        Field("organisation", False, 12, 7.5, 3),
    )
    event = (
        Field("event_name", True, 10, 7, 2, colour=QUIET_INK, gap_after=0.8 * mm),
        Field("date_text", False, 9, 7, 2, colour=QUIET_INK),
    )
    band_top = height - 12
    return _checked(
        Geometry(
            name="4x3",
            width=width * mm,
            height=height * mm,
            band=_box_mm(0, band_top, width, 12),
            label=Field("role_label", True, 18, 9, 1),
            label_box=_box_mm(text_x, band_top, width - 2 * text_x, 12),
            regions=(
                Region(_box_mm(text_x, 7, text_width, 34), people),
                Region(_box_mm(text_x, 48, text_width, 14.2), event, from_bottom=True),
            ),
            qr=_box_mm(width - 3 - 46, 8, 46, 46),
            centred=False,
            sheet_columns=2,
            sheet_rows=3,
        )
    )


def _checked(geometry: Geometry) -> Geometry:
    """Refuse a geometry whose boxes could let text collide (a design bug)."""
    page, qr, band = geometry.page, geometry.qr, geometry.band
    boxes = [region.box for region in geometry.regions]
    problems = [
        not all(page.contains(b) for b in [*boxes, qr, band, geometry.label_box]),
        not band.contains(geometry.label_box),
        geometry.label.budget > geometry.label_box.height,
    ]
    for i, box in enumerate(boxes):
        problems.append(box.overlaps(qr) or box.overlaps(band))
        problems.extend(box.overlaps(other) for other in boxes[i + 1 :])
    for region in geometry.regions:
        needed = sum(f.budget + f.gap_after for f in region.fields)
        problems.append(needed > region.box.height + 0.01)
    if any(problems):
        raise ValueError(f"The {geometry.name} badge layout has overlapping boxes.")
    return geometry


SIZES = {"a6": _a6, "4x3": _four_by_three}


@cache
def _geometry(name: str) -> Geometry:
    return SIZES[name]()


def geometry(size: str | None = None) -> Geometry:
    """Return the geometry of badge size `size` (settings.PSDM_BADGE_SIZE
    unless given)."""
    name = size if size is not None else getattr(settings, "PSDM_BADGE_SIZE", "a6")
    key = str(name).strip().lower()
    if key not in SIZES:
        raise ImproperlyConfigured(
            f"PSDM_BADGE_SIZE must be one of {', '.join(SIZES)}, not {name!r}."
        )
    return _geometry(key)


def badge_layout(data: BadgeData, size: str | None = None) -> Badge:
    """Place `data`'s text and QR code on a badge of size `size`."""
    geo = geometry(size)
    band, ink = ROLE_COLOURS.get(data.role, ROLE_COLOURS["attendee"])
    label = _label(geo, data, ink)
    lines: list[Line] = []
    largest = None  # the first name's size: nothing else may be bigger
    for region in geo.regions:
        blocks = []
        for field in region.fields:
            text = clean(getattr(data, field.name))
            if not text:
                continue
            if largest is not None and field.max_size > largest:
                field = replace(field, max_size=max(largest, field.min_size))
            fitted = _fit(field, region.box, text)
            if field.name == "first_name":
                largest = fitted.size
            blocks.append((field, fitted))
        total = sum(fitted.height + field.gap_after for field, fitted in blocks)
        if blocks:
            total -= blocks[-1][0].gap_after
        top = region.box.bottom - total if region.from_bottom else region.box.y
        for field, fitted in blocks:
            lines.extend(
                _lines(
                    field, region.box, fitted, top, field.colour, centred=geo.centred
                )
            )
            top += fitted.height + field.gap_after
    matrix = tuple(tuple(row) for row in qr_matrix(data.code))
    return Badge(
        geometry=geo,
        band_colour=band,
        label=tuple(label),
        lines=tuple(lines),
        qr_matrix=matrix,
    )


def _fit(field: Field, box: Box, text: str, height: float | None = None):
    return fit_text(
        text,
        bold=field.bold,
        width=box.width,
        height=field.budget if height is None else height,
        max_size=field.max_size,
        min_size=field.min_size,
        max_lines=field.max_lines,
    )


def _label(geo: Geometry, data: BadgeData, colour: str) -> list[Line]:
    """The role's name, centred in the band."""
    field, box = geo.label, geo.label_box
    text = clean(getattr(data, field.name))
    if not text:
        return []
    fitted = _fit(field, box, text, height=box.height)
    top = box.y + (box.height - fitted.height) / 2
    return _lines(field, box, fitted, top, colour, centred=True)


def _lines(field, box, fitted, top, colour, *, centred: bool) -> list[Line]:
    placed = []
    for i, text in enumerate(fitted.lines):
        width = text_width(text, field.bold, fitted.size)
        x = box.x + (box.width - width) / 2 if centred else box.x
        baseline = top + (ASCENT + i * LINE_PITCH) * fitted.size
        placed.append(
            Line(field.name, text, field.bold, fitted.size, x, baseline, width, colour)
        )
    return placed
