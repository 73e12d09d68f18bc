"""Badge benchmark: how long one badge takes to draw, and an A4 print sheet
of 250.

Run from the repository root (nothing else needs to be running):

    .venv/bin/python bench/badges.py [--renders 20] [--badges 250]
        [--size a6|4x3] [--target 5]

1. Sets Django up on a new SQLite database in a temporary directory
   (migrated, then deleted), Celery in-process and e-mail kept in memory,
   so it runs from a fresh clone with no settings and sends nothing.
2. ``badge_png_ms`` and ``badge_pdf_ms``: the median of ``--renders``
   renders of one badge (300 dpi PNG; one-page PDF), from its BadgeData (no
   database), after one warm-up render that loads the fonts.
3. ``sheet_250_seconds``: books ``--badges`` places with varied names
   (accents, very long names and organisations, Greek, Cyrillic, CJK,
   emoji) for one event, then times ``badge_sheet_build``: reading the
   places, drawing the sorted A4 sheet with cut marks, storing the PDF and
   its progress in the database. The sheet's QR codes are then spot-checked
   with zxing-cpp.
4. ``emails_250_seconds``: ``--emails`` (250) booking confirmations sent by
   a real Celery worker (prefork, 4 processes) on a private redis-server into
   a local SMTP server (bench/emails.py; needs redis-server installed).
   ``--emails 0`` skips it.
5. Prints ONE JSON line on stdout (progress on stderr).

Exits 0 if the sheet was built, has every badge, and took under
``--target`` seconds; else 1.
"""

import argparse
import json
import logging
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FIRST_NAMES = [
    "Ada",
    "Zoë",
    "Siobhán",
    "Mohammed",
    "Chidimma",
    "Łukasz",
    "Nguyễn Thị",
    "Αλέξανδρος",
    "Дмитрий",
    "小明",
    "Wolfeschlegelsteinhausenbergerdorff",
    "Mary-Elizabeth Josephine",
    "Kai 🎉",
    "Jo",
]
LAST_NAMES = [
    "Lovelace",
    "Ó'Súilleabháin-Nguyễn",
    "Okonkwo",
    "Brzęczyszczykiewicz",
    "Featherstonehaugh-Cholmondeley",
    "Παπαδόπουλος",
    "Достоевский",
    "王",
    "Smith",
    "de la Cruz y Fernández de Córdoba",
    "Wolfeschlegelsteinhausenbergerdorff",
    "Ng",
]
ORGANISATIONS = [
    "Birmingham City Council",
    "Office of the Public Guardian",
    "NHS Black Country Integrated Care Board",
    "Department for Levelling Up, Housing and Communities (West Midlands "
    "Regional Partnership and Investment Programme Delivery Unit)",
    "Υπουργείο Ψηφιακής Διακυβέρνησης",
    "東京都庁",
    "Acme Digital Ltd",
]


def log(*args) -> None:
    print(*args, file=sys.stderr, flush=True)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--renders", type=int, default=20)
    p.add_argument("--badges", type=int, default=250)
    p.add_argument("--size", choices=["a6", "4x3"], default="a6")
    p.add_argument("--target", type=float, default=5.0, help="sheet, seconds")
    p.add_argument("--emails", type=int, default=250, help="0 skips the e-mails")
    return p.parse_args()


def setup_django(directory: str, size: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "psdm.settings.base"
    os.environ["DATABASE_URL"] = f"sqlite:///{directory}/bench.sqlite3"
    os.environ["PSDM_VAR_DIR"] = directory
    os.environ["PSDM_BADGE_SIZE"] = size
    os.environ["CELERY_BROKER_URL"] = "memory://"  # tasks run in-process
    # Booking sends e-mails: keep them in memory, never on a real server.
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    os.environ.pop("EMAIL_HOST", None)
    import django

    django.setup()
    logging.getLogger("celery").setLevel(logging.WARNING)
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def median_ms(render, repeat: int) -> float:
    render()  # warm up: fonts loaded and registered
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        render()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 1)


def one_badge_ms(renders: int) -> tuple[float, float]:
    from tickets.badges import BadgeData, badge_pdf, badge_png

    data = BadgeData(
        first_name="Zoë",
        last_name="Ó'Súilleabháin-Nguyễn",
        organisation=ORGANISATIONS[3],
        role="speaker",
        role_label="Speaker",
        event_name="Public Sector Digital Midlands 2026",
        date_text="Thursday 12 March 2026",
        code="kX3v_9QpLr-2mZt8WcYb7HnJd4s",
    )
    return (
        median_ms(lambda: badge_png(data), renders),
        median_ms(lambda: badge_pdf(data), renders),
    )


