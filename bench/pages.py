"""What each page of the booking flow costs the server in CPU, against the
floor: a bare WSGI "hello" app (bench/floor_app.py) served by the same gunicorn
command. One sync worker, requests one at a time, so each request's CPU is
exact (bench/gunicorn_cpu.py counts it in the worker).

Run from the repository root (PostgreSQL on 127.0.0.1:5432 must be up):

    .venv/bin/python bench/pages.py [--production] [--flows 100]
        [--repeat 300] [--layers] [--database-url URL]

1. Resets the event ``rush`` in its own database (default ``psdm_pages``)
   with room for every booking the run makes (bench/rush.py's reset).
2. Serves bench/floor_app.py and sends it 3 x --repeat requests: the floor.
3. Serves psdm.wsgi (as bench/rush.py does, with --production as deployed)
   and sends --repeat requests each to /health/web/, availability.json, the
   event page and the choose page ("choose page": as a first visitor sees
   it while no booking changes the pool, drawn once for everyone and then
   answered from the cache, as most visitors of a rush get it), then books
   --flows times as a browser does (its own cookies, the form's CSRF
   token): choose places, then whatever form each step shows (bench/rush.py's
   read_form) to the confirmation page. Each booking changes the pool's
   counter, so the flow's "choose places GET" is the page drawn afresh.
4. Prints one JSON line: each page's CPU in ms per request and as a
   multiple of the floor, the average booking-flow request, and a whole
   booking (its requests, ``requests_per_flow``) against the floor. With
   --layers (slower: every layer is timed) it prints where each page's CPU
   goes instead: middleware by middleware, sessions, templates,
   crispy-forms, widgets, the ORM and the database driver.

``measure(args)`` does 1-3 and returns 4's figures as a dict; bench/rush.py
calls it after its rush for its per-page figures.
"""

import argparse
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import rush  # noqa: E402

SLUG = rush.SLUG
BOOK = f"/events/{SLUG}/book/"
CSRF_RE = rush.CSRF_RE
QTY_RE = rush.QTY_RE
LOCK_KEY = 0x5041474553  # one run at a time per database


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--flows", type=int, default=100, help="bookings made")
    p.add_argument("--repeat", type=int, default=300, help="requests per page")
    p.add_argument("--layers", action="store_true", help="split CPU by layer")
    p.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/psdm_pages"
    )
    rush.add_production_option(p)
    args = p.parse_args()
    args.workers, args.threads, args.timeout = 1, 1, 30.0
    return args


class Browser:
    """One browser: keeps its cookies, sends the page's label to the worker."""

    def __init__(self, port: int, counted: bool = True):
        self.port = port
        self.counted = counted
        self.cookies: dict[str, str] = {}
        self.origin = f"http://127.0.0.1:{port}"

    def request(self, label, method, path, data=None):
        headers = {"X-Bench-Page": label if self.counted else ""}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urlencode(data)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers.update(Origin=self.origin, Referer=self.origin + path)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            text = resp.read().decode()
        finally:
            conn.close()
        for value in resp.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(value).items():
                self.cookies[name] = morsel.value
        if resp.status >= 400:
            raise RuntimeError(f"{resp.status} {method} {path}: {text[:300]}")
        return resp.status, resp.headers.get("Location", ""), text

    def book(self, n: int) -> None:
        """Book one place, posting whatever form each step shows (as
        bench/rush.py does), then open the confirmation page."""
        _, _, body = self.request("choose places GET", "GET", BOOK)
        qty = QTY_RE.search(body).group(1)
        data = {"csrfmiddlewaretoken": CSRF_RE.search(body).group(1), qty: "1"}
        _, location, _ = self.request("choose places POST", "POST", BOOK, data)
        for _ in range(rush.MAX_STEPS):
            if not location.startswith(BOOK):
                break
            _, _, body = self.request(rush.page_label("GET", location), "GET", location)
            action, data = rush.read_form(
                body, location, self.origin, rush.attendee_answers(n)
            )
            status, location, body = self.request(
                rush.page_label("POST", action), "POST", action, data
            )
            if status != 302:
                raise RuntimeError(f"{status} POST {action}: {rush.form_errors(body)}")
        if not rush.REF_RE.fullmatch(location):
            raise RuntimeError(f"no confirmation: sent to {location}")
        self.request("confirmation GET", "GET", location)


