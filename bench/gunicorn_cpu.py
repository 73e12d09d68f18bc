"""gunicorn config for bench/pages.py: the worker counts its own CPU per
request, by the page named in the request's X-Bench-Page header, and writes
the totals to $PSDM_BENCH_CPU_FILE when a request says X-Bench-Page: dump.

A request's CPU is the worker's process CPU (CLOCK_PROCESS_CPUTIME_ID, exact
to the nanosecond) from the start of one request to the start of the next:
parsing, the app, writing the answer, closing, accepting the next. The
client sends requests one at a time, so nothing else runs in between.

With PSDM_BENCH_LAYERS=1 the worker also splits each request's CPU by layer
(bench/layers.py); that costs a little CPU of its own, so take per-page
totals from a run without it.
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

_totals: dict = {}
_open: list = []  # [label, cpu at its start]


def pre_request(worker, req):
    now = time.process_time_ns()
    _close(now)
    label = ""
    for name, value in req.headers:
        if name == "X-BENCH-PAGE":
            label = value
    if label == "dump":
        _dump()
    elif label:
        _open.append((label, now))
    if os.environ.get("PSDM_BENCH_LAYERS"):
        import layers

        layers.current["label"] = label


def _close(now: int) -> None:
    if _open:
        label, started = _open.pop()
        entry = _totals.setdefault(label, {"requests": 0, "cpu_ns": 0})
        entry["requests"] += 1
        entry["cpu_ns"] += now - started


def post_worker_init(worker):
    if os.environ.get("PSDM_BENCH_LAYERS") and hasattr(worker.wsgi, "load_middleware"):
        import layers

        layers.install_app(worker.wsgi)


def _dump() -> None:
    path = os.environ["PSDM_BENCH_CPU_FILE"]
    result = {"pages": _totals}
    if os.environ.get("PSDM_BENCH_LAYERS"):
        import layers

        result["layers"] = layers.totals()
    with open(path, "w") as f:
        json.dump(result, f)
