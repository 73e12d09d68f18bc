"""Badges: their QR codes scan to the ticket's secret, in PNG and PDF and at
both sizes, and their text always fits, whatever the attendee is called."""

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import zxingcpp
from django.core.exceptions import ImproperlyConfigured
from PIL import Image, ImageFilter
from pypdf import PdfReader
from reportlab.lib.units import inch, mm

from tests.conftest import book, make_event, make_ticket_type
from tests.tickets.scan import pdf_pages, scan_pdf, scan_png
from tickets.badges import (
    BadgeData,
    badge_data,
    badge_layout,
    badge_pdf,
    badge_png,
    geometry,
    qr_png,
)
from tickets.badges.fonts import ELLIPSIS, MISSING, clean
from tickets.badges.layout import ROLE_COLOURS
from tickets.badges.qr import QUIET_ZONE
from tickets.models import BadgeRole

SIZES = ["a6", "4x3"]
CODE = "kX3v_9QpLr-2mZt8WcYb7HnJd4s"  # 27 characters, like a ticket's secret

LONG_ORGANISATION = (  # 200 characters, the most the form takes
    "Wolfeschlegelsteinhausenbergerdorff Consolidated Department for "
    "Extremely Long Organisation Names, Acronyms, Abbreviations and Other "
    "Things (West Midlands, Staffordshire and Warwickshire Joint Committee)"
)
PEOPLE = {
    "plain": ("Ada", "Lovelace", "Office of the Public Guardian"),
    "accents": ("Zoë", "Ó'Súilleabháin-Nguyễn", "Comhairle Contae Dhún na nGall"),
    "long": (
        "Wolfeschlegelsteinhausenbergerdorff",
        "Wolfeschlegelsteinhausenbergerdorff-Featherstonehaugh",
        LONG_ORGANISATION,
    ),
    "greek-cyrillic": ("Αλέξανδρος", "Достоевский", "Υπουργείο Ψηφιακής Διακυβέρνησης"),
    "emoji-cjk": ("小明 🎉", "王 👩🏽‍💻", "東京都庁 🏛️ Tokyo Metropolitan Government"),
    "hostile": ("\x00Robert\u200b\t\n", "'); DROP TABLE--\u202e", "<b>&amp;</b>"),
    "empty": ("", "", ""),
}


def data(person="plain", *, role="attendee", code=CODE, **overrides) -> BadgeData:
    first, last, organisation = PEOPLE[person]
    values = {
        "first_name": first,
        "last_name": last,
        "organisation": organisation,
        "role": role,
        "role_label": str(BadgeRole(role).label),
        "event_name": "Public Sector Digital Midlands 2026",
        "date_text": "Thursday 12 March 2026",
        "code": code,
    }
    values.update(overrides)
    return BadgeData(**values)


# --- the QR code scans ----------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("person", list(PEOPLE))
def test_png_badge_scans_to_the_secret(size, person):
    """The QR code on a PNG badge reads back as exactly the ticket's secret."""
    assert scan_png(badge_png(data(person), size=size)) == [CODE]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("person", ["plain", "long", "emoji-cjk", "hostile"])
def test_pdf_badge_scans_to_the_secret_when_rasterised(size, person):
    """Printed (rasterised at 150 dpi), the PDF badge's code still reads."""
    assert scan_pdf(badge_pdf(data(person), size=size), dpi=150) == [CODE]


