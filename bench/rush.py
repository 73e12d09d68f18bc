"""Rush benchmark: many browsers race through the real booking flow at once.

Run from the repository root (PostgreSQL on 127.0.0.1:5432 must be up):

    .venv/bin/python bench/rush.py [--clients 1000] [--capacity 250]
        [--workers 3] [--threads 1] [--timeout 30] [--database-url URL]
        [--production] [--floor-requests 2000] [--probe-flows 20]
        [--probe-repeat 200] [--pages-database-url URL]

1. Creates the database if missing (default ``psdm_bench``, a benchmark
   database: each run deletes all its sessions), migrates it and resets the
   event ``rush``: published, in 30 days, ``--capacity`` places and one free
   ticket type "Public sector" (10 per order at most, no quota).
2. Serves ``psdm.wsgi`` with gunicorn on a free port of 127.0.0.1, DEBUG off,
   and always stops it (also on Ctrl-C). ``--threads 1`` means sync workers,
   more means gthread; more options can go in ``GUNICORN_CMD_ARGS``. 3 sync
   workers was the best on 2 cores (against 2, 4 and 6 sync, gthread 2x4,
   4x4 and 3x8: all CPU-bound and within run-to-run noise). gthread closes
   kept-alive connections after 2 s, which under this overload resets queued
   requests (ClientOSError) unless ``GUNICORN_CMD_ARGS=--keep-alive=75``.
   Beside it, the same gunicorn command (same workers, same environment)
   serves the floor, ``bench/floor_app.py``: a bare WSGI app answering one
   byte string.
3. The floor: ``--floor-requests`` sequential requests to the bare app
   (after 100 unmeasured), reading the CPU of its gunicorn (utime + stime
   of master and workers, from ``/proc/<pid>/stat``) once before and once
   after them all: the total over the requests divided by their number, so
   the 10 ms kernel tick is about 1% of it, never a whole request's worth.
   Measured twice, before and after the rush, as the host's speed drifts;
   ``floor_cpu_ms`` is their mean.
4. The rush: starts ``--clients`` clients at once. Each has its own cookie
   jar, like a browser, and tries once to book one place: GET and POST the
   choose page (``qty_<id>=1``), then follows the site's redirects through
   the steps under ``/events/rush/book/`` (your details, attendee N, check
   your answers...), posting on each the form the page shows (its visible
   fields filled as a person would, hidden fields and default choices as
   they are, so "I'm booking for myself" stays as the site sets it) until
   the redirect to ``/bookings/<reference>/``, whose page must show the
   reference. This works with the flow where your-details asks for the
   buyer and attendee/1/ for the attendee, and with the one where a
   one-place booking has the attendee's details on your-details. POSTs send
   the form's CSRF token and Origin and Referer as a browser does (over http
   Django checks the token, and Origin when sent). A 409 saying "sold out",
   a booking page with no form as the event is sold out, or a 200/409 at the
   choose POST saying "sold out", "not enough places left" or "only N places
   left" is a clean sold-out answer; so is the 409 "places have gone" page
   that any later step shows once the pool cannot take the places chosen.
   Anything else (5xx, other status, a form sent back with errors, timeout,
   connection error) counts once in ``errors`` and ends that client.
5. Counts the event's confirmed tickets and reads its places_taken counter.
6. The probe, once the rush's gunicorns are stopped: bench/pages.py's
   ``measure()`` on its own database (``--pages-database-url``, default
   ``psdm_pages``, the event ``rush`` there reset for it), with
   ``--probe-flows`` bookings and ``--probe-repeat`` requests a page (3x
   that to its floor), same settings (``--production``). It serves the
   floor app, then the site, each with one sync worker that counts its own
   process CPU per request (bench/gunicorn_cpu.py, to the nanosecond; reads
   of ``/proc`` from outside give 10 ms ticks per request, and schedstat
   reads 0 on these hosts), requests one at a time. It runs after the rush,
   not before, so the rush starts on a quiet machine as before
   (``host_busy_before_pct`` is not the probe's leftovers) and a rush that
   fails costs no probe; its figures are each process's own CPU, which the
   load left by the rush changes little, and its ratios use its own floor,
   measured seconds apart from the pages. About 10-20 s with the
   defaults. ``page_cpu_ms`` is its mean CPU per request of each page:
   "choose GET", "choose POST", "details GET", "details POST", "attendee
   GET/POST" (old flow), "check GET", "check POST", "confirmation GET",
   "event page", "availability.json", "/health/web/" (pages.py's "choose
   places GET/POST" named as the rush names them), and "choose page": the
   choose page a first visitor gets from the cache while no booking changes
   the pool (in the probe's bookings, one after another, every "choose
   GET" is drawn afresh, as each booking changes the pool's counter).
7. Prints ONE JSON line on stdout (progress on stderr). ``elapsed_s``: first
   request to last response of the rush; ``bookings_per_s``: confirmed /
   elapsed_s; percentiles over every request of the rush; ``confirmed``:
   tickets in the database (``confirmed_http``: clients who saw their
   confirmation); ``oversold``: max(confirmed - capacity, 0);
   ``server_cpu_s``: the site's gunicorn CPU from its start to the end of
   the rush (start-up included); ``host_busy_before_pct``: other
   load on the machine just before the rush (compare runs only when it is
   near 0). And:

   - ``requests_by_page``: the rush's requests by page label;
     ``requests_per_booking``: all requests of the rush / confirmed;
     ``requests_per_loser``: requests of the clients who did not book /
     their number (``losers``);
   - ``server_cpu_rush_s``: the site's gunicorn CPU (utime + stime of the
     master, its reaped children and the workers, from ``/proc/<pid>/stat``)
     from just before the first client to just after the last answer;
     ``server_cpu_ms_per_request`` and ``server_cpu_ms_per_booking``: that
     over the rush's requests, and over confirmed;
   - ``floor_cpu_ms`` (``floor_cpu_ms_before``, ``floor_cpu_ms_after``;
     see 3); ``booking_cpu_vs_floor`` (server_cpu_ms_per_booking /
     floor_cpu_ms) and ``rush_request_cpu_vs_floor``
     (server_cpu_ms_per_request / floor_cpu_ms);
   - from the probe (see 6): ``page_cpu_ms``, ``probe_floor_ms`` (its
     floor), ``flow_cpu_ms_per_request`` (its bookings' CPU over their
     requests), ``probe_requests_per_booking``, ``probe_bookings``,
     ``probe_booking_cpu_vs_floor`` (a sequential booking's CPU / its
     floor), and the ratios to its floor: ``page_cpu_vs_floor``
     (flow_cpu_ms_per_request / probe_floor_ms), ``event_page_vs_floor``,
     ``availability_json_vs_floor`` and ``health_vs_floor`` (null without
     a probe);
   - ``time_to_know_p50_ms``/``_p99_ms``: from a client's first request to
     the answer of its step-1 POST (places held, or sold out; a choose page
     already sold out is the answer; with a flow that holds nothing at step
     1, a client told "sold out" at a later step knew only then), over the
     clients who got an answer; ``flow_p50_ms``/``_p99_ms``: first request
     to the confirmation page, over the clients who booked;
   - ``targets``: each target of issue 16 as a boolean, and ``all``:
     requests_per_booking <= 14, page_cpu_vs_floor <= 20,
     booking_cpu_vs_floor <= 300, availability.json and /health/web/ <= 5x
     the floor, min(capacity, clients) confirmed, 0 oversold, 0 errors.
     They do not change the exit code.

Exits 0 if min(capacity, clients) places were confirmed, none oversold, the
counter matches the tickets and there were no errors in the rush; else 1
(2 if gunicorn did not start, 130 on Ctrl-C). A probe that fails is
logged, counted in ``probe_errors`` (1) and leaves its figures null; it
does not change the exit code.
"""