def book_places(count: int):
    """An event with `count` confirmed places, names drawn from the lists
    above (the same every run)."""
    from django.utils import timezone

    from events.models import Event
    from tickets.models import BadgeRole, TicketType
    from tickets.services import AttendeeDetails, OrderLine, order_create

    start = timezone.now() + timedelta(days=30)
    event = Event.objects.create(
        name="Public Sector Digital Midlands 2026",
        slug="badge-bench",
        summary="Badges for everybody.",
        starts_at=start,
        ends_at=start + timedelta(hours=8),
        venue_name="Bench venue",
        venue_address="1 High Street\nBirmingham",
        capacity=count,
        is_published=True,
    )
    types = [
        TicketType.objects.create(
            event=event, name=role.label, badge_role=role, max_per_order=20
        )
        for role in BadgeRole
    ]
    rng = random.Random(4)  # noqa: S311 - names, not secrets
    for first in range(0, count, 20):
        lines = []
        for i in range(first, min(first + 20, count)):
            lines.append(
                OrderLine(
                    ticket_type_id=rng.choice(types).pk,
                    attendee=AttendeeDetails(
                        first_name=rng.choice(FIRST_NAMES),
                        last_name=rng.choice(LAST_NAMES),
                        email=f"person{i}@example.gov.uk",
                        organisation=rng.choice(ORGANISATIONS),
                        sector="central_government",
                    ),
                )
            )
        order_create(
            event_id=event.pk,
            buyer_name="Grace Hopper",
            buyer_email="grace@example.gov.uk",
            lines=lines,
        )
    return event


def sheet_seconds(event) -> tuple[float, dict]:
    from tickets.models import BadgeSheet, Ticket
    from tickets.services.badges import badge_sheet_build

    total = Ticket.objects.filter(event=event).count()
    sheet = BadgeSheet.objects.create(event=event, total=total)
    start = time.perf_counter()
    status = badge_sheet_build(sheet_id=sheet.pk)
    seconds = time.perf_counter() - start
    sheet.refresh_from_db()
    return seconds, {
        "status": status,
        "badges": sheet.done,
        "pdf_bytes": len(sheet.pdf or b""),
        "pdf": bytes(sheet.pdf or b""),
    }


def spot_check(pdf: bytes, event) -> int:
    """Decode the QR codes of the sheet's first page; return how many are
    secrets of the event's places."""
    import pypdfium2
    import zxingcpp

    from tickets.models import Ticket

    secrets = set(Ticket.objects.filter(event=event).values_list("secret", flat=True))
    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[0].render(scale=150 / 72).to_pil()
    finally:
        document.close()
    return sum(1 for code in zxingcpp.read_barcodes(image) if code.text in secrets)


def emails_250_seconds(count: int) -> float | None:
    """Seconds for a real Celery worker to send `count` booking
    confirmations (badge PDF, inline QR code, .ics) into a local SMTP
    server: bench/emails.py, on this benchmark's database."""
    from emails import emails_bench  # bench/emails.py, beside this script

    result = emails_bench(count)
    if not result["all_received_once"]:
        raise SystemExit(f"e-mails lost or doubled: {result}")
    return result[f"emails_{count}_seconds"]


def main() -> int:
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="psdm-badge-bench-") as directory:
        setup_django(directory, args.size)
        log(f"rendering one {args.size} badge {args.renders} times")
        png_ms, pdf_ms = one_badge_ms(args.renders)
        log(f"booking {args.badges} places")
        event = book_places(args.badges)
        log("building the print sheet")
        seconds, sheet = sheet_seconds(event)
        on_first_page = spot_check(sheet.pop("pdf"), event)
        log(f"sending {args.emails} confirmation e-mails through a real worker")
        emails = emails_250_seconds(args.emails) if args.emails else None
    result = {
        "size": args.size,
        "badge_png_ms": png_ms,
        "badge_pdf_ms": pdf_ms,
        "sheet_250_seconds": round(seconds, 2),
        "sheet_badges": sheet["badges"],
        "sheet_pdf_bytes": sheet["pdf_bytes"],
        "sheet_first_page_codes_read": on_first_page,
        "emails_250_seconds": None if emails is None else round(emails, 2),
    }
    print(json.dumps(result), flush=True)
    ok = (
        sheet["status"] == "done"
        and sheet["badges"] == args.badges
        and on_first_page == min(4 if args.size == "a6" else 6, args.badges)
        and seconds < args.target
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
