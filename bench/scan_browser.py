"""In-browser scan timing: how long from a camera frame to the verdict on
the door's check-in page, measured by the page itself.

Run from the repository root (needs /usr/bin/chromium and built assets):

    .venv/bin/python bench/scan_browser.py [--badges 12] [--fps 10]
        [--seconds-per-badge 1.5] [--workers 2] [--database-url URL]

1. Makes a throwaway SQLite database in a temporary directory (or uses
   ``--database-url``, whose event ``scan-browser`` it resets), migrates it,
   creates the event with ``--badges`` confirmed places and a door user.
2. Writes a fake camera video (YUV4MPEG2, 640 x 480, ``--fps`` frames a
   second) of each attendee's real badge held up in turn for
   ``--seconds-per-badge``, with an empty frame between badges.
3. Serves ``psdm.wsgi`` with gunicorn on a free port of 127.0.0.1 (DEBUG
   off, WhiteNoise serving the assets), always stopped at the end.
4. Starts headless Chromium filming that video, signs in on the login page,
   opens the check-in page and waits until every badge has been admitted.
5. Reads ``window.checkinTimings`` (see static/src/checkin.js) and prints
   ONE JSON line on stdout (progress on stderr):
   ``decode_ms``: the decoder's own time per frame looked at (jsQR in a
   worker here: Chromium on Linux has no BarcodeDetector);
   ``frame_ms``: drawing, copying and decoding one frame;
   ``frame_to_verdict_ms``: from the camera frame reaching the page to the
   verdict on screen (decoding, the request, the server, drawing the
   result); ``grab_to_verdict_ms``: the same from the moment the page took
   the frame; ``round_trip_ms``: the scan request alone. Each has median,
   p95 and max. A frame is looked at every ~120 ms, so a badge waits up to
   that long (60 ms on average) before its first frame is taken.

Exits 0 if every badge was admitted exactly once, else 1.
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

from rush import log, stop_gunicorn  # bench/rush.py, beside this script

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SLUG = "scan-browser"
USERNAME = "bench-door"
PASSWORD = "bench door password"
SECRET_KEY = "bench-not-secret"
CHROMIUM = "/usr/bin/chromium"


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--badges", type=int, default=12, help="attendees to admit")
    p.add_argument("--fps", type=int, default=10, help="fake camera frame rate")
    p.add_argument("--seconds-per-badge", type=float, default=1.5)
    p.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    p.add_argument("--timeout", type=float, default=120, help="seconds at most")
    p.add_argument("--database-url", help="default: a temporary SQLite file")
    return p.parse_args()


def percentiles(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    ordered = sorted(values)

    def pick(fraction: float) -> float:
        return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]

    return {
        "n": len(ordered),
        "median": round(statistics.median(ordered), 1),
        "p95": round(pick(0.95), 1),
        "max": round(ordered[-1], 1),
    }


# --- 1. the database -------------------------------------------------------


def prepare(args):
    """Migrate, reset the event, book its places and make the door user."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "psdm.settings.base"
    os.environ["DATABASE_URL"] = args.database_url
    os.environ["DJANGO_SECRET_KEY"] = SECRET_KEY
    import django

    django.setup()
    from django.contrib.auth.models import Group, Permission, User
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from events.models import Event
    from tickets.models import Order, Scan, Ticket, TicketType
    from tickets.services import AttendeeDetails, OrderLine, order_create
    from tickets.services.outbox import emails_silenced

    call_command("migrate", interactive=False, verbosity=0)
    with transaction.atomic():
        Scan.objects.filter(event__slug=SLUG).delete()
        Ticket.objects.filter(event__slug=SLUG).delete()
        Order.objects.filter(event__slug=SLUG).delete()
        TicketType.objects.filter(event__slug=SLUG).delete()
        Event.objects.filter(slug=SLUG).delete()
        start = timezone.now() + timedelta(hours=1)
        event = Event.objects.create(
            name="Scan timing conference",
            slug=SLUG,
            summary="Badges to the camera.",
            starts_at=start,
            ends_at=start + timedelta(hours=8),
            venue_name="Bench venue",
            venue_address="1 High Street\nBirmingham",
            capacity=max(args.badges, 1),
            is_published=True,
        )
        ticket_type = TicketType.objects.create(
            event=event, name="Public sector", price_pence=0, max_per_order=10
        )
    for first in range(0, args.badges, 10):
        with emails_silenced():  # bench attendees get no confirmation e-mails
            order_create(
                event_id=event.pk,
                buyer_name="Bench Buyer",
                buyer_email="buyer@example.gov.uk",
                lines=[
                    OrderLine(
                        ticket_type_id=ticket_type.pk,
                        attendee=AttendeeDetails(
                            first_name=f"Attendee{n:03d}",
                            last_name="Bench",
                            email=f"attendee{n}@example.gov.uk",
                            organisation="Office of the Public Guardian",
                            sector="central_government",
                        ),
                    )
                    for n in range(first, min(first + 10, args.badges))
                ],
            )
    user, _ = User.objects.get_or_create(username=USERNAME)
    user.set_password(PASSWORD)
    user.save()
    group, _ = Group.objects.get_or_create(name="Door staff")
    group.permissions.add(
        Permission.objects.get(content_type__app_label="tickets", codename="check_in")
    )
    user.groups.add(group)
    tickets = list(
        Ticket.objects.filter(event=event)
        .select_related("event", "ticket_type")
        .order_by("pk")
    )
    return event, tickets