import argparse
import asyncio
import html
import json
import os
import re
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SLUG = "rush"
BOOK = f"/events/{SLUG}/book/"
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
QTY_RE = re.compile(r'name="(qty_\d+)"')
REF_RE = re.compile(r"/bookings/([A-Z0-9-]+)/")
SOLD_OUT_RE = re.compile(
    r'sold out|data-remaining="0"|not enough places left|only \d+ places? left',
    re.IGNORECASE,
)
LOCK_KEY = 0x5255534821  # advisory lock: one rush at a time per database
MAX_STEPS = 8  # form pages between the choose page and the confirmation

# Forms, read with regular expressions (an HTML parser would cost the
# clients, who share the machine with the server, several times more CPU).
FORM_RE = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
FIELD_RE = re.compile(
    r"<input\b([^>]*)>"
    r"|<select\b([^>]*)>(.*?)</select>"
    r"|<textarea\b([^>]*)>(.*?)</textarea>"
    r"|<button\b([^>]*)>(.*?)</button>",
    re.S | re.I,
)
OPTION_RE = re.compile(r"<option\b([^>]*)>", re.I)
ATTR_RE = re.compile(r"""([^\s=/>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?""")
TAG_RE = re.compile(r"<[^>]+>")
NOT_SUBMIT_RE = re.compile(r"cancel|release|change|back|remove", re.I)
ERROR_SUMMARY_RE = re.compile(
    r'class="govuk-error-summary\b.*?<ul[^>]*>(.*?)</ul>', re.S | re.I
)

# Flow pages, for the counts and the CPU by page.
PAGE_LABELS = (
    ("choose", re.compile(r"/events/[^/]+/book/")),
    ("details", re.compile(r"/events/[^/]+/book/your-details/")),
    ("attendee", re.compile(r"/events/[^/]+/book/attendee/\d+/")),
    ("check", re.compile(r"/events/[^/]+/book/check/")),
    ("confirmation", re.compile(r"/bookings/[^/]+/")),
    ("event page", re.compile(r"/events/[^/]+/")),
    ("availability.json", re.compile(r"/events/[^/]+/availability\.json")),
    ("/health/web/", re.compile(r"/health/web/")),
)
NOT_FLOW = ("event page", "availability.json", "/health/web/")


def page_label(method: str, path: str) -> str:
    path = path.split("?")[0]
    for name, pattern in PAGE_LABELS:
        if pattern.fullmatch(path):
            return name if name in NOT_FLOW else f"{name} {method}"
    step = re.fullmatch(r"/events/[^/]+/book/([^/]+)/.*", path)
    return f"{step.group(1) if step else path} {method}"


