"""Lanyard badges: each attendee's name, organisation and role band, and a
QR code carrying their ticket's secret for the door.

`badge_png` and `badge_pdf` draw one badge, `badge_sheet_pdf` A4 print
sheets of many, `qr_png` just the code (for an e-mail). Each takes a ticket
(with its event and ticket type) or a `BadgeData`; the badge size comes from
settings.PSDM_BADGE_SIZE ("a6" or "4x3").
"""

from collections.abc import Callable, Iterable

from . import pdf, png
from .data import BadgeData, badge_data
from .layout import badge_layout, geometry
from .qr import qr_png


def _data(ticket_or_data) -> BadgeData:
    if isinstance(ticket_or_data, BadgeData):
        return ticket_or_data
    return badge_data(ticket_or_data)


def badge_png(ticket_or_data, dpi: int = 300, *, size: str | None = None) -> bytes:
    """Return the badge as a PNG image, `dpi` dots an inch."""
    return png.badge_png(_data(ticket_or_data), dpi=dpi, size=size)


def badge_pdf(ticket_or_data, *, size: str | None = None) -> bytes:
    """Return the badge as a one-page PDF the size of the badge."""
    return pdf.badge_pdf(_data(ticket_or_data), size=size)


def badge_sheet_pdf(
    datas: Iterable,
    on_progress: Callable[[int, int], None] | None = None,
    *,
    size: str | None = None,
) -> bytes:
    """Return A4 print sheets of the badges, sorted by surname then first
    name, calling `on_progress(done, total)` every few badges."""
    return pdf.badge_sheet_pdf(
        [_data(item) for item in datas], on_progress=on_progress, size=size
    )


__all__ = [
    "BadgeData",
    "badge_data",
    "badge_layout",
    "badge_pdf",
    "badge_png",
    "badge_sheet_pdf",
    "geometry",
    "qr_png",
]
