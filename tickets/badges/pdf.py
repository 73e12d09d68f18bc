"""Badges as PDF: one badge a page, or print sheets of them on A4. The QR
code is drawn as vector rectangles, so it stays sharp at any printer's
resolution."""

import io
from collections.abc import Callable, Iterable

from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from .data import BadgeData, sort_key
from .fonts import font_name
from .layout import Badge, badge_layout, geometry
from .qr import dark_runs

PROGRESS_EVERY = 10  # badges between two on_progress calls

# Cut marks stop this far short of the cut, so no trace is left on a badge,
# and are drawn only in a margin wide enough to hold one.
MARK_GAP = 1 * mm
MARK_LENGTH = 6 * mm
MARK_MIN_MARGIN = 2 * mm
# On print sheets, badges are scaled down just enough to leave this margin
# all round: office printers cannot print to the edge of the paper, and the
# cut marks need somewhere to go. Four A6 badges would otherwise fill A4
# exactly. A slightly smaller card still fits the pouch it was sized for.
SHEET_MARGIN = 8 * mm


def sheet_layout(geo) -> tuple[float, float, float]:
    """(scale, margin_x, margin_y) of badges on an A4 print sheet."""
    page_width, page_height = A4
    columns, rows = geo.sheet_columns, geo.sheet_rows
    scale = min(
        1.0,
        (page_width - 2 * SHEET_MARGIN) / (columns * geo.width),
        (page_height - 2 * SHEET_MARGIN) / (rows * geo.height),
    )
    margin_x = (page_width - columns * geo.width * scale) / 2
    margin_y = (page_height - rows * geo.height * scale) / 2
    return scale, margin_x, margin_y


def _canvas(out, pagesize, title: str) -> Canvas:
    # invariant: no timestamps or random ids, so the same badges give the
    # same bytes.
    canvas = Canvas(out, pagesize=pagesize, invariant=True, pageCompression=1)
    canvas.setTitle(title)
    canvas.setCreator("psdm")
    return canvas


def draw_badge(canvas: Canvas, badge: Badge, left: float, top: float) -> None:
    """Draw `badge` with its top left corner at (`left`, `top`) in PDF
    coordinates (which run up from the bottom of the page)."""
    geo = badge.geometry
    band = geo.band
    canvas.setFillColor(HexColor(badge.band_colour))
    canvas.rect(left + band.x, top - band.bottom, band.width, band.height, 0, 1)
    for line in (*badge.label, *badge.lines):
        canvas.setFillColor(HexColor(line.colour))
        canvas.setFont(font_name(line.bold), line.size)
        canvas.drawString(left + line.x, top - line.baseline, line.text)
    qr = geo.qr
    module = qr.width / len(badge.qr_matrix)
    path = canvas.beginPath()
    for row, column, length in dark_runs(badge.qr_matrix):
        path.rect(
            left + qr.x + column * module,
            top - qr.y - (row + 1) * module,
            length * module,
            module,
        )
    canvas.setFillColor(HexColor("#000000"))
    # One filled path: no hairline seams between modules when rasterised.
    canvas.drawPath(path, stroke=0, fill=1)


def badge_pdf(data: BadgeData, size: str | None = None) -> bytes:
    """Return one badge as a PDF of one page, the size of the badge."""
    badge = badge_layout(data, size)
    geo = badge.geometry
    out = io.BytesIO()
    canvas = _canvas(
        out, (geo.width, geo.height), f"Badge: {data.first_name} {data.last_name}"
    )
    draw_badge(canvas, badge, 0, geo.height)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def badge_sheet_pdf(
    datas: Iterable[BadgeData],
    on_progress: Callable[[int, int], None] | None = None,
    size: str | None = None,
) -> bytes:
    """Return the badges as A4 print sheets (A6: 2 x 2 a page; 4 x 3: 2
    columns of 3), in surname then first name order, with cut marks in the
    margins. `on_progress(done, total)` is called every few badges and once
    at the end."""
    geo = geometry(size)
    datas = sorted(datas, key=sort_key)
    total = len(datas)
    page_width, page_height = A4
    columns, rows = geo.sheet_columns, geo.sheet_rows
    scale, margin_x, margin_y = sheet_layout(geo)
    width, height = geo.width * scale, geo.height * scale
    per_page = columns * rows
    out = io.BytesIO()
    canvas = _canvas(out, A4, "Badges")
    for index, data in enumerate(datas):
        slot = index % per_page
        column, row = slot % columns, slot // columns
        canvas.saveState()
        canvas.translate(
            margin_x + column * width, page_height - margin_y - (row + 1) * height
        )
        canvas.scale(scale, scale)
        draw_badge(canvas, badge_layout(data, geo.name), 0, geo.height)
        canvas.restoreState()
        done = index + 1
        if slot == per_page - 1 or done == total:
            _cut_marks(canvas, geo, scale, margin_x, margin_y)
            canvas.showPage()
        if on_progress and (done % PROGRESS_EVERY == 0 or done == total):
            on_progress(done, total)
    if not total:
        canvas.showPage()
        if on_progress:
            on_progress(0, 0)
    canvas.save()
    return out.getvalue()


def _cut_marks(
    canvas: Canvas, geo, scale: float, margin_x: float, margin_y: float
) -> None:
    """Short lines in the page margins, in line with every cut."""
    page_width, page_height = A4
    columns, rows = geo.sheet_columns, geo.sheet_rows
    canvas.setStrokeColor(HexColor("#000000"))
    canvas.setLineWidth(0.3)
    if margin_y >= MARK_MIN_MARGIN:
        length = min(MARK_LENGTH, margin_y - MARK_GAP)
        for i in range(columns + 1):
            x = margin_x + i * geo.width * scale
            bottom, top = margin_y, page_height - margin_y
            canvas.line(x, bottom - MARK_GAP, x, bottom - MARK_GAP - length)
            canvas.line(x, top + MARK_GAP, x, top + MARK_GAP + length)
    if margin_x >= MARK_MIN_MARGIN:
        length = min(MARK_LENGTH, margin_x - MARK_GAP)
        for j in range(rows + 1):
            y = margin_y + j * geo.height * scale
            left, right = margin_x, page_width - margin_x
            canvas.line(left - MARK_GAP, y, left - MARK_GAP - length, y)
            canvas.line(right + MARK_GAP, y, right + MARK_GAP + length, y)