def log(*args) -> None:
    print(*args, file=sys.stderr, flush=True)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--clients", type=int, default=1000)
    p.add_argument("--capacity", type=int, default=250)
    p.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    p.add_argument("--threads", type=int, default=1, help=">1 uses gthread")
    p.add_argument("--timeout", type=float, default=30.0, help="per request, s")
    p.add_argument("--max-run", type=float, default=300.0, help="whole run, s")
    p.add_argument(
        "--probe-flows",
        type=int,
        default=20,
        help="bookings in the probe measuring each page's CPU after the rush "
        "(bench/pages.py --flows; 0: no probe)",
    )
    p.add_argument(
        "--probe-repeat",
        type=int,
        default=200,
        help="probe requests per page (bench/pages.py --repeat)",
    )
    p.add_argument(
        "--pages-database-url",
        default="postgres://postgres@127.0.0.1:5432/psdm_pages",
        help="the probe's own database (bench/pages.py's default)",
    )
    p.add_argument(
        "--floor-requests",
        type=int,
        default=2000,
        help="sequential requests to the bare WSGI app, twice (0: none)",
    )
    p.add_argument(
        "--broker",
        default="memory://",
        help="Celery broker the web processes hand e-mails to (nothing consumes "
        "them here); e.g. redis://127.0.0.1:6379/15 to include Redis",
    )
    p.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/psdm_bench"
    )
    add_production_option(p)
    return p.parse_args()


def add_production_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--production",
        action="store_true",
        help="serve with psdm.settings.production as deployed (JSON logs, "
        "manifest static files, secure cookies), over local plain HTTP",
    )


def production_env(args) -> dict:
    """What gunicorn needs to run psdm.settings.production here: its
    required settings, no redirect to HTTPS (there is no TLS on 127.0.0.1),
    and the static files collected as in a deployment (once a run)."""
    # Every client comes from 127.0.0.1: the per-address rate limits would
    # turn nearly all of them away, with either settings.
    unlimited = {"PSDM_RATE_LIMITS_ENABLED": "false"}
    if not args.production:
        return unlimited
    env = dict(
        unlimited,
        DJANGO_SETTINGS_MODULE="psdm.settings.production",
        DATABASE_URL=args.database_url,
        DJANGO_SECRET_KEY="bench-not-secret-" + "x" * 40,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="false",
        PSDM_VAR_DIR=str(ROOT / "var" / "bench-production"),
    )
    if not getattr(args, "static_collected", False):
        log("collecting static files for production settings")
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
            cwd=ROOT,
            env={**os.environ, **env},
            check=True,
        )
        args.static_collected = True
    return env


def cookie_jar(base: str) -> aiohttp.CookieJar:
    """A browser's cookie jar for `base`: cookies of an IP kept (unsafe), and
    Secure cookies (production) sent, as a browser does, to 127.0.0.1."""
    return aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=[base])


# --- 1. the database and the event ---------------------------------------


def prepare_database(
    url: str, lock_key: int = LOCK_KEY, script: str = "bench/rush.py"
) -> psycopg.Connection:
    """Create the database if missing; return a connection holding the lock
    that keeps two runs of `script` apart."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(parts._replace(path="/postgres").geturl()) as admin:
        admin.autocommit = True
        query = "SELECT 1 FROM pg_database WHERE datname = %s"
        if not admin.execute(query, [name]).fetchone():
            log(f"creating database {name}")
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    conn = psycopg.connect(url, autocommit=True)
    if not conn.execute("SELECT pg_try_advisory_lock(%s)", [lock_key]).fetchone()[0]:
        raise SystemExit(f"another {script} is running on {name}")
    return conn


def use_database(url: str) -> None:
    """Point Django's connection at `url`, also when Django was set up for
    another database earlier in this process (bench/rush.py resets its own
    database, then bench/pages.py's measure() resets the probe's)."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "psdm.settings.base"
    os.environ["DATABASE_URL"] = url
    import dj_database_url
    import django

    django.setup()
    from django.db import connection

    wanted = dj_database_url.parse(url)
    keys = ("ENGINE", "NAME", "USER", "PASSWORD", "HOST", "PORT")
    if any(connection.settings_dict.get(k) != wanted.get(k) for k in keys):
        connection.close()
        connection.settings_dict.update({k: wanted.get(k) for k in keys})


