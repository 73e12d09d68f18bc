"""Door benchmark: several door devices scan 250 badges at once.

Run from the repository root (PostgreSQL on 127.0.0.1:5432 must be up):

    .venv/bin/python bench/scan.py [--devices 8] [--badges 250]
        [--rescan 0.2] [--auth token|session] [--workers 3] [--threads 1]
        [--database-url URL]

1. Creates the database if missing (default ``psdm_bench``, a benchmark
   database: each run deletes all its sessions), migrates it and resets the
   event ``scan-bench``: ``--badges`` confirmed free places booked through
   the booking service (no e-mails), no check-ins, no scan log. Makes one
   door account per device (``door-bench-N``) in the "Door staff" group,
   which has only the check-in permission.
2. Serves ``psdm.wsgi`` with gunicorn on a free port of 127.0.0.1, DEBUG
   off, as bench/rush.py does (``--threads 1`` means sync workers, more
   means gthread; more options can go in ``GUNICORN_CMD_ARGS``). The
   per-user rate limits are raised for the run (each device here scans
   dozens of badges a second, a person one every few seconds); the limiter
   still runs on every request.
3. Each device signs in at /checkin/login/ like a browser (CSRF token from
   the form, then the session cookie), opens the event's check-in page and
   takes, as the page's script does, this sign-in's door device token for
   its ``Authorization: Bearer`` header (``--auth session``: the session
   cookie and the ``csrftoken`` cookie in an ``X-CSRFToken`` header), then warms
   up with ``--warmup`` counter requests (so every worker has its database
   connection) before the clock starts.
4. The queue: every badge once plus ``--rescan`` of them again (people who
   scan twice, or a second door catching the same badge), shuffled and dealt
   round-robin to the devices. All devices start together; each scans its
   share one after another with a new nonce per scan, waiting for each
   answer as a real device does (``--pace`` spaces a device's scans out as
   a person would; by default each scan follows the last answer). A 200
   answering ``admitted`` or ``already_checked_in`` is expected; anything
   else (another result, other status, timeout, connection error) counts
   in ``errors``.
5. Prints ONE JSON line on stdout (progress on stderr): ``scans``,
   ``scans_per_second`` (scans / first request to last answer), p50/p95/
   p99/max latency of the scans, ``admitted`` (must be exactly --badges),
   ``already_checked_in`` (the duplicates refused), ``errors``, what the
   database says afterwards (``checked_in_db``, ``scan_log_rows``), and
   ``cpu_ms_per_scan``: CPU used while the devices scanned by gunicorn's
   workers, PostgreSQL and this client, per scan (two cores give 2000 ms a
   second, so their sum bounds the rate); ``host_busy_before_pct`` is other
   load on the machine just before (compare runs only when it is near 0).

Exits 0 if exactly --badges were admitted (by the answers and in the
database), every re-scan was refused as already checked in, every scan was
logged once and there were no errors; else 1.
"""

import argparse
import asyncio
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

import aiohttp
import rush
import yarl
from rush import (
    add_production_option,
    children_cpu_s,
    cookie_jar,
    cpu_busy_pct,
    log,
    percentile_ms,
    prepare_database,
    stop_gunicorn,
)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SLUG = "scan-bench"
PASSWORD = "door-bench-not-secret"
LOGIN = "/checkin/login/"
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
DEVICE_TOKEN_RE = re.compile(r'data-device-token="([^"]+)"')
LOCK_KEY = 0x5343414E  # advisory lock: one scan bench at a time per database


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--devices", type=int, default=8, help="door devices at once")
    p.add_argument("--badges", type=int, default=250)
    p.add_argument("--rescan", type=float, default=0.2, help="share scanned twice")
    p.add_argument("--warmup", type=int, default=10, help="requests per device")
    p.add_argument(
        "--pace",
        type=float,
        default=0,
        help="scans per second per device (0: as fast as answers come)",
    )
    p.add_argument(
        "--auth",
        choices=["token", "session"],
        default="token",
        help="the page's device token (as the page does), or the session + CSRF",
    )
    p.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    p.add_argument("--threads", type=int, default=1, help=">1 uses gthread")
    p.add_argument("--timeout", type=float, default=10.0, help="per request, s")
    p.add_argument("--seed", type=int, default=2018, help="the queue's order")
    p.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/psdm_bench"
    )
    add_production_option(p)
    return p.parse_args()


# --- 1. the database, the event and the door accounts ----------------------