def count_admitted(event) -> dict:
    from tickets.models import Scan, Ticket

    return {
        "checked_in": Ticket.objects.filter(
            event=event, checked_in_at__isnull=False
        ).count(),
        "admitted_scans": Scan.objects.filter(event=event, result="admitted").count(),
    }


# --- 2. the video ----------------------------------------------------------


def write_video(path: Path, tickets, args) -> Path:
    from tests.browser.fake_camera import (
        badge_frame,
        badge_picture,
        blank_frame,
        write_y4m,
    )

    held = max(1, round(args.seconds_per_badge * args.fps))
    gap = max(1, round(0.5 * args.fps))
    frames = []
    for ticket in tickets:
        picture = badge_picture(ticket)
        frames += [badge_frame(picture, shift=(i % 3, -(i % 2))) for i in range(held)]
        frames += [blank_frame()] * gap
    write_y4m(path, frames, fps=args.fps)
    return path


# --- 3. gunicorn -----------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(args, port: int, logfile) -> subprocess.Popen:
    env = dict(
        os.environ,
        DATABASE_URL=args.database_url,
        DJANGO_DEBUG="false",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECRET_KEY=SECRET_KEY,
    )
    cmd = [
        str(Path(sys.executable).parent / "gunicorn"),
        "psdm.wsgi",
        f"--bind=127.0.0.1:{port}",
        f"--workers={args.workers}",
        "--no-control-socket",
    ]
    log("starting gunicorn", " ".join(cmd[2:]))
    return subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=logfile, stderr=logfile, start_new_session=True
    )


def wait_until_up(base: str, proc: subprocess.Popen, limit: float = 30) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(f"{base}/checkin/login/", timeout=2) as r:  # noqa: S310
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


# --- 4. the browser --------------------------------------------------------


def run_browser(base: str, video: Path, args) -> dict:
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM_ARGS
    from tests.browser.fake_camera import camera_args

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS + camera_args(video)
        )
        try:
            context = chromium.new_context(
                base_url=base,
                locale="en-GB",
                viewport={"width": 390, "height": 844},
                is_mobile=True,
                has_touch=True,
                permissions=["camera"],
            )
            page = context.new_page()
            page.goto(f"/checkin/{SLUG}/")  # to the login page and back
            page.get_by_label("Username").fill(USERNAME)
            page.get_by_label("Password").fill(PASSWORD)
            with page.expect_navigation():
                page.get_by_role("button", name="Sign in").click()
            if not page.url.endswith(f"/checkin/{SLUG}/"):
                raise RuntimeError(f"signing in failed: at {page.url}")
            log(f"scanning {args.badges} badges from the camera")
            started = time.monotonic()
            deadline = started + args.timeout
            admitted = 0
            while time.monotonic() < deadline:
                admitted = page.evaluate(
                    """() => (window.checkinTimings?.scans ?? [])
                        .filter((s) => s.result === "admitted").length"""
                )
                if admitted >= args.badges:
                    break
                time.sleep(0.25)
            elapsed = time.monotonic() - started
            page.wait_for_timeout(300)  # the last verdict's timing is recorded
            timings = page.evaluate("window.checkinTimings")
        finally:
            chromium.close()
    log(f"{admitted} admitted in {elapsed:.1f} s")
    return {"timings": timings, "elapsed_s": elapsed}


# --- 5. figures ------------------------------------------------------------


def summarise(run: dict) -> dict:
    timings = run["timings"]
    frames = timings["frames"]
    scans = [s for s in timings["scans"] if s["source"] == "camera"]
    admitted = [s for s in scans if s["result"] == "admitted"]

    def values(rows, key):
        return [row[key] for row in rows if row.get(key) is not None]

    return {
        "decoder": timings["decoder"],
        "frames_looked_at": len(frames),
        "frames_with_a_code": sum(1 for f in frames if f["found"]),
        "decode_ms": percentiles(values(frames, "decodeMs")),
        "frame_ms": percentiles(values(frames, "grabToDecodedMs")),
        "frame_to_verdict_ms": percentiles(values(scans, "frameToVerdictMs")),
        "grab_to_verdict_ms": percentiles(values(scans, "grabToVerdictMs")),
        "round_trip_ms": percentiles(values(scans, "roundTripMs")),
        "verdicts": len(scans),
        "admitted_on_page": len(admitted),
        "elapsed_s": round(run["elapsed_s"], 1),
    }


def main() -> int:
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="scan-browser-") as tmp:
        tmp = Path(tmp)
        args.database_url = args.database_url or f"sqlite:///{tmp / 'db.sqlite3'}"
        event, tickets = prepare(args)
        video = write_video(tmp / "badges.y4m", tickets, args)
        log(f"video: {video.stat().st_size / 1e6:.0f} MB, {len(tickets)} badges")
        port = free_port()
        with open(tmp / "gunicorn.log", "w") as logfile:
            proc = start_gunicorn(args, port, logfile)
            try:
                base = f"http://127.0.0.1:{port}"
                wait_until_up(base, proc)
                run = run_browser(base, video, args)
            finally:
                stop_gunicorn(proc)
        figures = summarise(run)
        figures.update(count_admitted(event))
        figures["badges"] = args.badges
        figures["camera_fps"] = args.fps
    print(json.dumps(figures))
    ok = figures["checked_in"] == figures["admitted_scans"] == args.badges
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