def reset_event(url: str, capacity: int):
    """Reset the event `rush` in the database at `url` with `capacity`
    places; return it."""
    use_database(url)
    from django.apps import apps
    from django.contrib.sessions.models import Session
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from events.models import Event
    from tickets.models import Order, Ticket, TicketType

    call_command("migrate", interactive=False, verbosity=0)
    slugs = [SLUG, "rush-probe"]  # and the probe's event of earlier versions
    with transaction.atomic():
        try:  # places held at step 1 (issue 16), first: they point at orders
            Reservation = apps.get_model("tickets", "Reservation")
        except LookupError:
            pass
        else:
            Reservation.objects.filter(event__slug__in=slugs).delete()
        Ticket.objects.filter(event__slug__in=slugs).delete()
        Order.objects.filter(event__slug__in=slugs).delete()
        TicketType.objects.filter(event__slug__in=slugs).delete()
        Event.objects.filter(slug__in=slugs).delete()
        Session.objects.all().delete()
        start = timezone.now() + timedelta(days=30)
        event = Event.objects.create(
            name="Rush conference",
            slug=SLUG,
            summary="The day everybody wants a place at.",
            starts_at=start,
            ends_at=start + timedelta(hours=8),
            venue_name="Bench venue",
            venue_address="1 High Street\nBirmingham",
            capacity=capacity,
            is_published=True,
        )
        TicketType.objects.create(
            event=event, name="Public sector", price_pence=0, max_per_order=10
        )
    with connection.cursor() as cursor:  # autocommit: no dead rows carried over
        cursor.execute("VACUUM ANALYZE")
    return event


def count_places(event) -> dict:
    from tickets.models import Ticket

    event.refresh_from_db()
    confirmed = Ticket.objects.filter(
        event=event, status=Ticket.Status.CONFIRMED
    ).count()
    return {
        "confirmed": confirmed,
        "places_taken": event.places_taken,
        "oversold": max(confirmed - event.capacity, 0),
        "counter_matches": event.places_taken == confirmed,
    }


# --- 2. gunicorn ---------------------------------------------------------


def start_gunicorn(
    args,
    port: int,
    logfile,
    extra_env: dict | None = None,
    extra_args=(),
    app: str = "psdm.wsgi",
) -> subprocess.Popen:
    """Serve `app` (psdm.wsgi) on 127.0.0.1:`port` as args say (workers,
    threads, timeout, --production), DEBUG off; bench/scan.py adds its own
    env and gunicorn options; the floor is the same command with another
    app."""
    env = dict(
        os.environ,
        DATABASE_URL=args.database_url,
        DJANGO_DEBUG="false",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECRET_KEY="bench-not-secret",
        # As in production, a booking hands its e-mails to the queue and a
        # worker (not measured here) sends them.
        CELERY_BROKER_URL=getattr(args, "broker", "memory://"),
        CELERY_TASK_ALWAYS_EAGER="false",
        **(extra_env or {}),
    )
    env.update(production_env(args))
    cmd = [
        str(Path(sys.executable).parent / "gunicorn"),
        app,
        f"--bind=127.0.0.1:{port}",
        f"--workers={args.workers}",
        f"--worker-class={'gthread' if args.threads > 1 else 'sync'}",
        f"--threads={args.threads}",
        "--backlog=2048",  # room for every client's connection
        f"--timeout={int(args.timeout) + 30}",
        *extra_args,
        "--no-control-socket",
    ]
    log("starting gunicorn", " ".join(cmd[1:]))
    return subprocess.Popen(  # own process group: Ctrl-C is ours to handle
        cmd, cwd=ROOT, env=env, stdout=logfile, stderr=logfile, start_new_session=True
    )