def serve(app: str, args, port: int, cpu_file: str, logfile) -> subprocess.Popen:
    env = dict(
        os.environ,
        DATABASE_URL=args.database_url,
        DJANGO_DEBUG="false",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECRET_KEY="bench-not-secret",
        CELERY_BROKER_URL="memory://",
        CELERY_TASK_ALWAYS_EAGER="false",
        PSDM_BENCH_CPU_FILE=cpu_file,
        PSDM_BENCH_LAYERS="1" if args.layers else "",
    )
    env.update(rush.production_env(args))
    cmd = [
        str(Path(sys.executable).parent / "gunicorn"),
        app,
        f"--bind=127.0.0.1:{port}",
        "--workers=1",
        "--worker-class=sync",
        "--config=bench/gunicorn_cpu.py",
        "--no-control-socket",
    ]
    return subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=logfile, stderr=logfile, start_new_session=True
    )


def run_server(app: str, args, drive) -> dict:
    """Serve `app`, wait until it answers, `drive` it; return its CPU file."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    fd, cpu_file = tempfile.mkstemp(prefix="pages-cpu-", suffix=".json")
    os.close(fd)
    with tempfile.NamedTemporaryFile(
        "w", prefix="pages-gunicorn-", suffix=".log"
    ) as log:
        proc = serve(app, args, port, cpu_file, log)
        try:
            for _ in range(150):
                try:
                    Browser(port).request("", "GET", "/health/web/")
                    break
                except (OSError, http.client.HTTPException):
                    time.sleep(0.2)
            else:
                raise RuntimeError(f"gunicorn did not start: {open(log.name).read()}")
            drive(port)
            Browser(port).request("dump", "GET", "/health/web/")
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
        with open(cpu_file) as f:
            result = json.load(f)
    os.unlink(cpu_file)
    return result


def measure(args) -> dict:
    """Measure as the module docstring says (steps 1-3) and return step 4's
    figures. `args` needs flows, repeat, layers, database_url and production
    (bench/rush.py passes its own, with static_collected when it has
    collected the static files already). Raises RuntimeError if a server
    does not start or a request fails, SystemExit if another run holds the
    database."""
    lock = rush.prepare_database(args.database_url, LOCK_KEY, "bench/pages.py")
    try:
        rush.reset_event(args.database_url, args.flows + 10)

        def floor(port):
            for _ in range(args.repeat * 3):
                Browser(port).request("floor", "GET", "/")

        def site(port):
            # Once unmeasured first: templates compiled, connections open.
            Browser(port, counted=False).book(-1)
            for label, path in [
                ("/health/web/", "/health/web/"),
                ("availability.json", f"/events/{SLUG}/availability.json"),
                ("event page", f"/events/{SLUG}/"),
                ("choose page", BOOK),
            ]:
                browser = Browser(port)
                Browser(port, counted=False).request(label, "GET", path)
                for _ in range(args.repeat):
                    browser.request(label, "GET", path)
            for n in range(args.flows):
                Browser(port).book(n)

        floor_run = run_server("bench.floor_app:application", args, floor)
        site_run = run_server("psdm.wsgi", args, site)
    finally:
        lock.close()

    def ms(entry):
        return entry["cpu_ns"] / entry["requests"] / 1e6

    floor_ms = ms(floor_run["pages"]["floor"])
    pages = site_run["pages"]
    flow = [label for label in pages if label.endswith(("GET", "POST"))]
    flow_requests = sum(pages[k]["requests"] for k in flow)
    flow_ms = sum(pages[k]["cpu_ns"] for k in flow) / flow_requests / 1e6
    result = {
        "settings": "production" if args.production else "base",
        "layers": args.layers,
        "floor_ms": round(floor_ms, 3),
        "pages_ms": {k: round(ms(v), 2) for k, v in pages.items()},
        "pages_vs_floor": {k: round(ms(v) / floor_ms, 1) for k, v in pages.items()},
        "flow_request_ms": round(flow_ms, 2),
        "requests_per_flow": round(flow_requests / args.flows, 1),
        "page_cpu_vs_floor": round(flow_ms / floor_ms, 1),
        "booking_cpu_vs_floor": round(
            sum(pages[k]["cpu_ns"] for k in flow) / 1e6 / args.flows / floor_ms, 1
        ),
    }
    if args.layers:
        result["layers_ms"] = {
            label: {
                kind: {
                    layer: round(ns / pages[label]["requests"] / 1e6, 3)
                    for layer, ns in sorted(values.items(), key=lambda item: -item[1])
                }
                for kind, values in by_kind.items()
            }
            for label, by_kind in site_run["layers"].items()
            if label in pages
        }
    return result


def main() -> int:
    print(json.dumps(measure(parse_args())), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
