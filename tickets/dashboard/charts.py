"""Charts drawn as inline SVG, on the server, with no JavaScript.

Every chart is `role="img"` with a `<title>` naming it and an aria-label that
says what it shows; the page puts the same numbers in a table beside it.
Every piece of text is escaped here, so a ticket type called
`<script>` is drawn as text. Colours come from classes styled in the page
(tickets/templates/admin/tickets/dashboard.html), light and dark; each bar
is labelled with its number, so nothing is told by colour alone.
"""

from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 640
LABEL_WIDTH = 220
ROW_HEIGHT = 28
BAR_HEIGHT = 18
FONT_SIZE = 13
MIN_SEGMENT_WIDTH = 4
MAX_COLUMN_WIDTH = 48


@dataclass(frozen=True)
class Segment:
    """A part of a stacked bar; `kind` picks its style (confirmed, held...)."""

    label: str
    value: int
    kind: str


@dataclass(frozen=True)
class Point:
    label: str
    value: int
    # Shown under the column; empty to leave a crowded axis readable.
    tick: str = ""


def _num(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _text_width(text: str) -> int:
    """Roughly how wide `text` is drawn (no fonts are measured here)."""
    return int(len(text) * FONT_SIZE * 0.6)


def _svg(*, chart_id: str, title: str, summary: str, height: int, body: str):
    chart_id = escape(chart_id)
    return mark_safe(  # noqa: S308 - every piece of text is escaped above
        f'<svg xmlns="http://www.w3.org/2000/svg" class="psdm-chart" '
        f'id="{chart_id}" role="img" aria-labelledby="{chart_id}-title" '
        f'aria-describedby="{chart_id}-desc" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" '
        f'font-size="{FONT_SIZE}">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(summary)}</desc>'
        f"{body}</svg>"
    )


def stacked_bar(
    *, chart_id: str, title: str, segments: list[Segment], total: int
) -> SafeString:
    """Draw one horizontal bar split into segments of `total`, each named
    with its number in a key under the bar."""
    total = max(total, sum(s.value for s in segments), 1)
    summary = ", ".join(f"{s.label}: {s.value}" for s in segments)
    bar_y, bar_h = 4, 36
    parts, x = [], 0.0
    for segment in segments:
        width = WIDTH * segment.value / total
        if segment.value:
            # One place of 250 would be a hairline: keep every part in sight.
            width = max(width, MIN_SEGMENT_WIDTH)
        width = min(width, WIDTH - x)
        if width > 0:
            parts.append(
                f'<rect class="bar bar-{escape(segment.kind)}" x="{_num(x)}" '
                f'y="{bar_y}" width="{_num(width)}" height="{bar_h}"/>'
            )
        # The number on the segment itself when it fits (the key has it too).
        if width >= _text_width(str(segment.value)) + 12:
            parts.append(
                f'<text class="on-{escape(segment.kind)}" x="{_num(x + 6)}" '
                f'y="{bar_y + bar_h / 2 + 5:.0f}">{segment.value}</text>'
            )
        x += width
    # The key: a swatch, the name and the number, one after another, in the
    # same order as the bar reads from left to right.
    key_y = bar_y + bar_h + 24
    key_x = 0
    for segment in segments:
        label = f"{segment.label}: {segment.value}"
        parts.append(
            f'<rect class="bar bar-{escape(segment.kind)}" x="{key_x}" '
            f'y="{key_y - 12}" width="14" height="14"/>'
            f'<text x="{key_x + 20}" y="{key_y}">{escape(label)}</text>'
        )
        key_x += 20 + _text_width(label) + 24
    return _svg(
        chart_id=chart_id,
        title=title,
        summary=summary,
        height=key_y + 10,
        body="".join(parts),
    )


def bar_chart(*, chart_id: str, title: str, items: list[Point]) -> SafeString:
    """Draw one horizontal bar per item, its name on the left and its number
    at the end of the bar."""
    top = max((item.value for item in items), default=0) or 1
    room = WIDTH - LABEL_WIDTH - 50
    parts = []
    for row, item in enumerate(items):
        y = row * ROW_HEIGHT
        width = room * item.value / top
        label = item.label if len(item.label) <= 30 else item.label[:29] + "…"
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 17}" text-anchor="end">'
            f"{escape(label)}</text>"
        )
        if width > 0:
            parts.append(
                f'<rect class="bar bar-confirmed" x="{LABEL_WIDTH}" y="{y + 4}" '
                f'width="{_num(width)}" height="{BAR_HEIGHT}"/>'
            )
        parts.append(
            f'<text x="{_num(LABEL_WIDTH + width + 6)}" y="{y + 17}">'
            f"{item.value}</text>"
        )
    summary = ", ".join(f"{item.label}: {item.value}" for item in items)
    return _svg(
        chart_id=chart_id,
        title=title,
        summary=summary,
        height=max(len(items), 1) * ROW_HEIGHT + 4,
        body="".join(parts),
    )


def column_chart(
    *,
    chart_id: str,
    title: str,
    points: list[Point],
) -> SafeString:
    """Draw one column per point (a day, a quarter of an hour), its number
    above it when there is room."""
    plot_top, plot_height, axis_room = 20, 160, 40
    left = 8
    n = max(len(points), 1)
    slot = (WIDTH - 2 * left) / n
    col = min(max(slot * 0.7, 1), MAX_COLUMN_WIDTH)
    top = max((p.value for p in points), default=0) or 1
    baseline = plot_top + plot_height
    parts = [
        f'<line class="axis" x1="{left}" y1="{baseline}" '
        f'x2="{WIDTH - left}" y2="{baseline}"/>'
    ]
    label_every = max(1, round(n / 16))
    for index, point in enumerate(points):
        x = left + index * slot + (slot - col) / 2
        height = plot_height * point.value / top
        centre = _num(x + col / 2)
        if height > 0:
            parts.append(
                f'<rect class="bar bar-confirmed" x="{_num(x)}" '
                f'y="{_num(baseline - height)}" width="{_num(col)}" '
                f'height="{_num(height)}"/>'
            )
        if point.value and (n <= 31 or point.value == top):
            parts.append(
                f'<text x="{centre}" y="{_num(baseline - height - 4)}" '
                f'text-anchor="middle" font-size="11">{point.value}</text>'
            )
        if point.tick and index % label_every == 0:
            parts.append(
                f'<text x="{centre}" y="{baseline + 16}" text-anchor="middle" '
                f'font-size="11">{escape(point.tick)}</text>'
            )
    summary = ", ".join(f"{p.label}: {p.value}" for p in points)
    return _svg(
        chart_id=chart_id,
        title=title,
        summary=summary,
        height=baseline + axis_room,
        body="".join(parts),
    )