def reset(url: str, badges: int, devices: int) -> tuple[list[str], list[str]]:
    """Reset the event and the door accounts; return (badge codes, usernames)."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "psdm.settings.base"
    os.environ["DATABASE_URL"] = url
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission
    from django.contrib.sessions.models import Session
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from events.models import Event
    from tests.conftest import attendee
    from tickets.demo import DOOR_STAFF_GROUP
    from tickets.models import MAX_PLACES_PER_ORDER, Order, Scan, Ticket, TicketType
    from tickets.services import OrderLine, order_create
    from tickets.services.outbox import emails_silenced

    call_command("migrate", interactive=False, verbosity=0)
    with transaction.atomic():
        Scan.objects.filter(event__slug=SLUG).delete()
        Ticket.objects.filter(event__slug=SLUG).delete()
        Order.objects.filter(event__slug=SLUG).delete()
        TicketType.objects.filter(event__slug=SLUG).delete()
        Event.objects.filter(slug=SLUG).delete()
        Session.objects.all().delete()
        start = timezone.now() - timedelta(hours=1)  # the doors are open
        event = Event.objects.create(
            name="Door bench conference",
            slug=SLUG,
            summary="Everybody arrives at nine.",
            starts_at=start,
            ends_at=start + timedelta(hours=8),
            venue_name="Bench venue",
            venue_address="1 High Street\nBirmingham",
            capacity=badges,
            is_published=True,
        )
        ticket_type = TicketType.objects.create(
            event=event,
            name="Public sector",
            price_pence=0,
            max_per_order=MAX_PLACES_PER_ORDER,
        )
    with emails_silenced():
        for first in range(0, badges, MAX_PLACES_PER_ORDER):
            count = min(MAX_PLACES_PER_ORDER, badges - first)
            order_create(
                event_id=event.pk,
                buyer_name="Bench buyer",
                buyer_email="buyer@example.gov.uk",
                lines=[
                    OrderLine(ticket_type_id=ticket_type.pk, attendee=attendee(n))
                    for n in range(first, first + count)
                ],
            )
    codes = list(
        Ticket.objects.filter(event=event, status=Ticket.Status.CONFIRMED)
        .order_by("pk")
        .values_list("secret", flat=True)
    )
    group, _ = Group.objects.get_or_create(name=DOOR_STAFF_GROUP)
    group.permissions.add(
        Permission.objects.get(content_type__app_label="tickets", codename="check_in")
    )
    User = get_user_model()
    usernames = []
    for n in range(devices):
        user, _ = User.objects.get_or_create(username=f"door-bench-{n}")
        user.is_staff = user.is_superuser = False
        user.set_password(PASSWORD)
        user.save()
        user.groups.set([group])
        usernames.append(user.username)
    with connection.cursor() as cursor:  # autocommit: no dead rows carried over
        cursor.execute("VACUUM ANALYZE")
    return codes, usernames


def database_counts() -> dict:
    from tickets.models import Scan, Ticket

    return {
        "checked_in_db": Ticket.objects.filter(
            event__slug=SLUG, checked_in_at__isnull=False
        ).count(),
        "scan_log_rows": Scan.objects.filter(event__slug=SLUG).count(),
    }


# --- 2. gunicorn ---------------------------------------------------------


def start_gunicorn(args, port: int, logfile) -> subprocess.Popen:
    return rush.start_gunicorn(
        args,
        port,
        logfile,
        extra_env={
            "PSDM_CHECKIN_RATE_PER_SECOND": "100000",
            "PSDM_CHECKIN_RATE_PER_MINUTE": "1000000",
        },
        extra_args=["--keep-alive=75"],  # gthread: devices keep their connection
    )


async def wait_until_up(base: str, proc: subprocess.Popen, limit=30.0) -> None:
    deadline = time.monotonic() + limit
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                async with http.get(f"{base}{LOGIN}") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


# --- 3. and 4. the devices --------------------------------------------------


class Failed(Exception):
    pass


class Door:
    """One door device: its own cookies, signed in as its own account."""

    def __init__(self, base: str, username: str, timeout: float, auth: str):
        self.base = base
        self.auth = auth
        self.username = username
        self.name = f"Bench {username}"
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.http: aiohttp.ClientSession | None = None
        self.headers: dict[str, str] = {}

    async def sign_in(self, connector) -> None:
        self.http = aiohttp.ClientSession(
            connector=connector,
            connector_owner=False,
            cookie_jar=cookie_jar(self.base),
            timeout=self.timeout,
        )
        async with self.http.get(self.base + LOGIN) as response:
            token = CSRF_RE.search(await response.text())
        if response.status != 200 or not token:
            raise Failed(f"{response.status} GET {LOGIN} without a form")
        form = {
            "csrfmiddlewaretoken": token.group(1),
            "username": self.username,
            "password": PASSWORD,
        }
        async with self.http.post(
            self.base + LOGIN,
            data=form,
            headers={"Referer": self.base + LOGIN},
            allow_redirects=False,
        ) as response:
            if response.status != 302:
                raise Failed(f"{response.status} signing in as {self.username}")
        async with self.http.get(f"{self.base}/checkin/{SLUG}/") as response:
            page = await response.text()
            if response.status != 200:
                raise Failed(f"{response.status} GET the check-in page")
        if self.auth == "token":  # as the page's script does
            token = DEVICE_TOKEN_RE.search(page)
            if not token:
                raise Failed("no device token on the check-in page")
            self.headers = {"Authorization": f"Bearer {token.group(1)}"}
            self.fixed_headers = self.scan_headers()
            return
        cookie = self.http.cookie_jar.filter_cookies(yarl.URL(self.base)).get(
            "csrftoken"
        )
        if cookie is None:
            raise Failed("no csrftoken cookie after the check-in page")
        self.headers = {"X-CSRFToken": cookie.value, "Referer": self.base + "/checkin/"}
        self.fixed_headers = self.scan_headers()

    async def stats(self) -> None:
        async with self.http.get(
            self.base + "/checkin/api/stats",
            params={"event": SLUG},
            headers=self.headers,
        ) as response:
            await response.read()
            if response.status != 200:
                raise Failed(f"{response.status} GET /checkin/api/stats")

    def scan_headers(self) -> bytes:
        """The scan request's headers after the request line: what aiohttp
        would send, written out once (see `scan`)."""
        url = yarl.URL(self.base)
        self.address = (url.host, url.port)
        headers = {
            "Host": f"{url.host}:{url.port}",
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Connection": "close",  # sync workers close it anyway
            **self.headers,
        }
        if self.auth == "session":
            cookies = self.http.cookie_jar.filter_cookies(url)
            headers["Cookie"] = "; ".join(f"{k}={m.value}" for k, m in cookies.items())
        return "".join(f"{k}: {v}\r\n" for k, v in headers.items()).encode()

    async def scan(self, code: str) -> str:
        """POST one scan and return its result.

        Written straight to a socket, not through aiohttp: the devices share
        the server's two cores here (a phone's CPU is its own at the door),
        and aiohttp's work per request cost about a sixth of the CPU a scan
        took in all. It is still HTTP/1.1: a request line, the headers and
        the JSON body; the answer is read to the end and its status and JSON
        checked."""
        body = json.dumps(
            {"code": code, "nonce": uuid.uuid4().hex, "event": SLUG, "door": self.name}
        ).encode()
        request = (
            b"POST /checkin/api/scan HTTP/1.1\r\n"
            + self.fixed_headers
            + b"Content-Length: %d\r\n\r\n" % len(body)
            + body
        )
        async with asyncio.timeout(self.timeout.total):
            reader, writer = await asyncio.open_connection(*self.address)
            try:
                writer.write(request)
                answer = await reader.read()  # to the end: the server closes
            finally:
                writer.close()
        head, _blank, text = answer.partition(b"\r\n\r\n")
        status = head[9:12].decode("latin-1")
        if status != "200":
            raise Failed(f"{status} POST /checkin/api/scan {text[:120]!r}")
        try:
            return json.loads(text)["result"]
        except (ValueError, KeyError, TypeError) as exc:
            raise Failed(f"200 POST /checkin/api/scan {text[:120]!r}") from exc

    async def close(self) -> None:
        if self.http is not None:
            await self.http.close()


class Queue:
    def __init__(self):
        self.latencies: list[float] = []
        self.results: Counter = Counter()
        self.errors: Counter = Counter()
        self.first = self.last = None

    async def device(
        self, door: Door, codes: list[str], start: asyncio.Event, pace: float
    ):
        await start.wait()
        due = time.perf_counter()
        if pace:  # devices are not in step with each other
            due += random.random() / pace
        for code in codes:
            if pace:  # a person scans a badge every 1/pace seconds at most
                due += 1 / pace
                await asyncio.sleep(max(due - time.perf_counter(), 0))
            began = time.perf_counter()
            if self.first is None:
                self.first = began
            try:
                result = await door.scan(code)
            except (TimeoutError, Failed, aiohttp.ClientError, OSError) as exc:
                self.errors[f"{type(exc).__name__}: {exc}"[:200]] += 1
                continue
            finally:
                done = time.perf_counter()
                self.latencies.append(done - began)
                self.last = done
            self.results[result] += 1


async def run(
    base: str, args, codes: list[str], usernames: list[str], gunicorn_pid: int
) -> Queue:
    rng = random.Random(args.seed)
    rescans = rng.sample(codes, round(len(codes) * args.rescan))
    plan = codes + rescans
    rng.shuffle(plan)
    shares = [plan[n :: args.devices] for n in range(args.devices)]

    connector = aiohttp.TCPConnector(limit=0)
    doors = [Door(base, name, args.timeout, args.auth) for name in usernames]
    queue = Queue()
    try:
        await asyncio.gather(*(door.sign_in(connector) for door in doors))
        for _ in range(args.warmup):
            await asyncio.gather(*(door.stats() for door in doors))
        cpu_before = cpu_now(gunicorn_pid)
        start = asyncio.Event()
        tasks = [
            asyncio.create_task(queue.device(door, share, start, args.pace))
            for door, share in zip(doors, shares, strict=True)
        ]
        await asyncio.sleep(0.05)  # every device is at the start line
        start.set()
        await asyncio.gather(*tasks)
        cpu_after = cpu_now(gunicorn_pid)
        queue.cpu_s = {k: cpu_after[k] - cpu_before[k] for k in cpu_after}
    finally:
        for door in doors:
            await door.close()
        await connector.close()
    queue.rescans = len(rescans)
    return queue


# --- 5. measures -----------------------------------------------------------


def process_cpu_s(select) -> float:
    """CPU seconds used so far by the processes `select(pid, stat)` picks
    (Linux /proc; 0 elsewhere)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        if select(int(entry.name), comm, int(fields[1])):
            total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / tick