@pytest.mark.parametrize("size", SIZES)
def test_png_badge_scans_when_photographed_small_and_askew(size):
    """A badge shrunk to a quarter and turned still reads: the door's
    camera is never square on."""
    image = Image.open(io.BytesIO(badge_png(data(), dpi=300, size=size)))
    image = image.resize((image.width // 4, image.height // 4)).rotate(
        12, expand=True, fillcolor="white"
    )
    assert [code.text for code in zxingcpp.read_barcodes(image)] == [CODE]


@pytest.mark.parametrize("size, smallest_mm", [("a6", 40), ("4x3", 35)])
def test_qr_code_is_big_enough_to_scan_at_arms_length(size, smallest_mm):
    """The code (without its quiet zone) is at least 40 mm across on A6 and
    35 mm on 4 x 3, measured on the printed image; error correction M."""
    dpi = 300
    image = Image.open(io.BytesIO(badge_png(data(), dpi=dpi, size=size)))
    [code] = zxingcpp.read_barcodes(image)
    position = code.position
    across_px = position.top_right.x - position.top_left.x
    assert across_px / dpi * 25.4 >= smallest_mm
    assert code.ec_level == "M"


@pytest.mark.parametrize("size", SIZES)
def test_qr_code_keeps_a_white_quiet_zone_of_four_modules(size):
    """Nothing is drawn in the four modules of white around the code."""
    dpi = 200
    layout = badge_layout(data("long"), size)
    image = Image.open(io.BytesIO(badge_png(data("long"), dpi=dpi, size=size)))
    qr = layout.geometry.qr
    module = qr.width / len(layout.qr_matrix)
    scale = dpi / 72
    outer = [round(v * scale) for v in (qr.x, qr.y, qr.right, qr.bottom)]
    inset = 4 * module * scale - 2  # stay clear of the first module
    ring = image.convert("L").crop(outer)
    width, height = ring.size
    pixels = ring.load()
    for y in range(height):
        for x in range(width):
            if min(x, y, width - 1 - x, height - 1 - y) < inset:
                assert pixels[x, y] == 255, (x, y)
    assert len(layout.qr_matrix) == 29 + 2 * 4  # version 3, 4 modules each side
    assert QUIET_ZONE == 4


def test_qr_png_is_just_the_code():
    """The QR code alone, for an e-mail: 8 pixels a module, quiet zone
    included, reads back as the secret."""
    png = qr_png(CODE)
    image = Image.open(io.BytesIO(png))
    assert image.size == (37 * 8, 37 * 8)
    assert scan_png(png) == [CODE]
    assert Image.open(io.BytesIO(qr_png(CODE, box_size=3))).size == (111, 111)


# --- sizes ----------------------------------------------------------------


@pytest.mark.parametrize(
    "size, points, pixels",
    [("a6", (105 * mm, 148 * mm), (1240, 1748)), ("4x3", (288, 216), (1200, 900))],
)
def test_badge_is_the_size_of_the_pouch(size, points, pixels):
    """A6 portrait is 105 x 148 mm; 4 x 3 is 4 inches wide, 3 tall."""
    page = PdfReader(io.BytesIO(badge_pdf(data(), size=size))).pages
    assert len(page) == 1
    box = page[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx(points, abs=0.01)
    assert Image.open(io.BytesIO(badge_png(data(), size=size))).size == pixels
    assert geometry(size).width == pytest.approx(points[0])
    assert 4 * inch == pytest.approx(288)


def test_badge_size_comes_from_the_setting(settings):
    settings.PSDM_BADGE_SIZE = "4x3"
    assert Image.open(io.BytesIO(badge_png(data(), dpi=72))).size == (288, 216)
    settings.PSDM_BADGE_SIZE = "A6"
    assert Image.open(io.BytesIO(badge_png(data(), dpi=72))).size == (298, 420)


def test_an_unknown_badge_size_is_refused_clearly(settings):
    settings.PSDM_BADGE_SIZE = "a5"
    with pytest.raises(ImproperlyConfigured, match="PSDM_BADGE_SIZE"):
        badge_pdf(data())


# --- the layout -----------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("person", list(PEOPLE))
@pytest.mark.parametrize("role", [choice.value for choice in BadgeRole])
def test_text_stays_inside_its_boxes(size, person, role):
    """Every line is on the badge, inside its own area, clear of the QR
    code and the band and of every other line; the role sits in the band."""
    badge = badge_layout(data(person, role=role), size)
    geo = badge.geometry
    areas = [region.box for region in geo.regions]
    for line in badge.lines:
        assert geo.page.contains(line.box), line
        assert any(area.contains(line.box) for area in areas), line
        assert not line.box.overlaps(geo.qr), line
        assert not line.box.overlaps(geo.band), line
    for i, line in enumerate(badge.lines):
        assert not any(line.box.overlaps(o.box) for o in badge.lines[i + 1 :])
    for line in badge.label:
        assert geo.label_box.contains(line.box)
    assert [line.text for line in badge.label] == [str(BadgeRole(role).label)]


@pytest.mark.parametrize("size", SIZES)
def test_long_names_wrap_then_are_cut_short(size):
    """Names take two lines at most and the organisation three; what still
    does not fit ends in an ellipsis, at the smallest size allowed."""
    badge = badge_layout(data("long"), size)
    lines = _by_field(badge)
    assert len(lines["first_name"]) == 2 and len(lines["last_name"]) == 2
    assert len(lines["organisation"]) == 3
    assert lines["organisation"][-1].text.endswith(ELLIPSIS)
    assert lines["last_name"][-1].text.endswith(ELLIPSIS)
    fields = {f.name: f for region in badge.geometry.regions for f in region.fields}
    for name in ("first_name", "last_name", "organisation"):
        assert {line.size for line in lines[name]} == {fields[name].min_size}


def _by_field(badge) -> dict[str, list]:
    lines: dict[str, list] = {}
    for line in badge.lines:
        lines.setdefault(line.field, []).append(line)
    return lines


def test_text_shrinks_before_it_wraps():
    """A first name too wide at the largest size is made smaller, on one
    line, rather than wrapped."""
    lines = _by_field(badge_layout(data(first_name="Maximilianus"), "a6"))
    [first] = lines["first_name"]
    assert first.text == "Maximilianus"
    assert 20 <= first.size < 36
    [last] = lines["last_name"]
    assert (last.text, last.size) == ("Lovelace", 26)


@pytest.mark.parametrize("size", SIZES)
def test_first_name_is_the_largest_text_then_the_last_name(size):
    badge = badge_layout(data("accents"), size)
    lines = _by_field(badge)
    [first] = lines["first_name"]
    assert first.text == "Zoë"
    assert first.size == max(line.size for line in badge.lines)
    assert [line.text for line in lines["last_name"]] in (
        ["Ó'Súilleabháin-Nguyễn"],
        ["Ó'Súilleabháin-", "Nguyễn"],
    )
    order = [line.field for line in badge.lines]
    assert order.index("last_name") < order.index("organisation")
    assert order.index("organisation") < order.index("event_name")
    assert order.index("event_name") < order.index("date_text")


@pytest.mark.parametrize("size", SIZES)
def test_a_short_surname_is_never_bigger_than_a_long_first_name(size):
    badge = badge_layout(
        data(first_name="Maximilianus-Alexandrinus", last_name="Ng"), size
    )
    lines = _by_field(badge)
    first_size = lines["first_name"][0].size
    [last] = lines["last_name"]
    assert last.text == "Ng" and last.size <= first_size
    assert first_size < 26  # shrunk (4 x 3) or wrapped (A6) below the surname's size


def test_a_word_too_long_for_a_line_is_hyphenated():
    """A surname too long for the line is broken, with a hyphen, not cut."""
    name = "Wolfeschlegelsteinhausenbergerdorff"
    badge = badge_layout(data(last_name=name), "4x3")
    last = [line.text for line in _by_field(badge)["last_name"]]
    assert len(last) == 2 and last[0].endswith("-")
    assert last[0][:-1] + last[1] == name


def test_characters_the_font_lacks_become_boxes_and_invisible_ones_go():
    """CJK (not in DejaVu) is drawn as a box rather than crashing; emoji
    modifiers, joiners, control and direction characters are dropped."""
    assert clean("王 小明") == f"{MISSING} {MISSING}{MISSING}"
    assert clean("Zoë\u200b \u202eO\u0301\tx\n") == "Zoë Ó x"
    # A woman technologist: two emoji the font lacks, tone and joiner gone.
    assert clean("👩🏽\u200d💻 😀") == f"{MISSING}{MISSING} 😀"


@pytest.mark.parametrize("role", [choice.value for choice in BadgeRole])
def test_role_colours_pass_wcag_aa(role):
    """Each band's label has a contrast ratio of at least 4.5:1."""
    band, ink = ROLE_COLOURS[role]
    assert _contrast(band, ink) >= 4.5


def test_roles_have_different_colours():
    assert len({band for band, _ink in ROLE_COLOURS.values()}) == len(BadgeRole)


def _contrast(a: str, b: str) -> float:
    def luminance(colour):
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [
            c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
            for c in channels
        ]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted([luminance(a), luminance(b)], reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("person", ["plain", "long", "emoji-cjk"])
def test_png_and_pdf_look_the_same(size, person):
    """Drawn from one layout, the PNG and the PDF (rasterised) match pixel
    for pixel, give or take a pixel of anti-aliasing at the edges."""
    dpi = 100
    png = Image.open(io.BytesIO(badge_png(data(person), dpi=dpi, size=size)))
    png = png.convert("L")
    [page] = pdf_pages(badge_pdf(data(person), size=size), dpi=dpi)
    page = page.convert("L").crop((0, 0, *png.size))
    allowed = png.width * png.height // 2000
    assert _unlike(png, page) <= allowed
    assert _unlike(page, png) <= allowed


def _unlike(image, other) -> int:
    """Pixels of `image` far lighter or darker than every pixel of `other`
    around the same place."""
    darkest = other.filter(ImageFilter.MinFilter(3)).get_flattened_data()
    lightest = other.filter(ImageFilter.MaxFilter(3)).get_flattened_data()
    return sum(
        1
        for value, low, high in zip(
            image.get_flattened_data(), darkest, lightest, strict=True
        )
        if value < low - 96 or value > high + 96
    )


# --- from a ticket ----------------------------------------------------------


def _booked_for(starts_at, ends_at, **ticket_type):
    """A ticket booked now for an event then moved to the given dates."""
    event = make_event(name="PSDM Spring")
    ticket = book(event, make_ticket_type(event, **ticket_type)).tickets.get()
    type(event).objects.filter(pk=event.pk).update(starts_at=starts_at, ends_at=ends_at)
    return type(ticket).objects.select_related("event", "ticket_type").get(pk=ticket.pk)


def test_badge_data_comes_from_the_ticket(db):
    london = ZoneInfo("Europe/London")
    ticket = _booked_for(
        datetime(2026, 3, 12, 9, 0, tzinfo=london),
        datetime(2026, 3, 12, 17, 0, tzinfo=london),
        name="Speaker",
        badge_role=BadgeRole.SPEAKER,
    )
    badge = badge_data(ticket)
    assert badge == BadgeData(
        first_name="Ada0",
        last_name="Lovelace",
        organisation="Office of the Public Guardian",
        role="speaker",
        role_label="Speaker",
        event_name="PSDM Spring",
        date_text="Thursday 12 March 2026",
        code=ticket.secret,
    )
    assert len(ticket.secret) == 27
    assert scan_png(badge_png(ticket)) == [ticket.secret]


def test_an_event_over_two_days_shows_both_dates(db):
    london = ZoneInfo("Europe/London")
    ticket = _booked_for(
        datetime(2026, 3, 12, 9, 0, tzinfo=london),
        datetime(2026, 3, 13, 17, 0, tzinfo=london),
    )
    assert badge_data(ticket).date_text == (
        "Thursday 12 March 2026 to Friday 13 March 2026"
    )
