"""The Procfile and the example systemd units run the real modules, and the
Procfile's web command serves the site under the production settings."""

import configparser
import importlib
import os
import re
import shlex
import subprocess
import urllib.request
from pathlib import Path

from tests.mailtools import BIN, free_port, wait_until

ROOT = Path(__file__).resolve().parent.parent.parent
UNITS = ROOT / "deploy" / "systemd"


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    found = [re.match(r"^([\w-]+):\s*(.+)$", line) for line in lines]
    return {m[1]: m[2] for m in found if m}


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # keys are case-sensitive in systemd
    parser.read_string((UNITS / name).read_text())
    return parser


def test_the_procfile_runs_web_worker_beat_and_migrations():
    processes = procfile()

    assert set(processes) == {"release", "web", "worker", "beat"}
    assert shlex.split(processes["web"])[:2] == ["gunicorn", "psdm.wsgi"]
    assert shlex.split(processes["worker"])[:4] == ["celery", "-A", "psdm", "worker"]
    assert shlex.split(processes["beat"])[:4] == ["celery", "-A", "psdm", "beat"]
    assert "migrate" in processes["release"]


def test_the_modules_they_name_exist():
    assert callable(importlib.import_module("psdm.wsgi").application)
    from psdm.celery import app

    assert app.main == "psdm"
    assert "tickets.tasks.emails_sweep" in {
        entry["task"] for entry in app.conf.beat_schedule.values()
    }


def test_the_systemd_units_run_the_same_commands():
    web = unit("psdm-web.service")["Service"]
    worker = unit("psdm-worker.service")["Service"]
    beat = unit("psdm-beat.service")["Service"]
    socket = unit("psdm-web.socket")

    assert shlex.split(web["ExecStart"])[1] == "psdm.wsgi"
    assert web["ExecStart"].split()[0].endswith("/gunicorn")
    assert shlex.split(worker["ExecStart"])[1:4] == ["-A", "psdm", "worker"]
    assert shlex.split(beat["ExecStart"])[1:4] == ["-A", "psdm", "beat"]
    for service in (web, worker, beat):
        assert service["EnvironmentFile"] == "/etc/psdm/psdm.env"
        assert service["User"] == "psdm"
    assert unit("psdm-web.service")["Unit"]["Requires"] == "psdm-web.socket"
    assert socket["Socket"]["ListenStream"]


def test_the_procfile_web_command_serves_production(tmp_path):
    """gunicorn as the Procfile starts it, with production settings and a
    database URL, answers the load balancer's health check over HTTP."""
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "PATH": f"{BIN}:{os.environ['PATH']}",
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "DJANGO_SETTINGS_MODULE": "psdm.settings.production",
        "DJANGO_SECRET_KEY": "p" * 50,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "CELERY_BROKER_URL": "memory://",
    }
    log = open(tmp_path / "gunicorn.log", "wb")  # noqa: SIM115
    server = subprocess.Popen(
        ["/bin/sh", "-c", f"exec {procfile()['web']}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:

        def health():
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/health/web/", timeout=2
                ) as answer:
                    return answer.status, answer.headers, answer.read()
            except OSError:
                return None

        status, headers, body = wait_until(health, 30, interval=0.2)
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()

    assert status == 200  # not redirected to HTTPS: load balancers poll HTTP
    assert b'"status": "ok"' in body
    assert headers["X-Request-ID"]
    lines = (tmp_path / "gunicorn.log").read_text().splitlines()
    assert any('"logger": "psdm.requests"' in line for line in lines), lines[-5:]
