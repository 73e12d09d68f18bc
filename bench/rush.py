"""Rush benchmark: many browsers race through the real booking flow at once.

Run from the repository root (PostgreSQL on 127.0.0.1:5432 must be up):

    .venv/bin/python bench/rush.py [--clients 1000] [--capacity 250]
        [--workers 3] [--threads 1] [--timeout 30] [--database-url URL]
        [--production]

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
3. Starts ``--clients`` clients at once. Each has its own cookie jar, like a
   browser, and tries once to book one place: choose places, your details,
   attendee 1, check your answers, confirm, and the confirmation page, which
   must show the reference. POSTs send the form's CSRF token and Origin and
   Referer as a browser does (over http Django checks the token, and Origin
   when sent). A 409 saying "sold out", or a booking page with no form as
   the event is sold out, is a clean sold-out answer; so is the 409 "places
   have gone" page that any later step shows once the pool cannot take the
   places chosen. Anything else (5xx, other status, timeout, connection
   error) counts once in ``errors`` and
   ends that client.
4. Counts the event's confirmed tickets and reads its places_taken counter.
5. Prints ONE JSON line on stdout (progress on stderr). ``elapsed_s``: first
   request to last response; ``bookings_per_s``: confirmed / elapsed_s;
   percentiles over every request; ``confirmed``: tickets in the database
   (``confirmed_http``: clients who saw their confirmation);
   ``oversold``: max(confirmed - capacity, 0); ``server_cpu_s``: gunicorn's
   CPU, start-up included; ``host_busy_before_pct``: other load on the
   machine just before the run (compare runs only when it is near 0).

Exits 0 if min(capacity, clients) places were confirmed, none oversold, the
counter matches the tickets and there were no errors; else 1.
"""