def stop_gunicorn(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


async def wait_until_up(base: str, proc: subprocess.Popen, limit=30.0) -> None:
    deadline = time.monotonic() + limit
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                async with http.get(f"{base}/events/{SLUG}/availability.json") as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


class ServerCPU:
    """CPU used by a gunicorn: its master (with the workers it has reaped)
    and its live workers, read from /proc (Linux only)."""

    TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def __init__(self, master: int):
        self.master = master
        self.workers: list[int] = []

    @staticmethod
    def _stat(pid: int) -> list[str]:
        """Fields of /proc/<pid>/stat from the state on (field 3)."""
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()

    def find_workers(self) -> list[int]:
        """The master's children (no /proc/<pid>/task/<tid>/children here:
        scan every process's parent)."""
        found = []
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                try:
                    if int(self._stat(int(entry.name))[1]) == self.master:
                        found.append(int(entry.name))
                except (OSError, IndexError, ValueError):
                    pass
        self.workers = found
        return found

    def stat_s(self) -> float:
        """utime + stime of the master, of the children it reaped and of the
        live workers (kernel ticks: for totals over many requests)."""
        ticks = 0
        fields = self._stat(self.master)
        ticks += sum(int(v) for v in fields[11:15])  # utime stime cutime cstime
        for pid in self.find_workers():
            try:
                ticks += sum(int(v) for v in self._stat(pid)[11:13])
            except OSError:  # a worker just exited: its time is in cutime
                pass
        return ticks / self.TICK


# --- 3. the clients ------------------------------------------------------


class Failed(Exception):
    """The client stops; the message says what went wrong, and where."""


class SoldOut(Exception):
    """The site said, cleanly, that the places have gone."""


class Visit:
    """One client's requests and when it learnt what it wanted to know."""

    __slots__ = ("requests", "first", "last", "know", "done", "outcome")

    def __init__(self):
        self.requests = 0
        self.first = self.last = self.know = self.done = None
        self.outcome = "error"


def attributes(text: str) -> dict:
    return {
        m.group(1).lower(): html.unescape(
            next((g for g in m.groups()[1:] if g is not None), "")
        )
        for m in ATTR_RE.finditer(text)
    }


def attendee_answers(n: int) -> dict:
    """What person `n` types into the booking forms, by field name."""
    return {
        "buyer_name": f"Buyer {n}",
        "buyer_email": f"b{n}@example.gov.uk",
        "first_name": f"Ada{n}",
        "last_name": "Lovelace",
        "email": f"ada{n}@example.gov.uk",
        "organisation": "Office of the Public Guardian",
        "job_title": "Service designer",
        "sector": "central_government",
        "access_needs": "",
        "dietary_needs": "",
    }


def read_form(body: str, path: str, base: str, answers: dict):
    """The form a person would send on this page, as (action, data), or None.

    The page's POST form that posts back to the page (or the first POST form
    that is not a cancel/release button), with the fields it has: known
    answers typed in, hidden fields and checked boxes as they are, selects on
    the known answer if offered else their selected (or first) option (the
    same for radios, left as they are without a known answer), and
    the main submit button's name if it has one.
    """
    forms = []
    for m in FORM_RE.finditer(body):
        attrs = attributes(m.group(1))
        if attrs.get("method", "get").lower() != "post":
            continue
        action = attrs.get("action", "")
        if action.startswith(base):
            action = action[len(base) :]
        action = action or path
        forms.append((action, m.group(2)))
    if not forms:
        return None
    own = [f for f in forms if f[0] == path]
    others = [f for f in forms if not NOT_SUBMIT_RE.search(f[0])]
    action, inner = (own or others or forms)[0]
    data, button, radios = {}, None, {}
    for m in FIELD_RE.finditer(inner):
        if m.group(1) is not None:  # <input>
            a = attributes(m.group(1))
            name, kind = a.get("name"), a.get("type", "text").lower()
            if not name or "disabled" in a:
                continue
            if kind in ("submit", "image"):
                if button is None and not NOT_SUBMIT_RE.search(
                    f"{name} {a.get('value', '')}"
                ):
                    button = (name, a.get("value", ""))
            elif kind in ("checkbox", "radio"):
                if "checked" in a:
                    data[name] = a.get("value", "on")
                if kind == "radio":
                    radios.setdefault(name, set()).add(a.get("value", "on"))
            elif kind in ("hidden",):
                data[name] = a.get("value", "")
            elif kind not in ("button", "reset", "file"):
                data[name] = answers.get(name, a.get("value", ""))
        elif m.group(2) is not None:  # <select>
            a = attributes(m.group(2))
            name = a.get("name")
            if not name or "disabled" in a:
                continue
            options = [attributes(o.group(1)) for o in OPTION_RE.finditer(m.group(3))]
            values = [o.get("value", "") for o in options]
            chosen = [o.get("value", "") for o in options if "selected" in o]
            if answers.get(name) in values:
                data[name] = answers[name]
            elif chosen or values:
                data[name] = (chosen or values)[0]
        elif m.group(4) is not None:  # <textarea>
            a = attributes(m.group(4))
            if a.get("name") and "disabled" not in a:
                default = html.unescape(m.group(5)).lstrip("\n")
                data[a["name"]] = answers.get(a["name"], default)
        else:  # <button>
            a = attributes(m.group(6))
            name, kind = a.get("name"), a.get("type", "submit").lower()
            label = f"{name} {a.get('value', '')} {TAG_RE.sub('', m.group(7))}"
            if name and kind == "submit" and button is None:
                if not NOT_SUBMIT_RE.search(label):
                    button = (name, a.get("value", ""))
    for name, values in radios.items():  # a known answer is picked
        if answers.get(name) in values:
            data[name] = answers[name]
    if button:
        data[button[0]] = button[1]
    return action, data


def form_errors(body: str) -> str:
    found = ERROR_SUMMARY_RE.search(body)
    if not found:
        return "no error summary"
    return " ".join(TAG_RE.sub(" ", found.group(1)).split())[:120]


class Rush:
    def __init__(self, base: str, timeout: float):
        self.base = base
        self.book_path = BOOK
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.latencies: list[float] = []
        self.first = self.last = None
        self.outcomes: Counter = Counter()
        self.errors: Counter = Counter()
        self.by_page: Counter = Counter()
        self.visits: list[Visit] = []

    async def request(self, http, method, path, data=None, visit=None, page=None):
        """Send one request; return (status, Location, body). A POST says it
        comes from `page` (default: the same path)."""
        headers = {}
        if method == "POST":  # the form was on this page
            headers = {"Origin": self.base, "Referer": self.base + (page or path)}
        label = page_label(method, path)
        self.by_page[label] += 1
        t0 = time.perf_counter()
        self.first = min(self.first or t0, t0)
        if visit is not None:
            visit.requests += 1
            visit.first = visit.first or t0
        try:
            async with http.request(
                method,
                self.base + path,
                data=data,
                headers=headers,
                allow_redirects=False,
                timeout=self.timeout,
            ) as resp:
                status, location = resp.status, resp.headers.get("Location", "")
                body = await resp.text()
        except TimeoutError as exc:
            raise Failed(f"timeout {method} {path}") from exc
        except aiohttp.ClientError as exc:
            raise Failed(f"{type(exc).__name__} {method} {path}") from exc
        finally:
            t1 = time.perf_counter()
            self.latencies.append(t1 - t0)
            self.last = max(self.last or t1, t1)
            if visit is not None:
                visit.last = t1
        if status >= 500:
            raise Failed(f"{status} {method} {path}")
        return status, location, body

    async def step(self, http, path, n, visit):
        """GET a step of the booking and POST its form; return the redirect.

        A 409 saying the places have gone, at either request, is a clean
        sold-out answer (raised as SoldOut)."""
        status, _, body = await self.request(http, "GET", path, visit=visit)
        if status == 409 and SOLD_OUT_RE.search(body):
            raise SoldOut
        form = read_form(body, path, self.base, attendee_answers(n))
        if status != 200 or not form or "csrfmiddlewaretoken" not in form[1]:
            raise Failed(f"{status} GET {page_label('', path).strip()} without a form")
        action, data = form
        status, location, body = await self.request(
            http, "POST", action, data, visit=visit, page=path
        )
        if status == 409 and SOLD_OUT_RE.search(body):
            raise SoldOut
        if status != 302:
            where = page_label("POST", action)
            if status == 200:
                raise Failed(f"200 {where}: form sent back: {form_errors(body)}")
            raise Failed(f"{status} {where} -> {location or 'no redirect'}")
        return location

    async def book(self, n: int, http, visit: Visit) -> str:
        """Book one place like a browser; return "confirmed" or "sold_out"."""
        book = self.book_path
        status, _, body = await self.request(http, "GET", book, visit=visit)
        qty, token = QTY_RE.search(body), CSRF_RE.search(body)
        if status == 200 and not qty and "sold out" in body.lower():
            return "sold_out"
        if status != 200 or not (qty and token):
            raise Failed(f"{status} GET {book} without a form")
        data = {"csrfmiddlewaretoken": token.group(1), qty.group(1): "1"}
        status, location, body = await self.request(
            http, "POST", book, data, visit=visit
        )
        if status in (200, 409) and SOLD_OUT_RE.search(body):
            return "sold_out"  # the last place went between GET and POST
        if (status, location) != (302, book + "your-details/"):
            raise Failed(f"{status} POST {book} -> {location or 'no redirect'}")
        visit.know = visit.last  # held (or, in the old flow, chosen)
        seen = set()
        for _ in range(MAX_STEPS):
            if location in seen:
                raise Failed(f"sent back to {page_label('', location).strip()}")
            seen.add(location)
            location = await self.step(http, location, n, visit)
            reference = REF_RE.fullmatch(location)
            if reference:
                break
            if not location.startswith(book) or location == book:
                raise Failed(f"redirected out of the flow to {location}")
        else:
            raise Failed(f"no confirmation after {MAX_STEPS} steps")
        status, _, body = await self.request(http, "GET", location, visit=visit)
        if status != 200 or reference.group(1) not in body:
            raise Failed(f"{status} GET /bookings/<reference>/ without it")
        visit.done = visit.last
        return "confirmed"

    async def client(self, n: int, connector, start: asyncio.Event) -> None:
        jar = cookie_jar(self.base)
        visit = Visit()
        self.visits.append(visit)
        async with aiohttp.ClientSession(
            connector=connector, connector_owner=False, cookie_jar=jar
        ) as http:
            await start.wait()
            try:
                visit.outcome = await self.book(n, http, visit)
            except SoldOut:
                visit.outcome = "sold_out"
            except Failed as exc:
                self.errors[str(exc)] += 1
            except asyncio.CancelledError:
                self.errors["still running after --max-run"] += 1
                raise
            except Exception as exc:  # a bug here must not hide as "no answer"
                self.errors[f"{type(exc).__name__}: {exc}"] += 1
            finally:
                if visit.outcome != "error":
                    self.outcomes[visit.outcome] += 1
                if visit.outcome == "sold_out":
                    visit.know = visit.last  # the sold-out answer

    async def run(self, clients: int, max_run: float) -> None:
        connector = aiohttp.TCPConnector(limit=0)
        start = asyncio.Event()
        tasks = [
            asyncio.create_task(self.client(n, connector, start))
            for n in range(clients)
        ]
        await asyncio.sleep(0.1)  # every client is at the start line
        start.set()
        _, late = await asyncio.wait(tasks, timeout=max_run)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
        await connector.close()


# --- 4. the floor and the probe -------------------------------------------


async def measure_floor(base: str, cpu: ServerCPU, requests: int) -> float:
    """CPU (ms) of one request to the bare WSGI app, sequentially: the
    gunicorn's CPU over all `requests` (kernel ticks, so ~1% over a second
    or more of CPU), divided by their number."""
    async with aiohttp.ClientSession() as http:

        async def hit() -> None:
            async with http.get(base + "/") as resp:
                if resp.status != 200 or await resp.read() != b"hello":
                    raise RuntimeError(f"the floor app answered {resp.status}")

        for _ in range(100):
            await hit()
        await asyncio.sleep(0.05)
        cpu0 = cpu.stat_s()
        for _ in range(requests):
            await hit()
        await asyncio.sleep(0.05)
        return (cpu.stat_s() - cpu0) * 1000 / requests


def probe(args) -> dict:
    """Each page's CPU, exactly, by bench/pages.py's measure() on its own
    database: one sync worker counting its own CPU per request, against the
    floor measured the same way."""
    sys.modules.setdefault("rush", sys.modules[__name__])  # pages imports us
    import pages

    options = argparse.Namespace(
        flows=args.probe_flows,
        repeat=args.probe_repeat,
        layers=False,
        database_url=args.pages_database_url,
        production=args.production,
        static_collected=getattr(args, "static_collected", False),
    )
    try:
        measured = pages.measure(options)
    except (RuntimeError, OSError, SystemExit) as exc:
        log(f"probe failed: {exc}")
        return {"probe_errors": 1}

    def label(page: str) -> str:  # the rush's labels: "choose GET"
        return page.replace("choose places ", "choose ")

    by_floor = {label(k): v for k, v in measured["pages_vs_floor"].items()}
    return {
        "page_cpu_ms": {label(k): v for k, v in measured["pages_ms"].items()},
        "probe_floor_ms": measured["floor_ms"],
        "flow_cpu_ms_per_request": measured["flow_request_ms"],
        "probe_requests_per_booking": measured["requests_per_flow"],
        "probe_bookings": args.probe_flows,
        "probe_errors": 0,
        "probe_booking_cpu_vs_floor": measured["booking_cpu_vs_floor"],
        "page_cpu_vs_floor": measured["page_cpu_vs_floor"],
        "event_page_vs_floor": by_floor.get("event page"),
        "availability_json_vs_floor": by_floor.get("availability.json"),
        "health_vs_floor": by_floor.get("/health/web/"),
    }


# --- 5. measures ---------------------------------------------------------


def cpu_busy_pct(seconds: float = 1.0) -> float | None:
    """Share of the machine's CPU in use over `seconds` (Linux only)."""

    def sample() -> tuple[int, int]:
        with open("/proc/stat") as f:
            ticks = [int(v) for v in f.readline().split()[1:9]]
        return sum(ticks), ticks[3] + ticks[4]  # all, idle + iowait

    try:
        total0, idle0 = sample()
        time.sleep(seconds)
        total1, idle1 = sample()
    except OSError:
        return None
    return round(100 * (1 - (idle1 - idle0) / max(total1 - total0, 1)), 1)


def percentile_ms(values: list[float], pct: float) -> float:
    """Nearest-rank percentile of seconds, in milliseconds."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(-(-len(ordered) * pct // 100), 1)  # ceil(n * pct / 100)
    return round(ordered[int(rank) - 1] * 1000, 1)


def children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def ratio(value, floor, digits=1):
    return round(value / floor, digits) if value and floor else None


def rush_figures(rush: Rush, confirmed: int, cpu_s: float) -> dict:
    """Requests, CPU and times to know of the rush."""
    requests = len(rush.latencies)
    losers = [v for v in rush.visits if v.outcome != "confirmed"]
    answered = [v for v in rush.visits if v.outcome != "error" and v.know]
    know = [v.know - v.first for v in answered]
    flow = [v.done - v.first for v in rush.visits if v.done]
    return {
        "requests_per_booking": round(requests / confirmed, 2) if confirmed else None,
        "requests_per_loser": (
            round(sum(v.requests for v in losers) / len(losers), 2) if losers else None
        ),
        "losers": len(losers),
        "requests_by_page": dict(rush.by_page),
        "server_cpu_rush_s": round(cpu_s, 2),
        "server_cpu_ms_per_request": (
            round(cpu_s * 1000 / requests, 2) if requests else None
        ),
        "server_cpu_ms_per_booking": (
            round(cpu_s * 1000 / confirmed, 1) if confirmed else None
        ),
        "time_to_know_p50_ms": percentile_ms(know, 50),
        "time_to_know_p99_ms": percentile_ms(know, 99),
        "flow_p50_ms": percentile_ms(flow, 50),
        "flow_p99_ms": percentile_ms(flow, 99),
    }


def main() -> int:
    args = parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # runs `finally`
    lock = prepare_database(args.database_url)
    event = reset_event(args.database_url, args.capacity)
    log(f"event {SLUG!r} reset with {args.capacity} places")
    ports = []
    for _ in range(2):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            ports.append(s.getsockname()[1])
    base, floor_base = (f"http://127.0.0.1:{port}" for port in ports)
    logfile = tempfile.NamedTemporaryFile(  # kept when something went wrong
        "w", prefix="rush-gunicorn-", suffix=".log", delete=False
    )
    floor_log = tempfile.NamedTemporaryFile(
        "w", prefix="rush-floor-", suffix=".log", delete=False
    )
    proc = start_gunicorn(args, ports[0], logfile)
    floor_proc = None
    if args.floor_requests:
        floor_proc = start_gunicorn(
            args, ports[1], floor_log, app="bench.floor_app:application"
        )
    rush = Rush(base, args.timeout)
    cpu = ServerCPU(proc.pid)
    floor_ms: list[float] = []
    try:
        asyncio.run(wait_until_up(base, proc))
        if floor_proc:
            asyncio.run(wait_until_up(floor_base, floor_proc))
            floor_cpu = ServerCPU(floor_proc.pid)
            log(f"floor: {args.floor_requests} requests to bench/floor_app.py")
            floor_ms.append(
                asyncio.run(measure_floor(floor_base, floor_cpu, args.floor_requests))
            )
        busy_before = cpu_busy_pct()  # gunicorn is idle: this is others' load
        if busy_before and busy_before > 20:
            log(f"warning: the machine is {busy_before}% busy before the run")
        log(f"gunicorn is up on {base}; {args.clients} clients go")
        client_cpu = -time.process_time()
        rush_cpu = -cpu.stat_s()
        asyncio.run(rush.run(args.clients, args.max_run))
        time.sleep(0.05)  # the last answers' workers finish
        rush_cpu += cpu.stat_s()
        server_cpu = cpu.stat_s()
        client_cpu += time.process_time()
        if floor_proc:
            log("floor again")
            floor_ms.append(
                asyncio.run(measure_floor(floor_base, floor_cpu, args.floor_requests))
            )
    except RuntimeError as exc:
        log(f"{exc}; see {logfile.name} and {floor_log.name}")
        return 2
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        stop_gunicorn(proc)
        if floor_proc:
            stop_gunicorn(floor_proc)
        logfile.close()
        floor_log.close()

    places = count_places(event)
    lock.close()
    probed: dict = {}
    if args.probe_flows:
        log(
            f"probe: bench/pages.py's measure(), {args.probe_flows} bookings and "
            f"{args.probe_repeat} requests a page, on {args.pages_database_url}"
        )
        probed = probe(args)
    elapsed = rush.last - rush.first if rush.first else 0.0
    errors = sum(rush.errors.values())
    figures = rush_figures(rush, places["confirmed"], rush_cpu)
    floor = statistics.mean(floor_ms) if floor_ms else None
    result = {
        "clients": args.clients,
        "requests": len(rush.latencies),
        "confirmed": places["confirmed"],
        "confirmed_http": rush.outcomes["confirmed"],
        "sold_out_answers": rush.outcomes["sold_out"],
        "oversold": places["oversold"],
        "errors": errors,
        "elapsed_s": round(elapsed, 3),
        "bookings_per_s": round(places["confirmed"] / elapsed, 1) if elapsed else 0,
        "p50_ms": percentile_ms(rush.latencies, 50),
        "p95_ms": percentile_ms(rush.latencies, 95),
        "p99_ms": percentile_ms(rush.latencies, 99),
        "max_ms": percentile_ms(rush.latencies, 100),
        "capacity": args.capacity,
        "places_taken": places["places_taken"],
        "counter_matches": places["counter_matches"],
        "settings": "production" if args.production else "base",
        "workers": args.workers,
        "threads": args.threads,
        "server_cpu_s": round(server_cpu, 1),
        "client_cpu_s": round(client_cpu, 1),
        "host_busy_before_pct": busy_before,
        **figures,
        "floor_cpu_ms": round(floor, 3) if floor else None,
        "floor_cpu_ms_before": round(floor_ms[0], 3) if floor_ms else None,
        "floor_cpu_ms_after": round(floor_ms[-1], 3) if floor_ms else None,
        "page_cpu_ms": None,
        "flow_cpu_ms_per_request": None,
        "page_cpu_vs_floor": None,
        "event_page_vs_floor": None,
        "availability_json_vs_floor": None,
        "health_vs_floor": None,
        **probed,  # page_cpu_ms ... health_vs_floor, against the probe's floor
        "booking_cpu_vs_floor": ratio(figures["server_cpu_ms_per_booking"], floor, 0),
        "rush_request_cpu_vs_floor": ratio(figures["server_cpu_ms_per_request"], floor),
    }
    result["targets"] = targets(result, min(args.capacity, args.clients))
    for kind, count in rush.errors.most_common(10):
        log(f"error x{count}: {kind}")
    if errors:
        log(f"gunicorn's log: {logfile.name}")
    else:
        os.unlink(logfile.name)
    os.unlink(floor_log.name)
    print(json.dumps(result), flush=True)
    ok = (
        places["confirmed"]
        == rush.outcomes["confirmed"]
        == min(args.capacity, args.clients)
        and places["oversold"] == 0
        and places["counter_matches"]
        and errors == 0
    )
    return 0 if ok else 1


def targets(result: dict, expected: int) -> dict:
    """Issue 16's targets, each true or false (false when not measured)."""

    def at_most(key, limit) -> bool:
        return result.get(key) is not None and result[key] <= limit

    met = {
        "requests_per_booking_le_14": at_most("requests_per_booking", 14),
        "page_cpu_vs_floor_le_20": at_most("page_cpu_vs_floor", 20),
        "booking_cpu_vs_floor_le_300": at_most("booking_cpu_vs_floor", 300),
        "availability_json_le_5x_floor": at_most("availability_json_vs_floor", 5),
        "health_le_5x_floor": at_most("health_vs_floor", 5),
        "all_confirmed": result["confirmed"] == expected,
        "none_oversold": result["oversold"] == 0,
        "no_errors": result["errors"] == 0,
    }
    met["all"] = all(met.values())
    return met


if __name__ == "__main__":
    sys.exit(main())