def cpu_now(gunicorn_pid: int) -> dict:
    return {
        "gunicorn": process_cpu_s(lambda pid, comm, ppid: ppid == gunicorn_pid),
        "postgres": process_cpu_s(lambda pid, comm, ppid: comm == "postgres"),
        "client": time.process_time(),
    }


def main() -> int:
    args = parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # runs `finally`
    lock = prepare_database(args.database_url, LOCK_KEY, "bench/scan.py")
    codes, usernames = reset(args.database_url, args.badges, args.devices)
    log(f"event {SLUG!r} reset with {len(codes)} badges; {len(usernames)} doors")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    logfile = tempfile.NamedTemporaryFile(  # kept when something went wrong
        "w", prefix="scan-gunicorn-", suffix=".log", delete=False
    )
    server_cpu = -children_cpu_s()
    proc = start_gunicorn(args, port, logfile)
    try:
        asyncio.run(wait_until_up(base, proc))
        busy_before = cpu_busy_pct()
        if busy_before and busy_before > 20:
            log(f"warning: the machine is {busy_before}% busy before the run")
        log(f"gunicorn is up on {base}; {args.devices} doors sign in and scan")
        client_cpu = -time.process_time()
        queue = asyncio.run(run(base, args, codes, usernames, proc.pid))
        client_cpu += time.process_time()
    except (RuntimeError, Failed) as exc:
        log(f"{exc}; see {logfile.name}")
        return 2
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        stop_gunicorn(proc)
        logfile.close()
    server_cpu += children_cpu_s()

    db = database_counts()
    lock.close()
    elapsed = queue.last - queue.first if queue.first else 0.0
    scans = len(queue.latencies)
    errors = sum(queue.errors.values())
    result = {
        "scans": scans,
        "elapsed_s": round(elapsed, 3),
        "scans_per_second": round(scans / elapsed, 1) if elapsed else 0,
        "p50_ms": percentile_ms(queue.latencies, 50),
        "p95_ms": percentile_ms(queue.latencies, 95),
        "p99_ms": percentile_ms(queue.latencies, 99),
        "max_ms": percentile_ms(queue.latencies, 100),
        "admitted": queue.results["admitted"],
        "already_checked_in": queue.results["already_checked_in"],
        "other_results": {
            k: v
            for k, v in queue.results.items()
            if k not in {"admitted", "already_checked_in"}
        },
        "errors": errors,
        "badges": len(codes),
        "rescans": queue.rescans,
        **db,
        "devices": args.devices,
        "pace": args.pace,
        "settings": "production" if args.production else "base",
        "auth": args.auth,
        "workers": args.workers,
        "threads": args.threads,
        # CPU per scan while the devices scanned (2 cores = 2000 ms per s).
        "cpu_ms_per_scan": {
            k: round(v * 1000 / scans, 2) if scans else 0
            for k, v in queue.cpu_s.items()
        },
        "server_cpu_s": round(server_cpu, 1),
        "client_cpu_s": round(client_cpu, 1),
        "host_busy_before_pct": busy_before,
    }
    for kind, count in queue.errors.most_common(10):
        log(f"error x{count}: {kind}")
    if errors:
        log(f"gunicorn's log: {logfile.name}")
    else:
        os.unlink(logfile.name)
    print(json.dumps(result), flush=True)
    ok = (
        queue.results["admitted"] == db["checked_in_db"] == len(codes)
        and queue.results["already_checked_in"] == queue.rescans
        and db["scan_log_rows"] == scans
        and errors == 0
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