import argparse
import asyncio
import json
import os
import re
import resource
import signal
import socket
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
    r'sold out|data-remaining="0"|not enough places left', re.IGNORECASE
)
LOCK_KEY = 0x5255534821  # advisory lock: one rush at a time per database


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
    and the static files collected as in a deployment."""
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
    log("collecting static files for production settings")
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env={**os.environ, **env},
        check=True,
    )
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


def reset_event(url: str, capacity: int):
    os.environ["DJANGO_SETTINGS_MODULE"] = "psdm.settings.base"
    os.environ["DATABASE_URL"] = url
    import django

    django.setup()
    from django.contrib.sessions.models import Session
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from events.models import Event
    from tickets.models import Order, Ticket, TicketType

    call_command("migrate", interactive=False, verbosity=0)
    with transaction.atomic():
        Ticket.objects.filter(event__slug=SLUG).delete()
        Order.objects.filter(event__slug=SLUG).delete()
        TicketType.objects.filter(event__slug=SLUG).delete()
        Event.objects.filter(slug=SLUG).delete()
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
    args, port: int, logfile, extra_env: dict | None = None, extra_args=()
) -> subprocess.Popen:
    """Serve psdm.wsgi on 127.0.0.1:`port` as args say (workers, threads,
    timeout, --production), DEBUG off; bench/scan.py adds its own env and
    gunicorn options."""
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
        "psdm.wsgi",
        f"--bind=127.0.0.1:{port}",
        f"--workers={args.workers}",
        f"--worker-class={'gthread' if args.threads > 1 else 'sync'}",
        f"--threads={args.threads}",
        "--backlog=2048",  # room for every client's connection
        f"--timeout={int(args.timeout) + 30}",
        *extra_args,
        "--no-control-socket",
    ]
    log("starting gunicorn", " ".join(cmd[2:]))
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


# --- 3. the clients ------------------------------------------------------


class Failed(Exception):
    """The client stops; the message says what went wrong, and where."""


class SoldOut(Exception):
    """The site said, cleanly, that the places have gone."""


class Rush:
    def __init__(self, base: str, timeout: float):
        self.base = base
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.latencies: list[float] = []
        self.first = self.last = None
        self.outcomes: Counter = Counter()
        self.errors: Counter = Counter()

    async def request(self, http, method, path, data=None):
        """Send one request; return (status, Location, body)."""
        headers = {}
        if method == "POST":  # the form was on this same page
            headers = {"Origin": self.base, "Referer": self.base + path}
        t0 = time.perf_counter()
        self.first = min(self.first or t0, t0)
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
        if status >= 500:
            raise Failed(f"{status} {method} {path}")
        return status, location, body

    async def submit(self, http, path, fields, expect=None):
        """GET a form page, POST the form; check the redirect if `expect`.

        A 409 saying the places have gone, at either request, is a clean
        sold-out answer (raised as SoldOut).
        """
        status, _, body = await self.request(http, "GET", path)
        if status == 409 and SOLD_OUT_RE.search(body):
            raise SoldOut
        token = CSRF_RE.search(body)
        if status != 200 or not token:
            raise Failed(f"{status} GET {path} without a form")
        data = {"csrfmiddlewaretoken": token.group(1), **fields}
        status, location, body = await self.request(http, "POST", path, data)
        if status == 409 and SOLD_OUT_RE.search(body):
            raise SoldOut
        if expect and (status, location) != (302, expect):
            raise Failed(f"{status} POST {path} -> {location or 'no redirect'}")
        return status, location, body

    async def book(self, n: int, http) -> str:
        """Book one place like a browser; return "confirmed" or "sold_out"."""
        status, _, body = await self.request(http, "GET", BOOK)
        qty, token = QTY_RE.search(body), CSRF_RE.search(body)
        if status == 200 and not qty and "sold out" in body.lower():
            return "sold_out"
        if status != 200 or not (qty and token):
            raise Failed(f"{status} GET {BOOK} without a form")
        data = {"csrfmiddlewaretoken": token.group(1), qty.group(1): "1"}
        status, location, body = await self.request(http, "POST", BOOK, data)
        if status in (200, 409) and SOLD_OUT_RE.search(body):
            return "sold_out"  # the last place went between GET and POST
        if (status, location) != (302, BOOK + "your-details/"):
            raise Failed(f"{status} POST {BOOK} -> {location or 'no redirect'}")
        buyer = {"buyer_name": f"Buyer {n}", "buyer_email": f"b{n}@example.gov.uk"}
        await self.submit(http, location, buyer, expect=BOOK + "attendee/1/")
        attendee = {
            "first_name": f"Ada{n}",
            "last_name": "Lovelace",
            "email": f"ada{n}@example.gov.uk",
            "organisation": "Office of the Public Guardian",
            "job_title": "Service designer",
            "sector": "central_government",
            "access_needs": "",
            "dietary_needs": "",
        }
        await self.submit(http, BOOK + "attendee/1/", attendee, expect=BOOK + "check/")
        status, location, body = await self.submit(http, BOOK + "check/", {})
        reference = REF_RE.fullmatch(location)
        if status != 302 or not reference:
            raise Failed(f"{status} POST {BOOK}check/ -> {location or 'no redirect'}")
        status, _, body = await self.request(http, "GET", location)
        if status != 200 or reference.group(1) not in body:
            raise Failed(f"{status} GET /bookings/<reference>/ without it")
        return "confirmed"

    async def client(self, n: int, connector, start: asyncio.Event) -> None:
        jar = cookie_jar(self.base)
        async with aiohttp.ClientSession(
            connector=connector, connector_owner=False, cookie_jar=jar
        ) as http:
            await start.wait()
            try:
                self.outcomes[await self.book(n, http)] += 1
            except SoldOut:
                self.outcomes["sold_out"] += 1
            except Failed as exc:
                self.errors[str(exc)] += 1
            except asyncio.CancelledError:
                self.errors["still running after --max-run"] += 1
                raise
            except Exception as exc:  # a bug here must not hide as "no answer"
                self.errors[f"{type(exc).__name__}: {exc}"] += 1

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


# --- 4. measures ---------------------------------------------------------


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


def main() -> int:
    args = parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # runs `finally`
    lock = prepare_database(args.database_url)
    event = reset_event(args.database_url, args.capacity)
    log(f"event {SLUG!r} reset with {args.capacity} places")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    logfile = tempfile.NamedTemporaryFile(  # kept when something went wrong
        "w", prefix="rush-gunicorn-", suffix=".log", delete=False
    )
    server_cpu = -children_cpu_s()
    proc = start_gunicorn(args, port, logfile)
    rush = Rush(base, args.timeout)
    try:
        asyncio.run(wait_until_up(base, proc))
        busy_before = cpu_busy_pct()  # gunicorn is idle: this is others' load
        if busy_before and busy_before > 20:
            log(f"warning: the machine is {busy_before}% busy before the run")
        log(f"gunicorn is up on {base}; {args.clients} clients go")
        client_cpu = -time.process_time()
        asyncio.run(rush.run(args.clients, args.max_run))
        client_cpu += time.process_time()
    except RuntimeError as exc:
        log(f"{exc}; see {logfile.name}")
        return 2
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        stop_gunicorn(proc)
        logfile.close()
    server_cpu += children_cpu_s()

    places = count_places(event)
    lock.close()
    elapsed = rush.last - rush.first if rush.first else 0.0
    errors = sum(rush.errors.values())
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
    }
    for kind, count in rush.errors.most_common(10):
        log(f"error x{count}: {kind}")
    if errors:
        log(f"gunicorn's log: {logfile.name}")
    else:
        os.unlink(logfile.name)
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


if __name__ == "__main__":
    sys.exit(main())
