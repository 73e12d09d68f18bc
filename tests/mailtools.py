"""Real parts for e-mail delivery tests and the e-mail benchmark.

- `SmtpSink`: an SMTP server (aiosmtpd) on 127.0.0.1 that keeps every
  message it accepts and can be told to refuse or stall a command.
- `RedisServer`: a private redis-server on a free port, to stop and start
  (never the machine's Redis on 6379).
- `CeleryWorker`: a real `celery -A psdm worker` subprocess pointed at a
  database, a broker and the sink, whose log tells us what it did.
- `celery_broker`: switch this process's Celery app to a broker and back.

None of this imports Django at import time, so bench/emails.py can load it
before it sets Django up.
"""

import asyncio
import email
import email.policy
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

TRY_LATER = "451 4.3.0 try again later"
NO_MAILBOX = "550 5.1.1 no such mailbox here"


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on (just now)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    """Linux: have the kernel kill this child when the process that started
    it dies, so a killed test run leaves no worker or redis-server behind."""
    try:
        import ctypes

        set_parent_death_signal = 1  # PR_SET_PDEATHSIG
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(set_parent_death_signal, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def wait_until(check, timeout: float, interval: float = 0.05, what: str = ""):
    """Call `check` until it returns something true; return that, or fail."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up after {timeout} s waiting for {what or check}")
        time.sleep(interval)


# --- the SMTP sink -------------------------------------------------------


@dataclass(frozen=True)
class Received:
    """One message the sink accepted (answered 250 to its DATA)."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes

    @property
    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.raw, policy=email.policy.default)

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])


class _Rule:
    def __init__(self, reply: str | None, stall: float, times: int | None):
        self.reply, self.stall, self.times = reply, stall, times


class SmtpSink:
    """An SMTP server that records what it accepts.

    `refuse("DATA", TRY_LATER, times=2)` answers the next two DATA commands
    with that reply (`times=None`: every one); `stall("RCPT", 30)` makes the
    next RCPT wait 30 s (or until the client hangs up, or `release()`)
    before it is answered, as usual or with `reply=`. Commands are MAIL,
    RCPT and DATA.
    """

    def __init__(self):
        self._lock = threading.Condition()
        self._rules: dict[str, list[_Rule]] = {}
        self._received: list[Received] = []
        self.seen: Counter = Counter()  # commands the sink answered, by name
        self.stalling = threading.Event()  # set while a command is stalled
        self._release = threading.Event()
        self.controller = None
        self.port = 0

    # Control (from the test's thread).

    def start(self, port: int | None = None) -> "SmtpSink":
        """Listen on `port` (to come back where it was after stop()), or on
        a free one."""
        from aiosmtpd.controller import Controller

        logging.getLogger("mail.log").setLevel(logging.WARNING)  # a line a command
        self.port = port or free_port()
        self.controller = Controller(
            _Handler(self), hostname="127.0.0.1", port=self.port, ready_timeout=10
        )
        self.controller.start()
        return self

    def stop(self) -> None:
        self.release()
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def refuse(self, command: str, reply: str, *, times: int | None = 1) -> None:
        self._add(command, _Rule(reply, 0.0, times))

    def stall(
        self,
        command: str,
        seconds: float,
        *,
        reply: str | None = None,
        times: int | None = 1,
    ) -> None:
        """Answer the command only after `seconds` (with `reply`, if given)."""
        self._add(command, _Rule(reply, seconds, times))

    def _add(self, command: str, rule: _Rule) -> None:
        with self._lock:
            self._rules.setdefault(command.upper(), []).append(rule)

    def release(self) -> None:
        """End every stall now."""
        self._release.set()

    def reset(self) -> None:
        """Forget the rules and the messages received."""
        self.release()
        with self._lock:
            self._rules.clear()
            self._received.clear()
            self.seen.clear()
            self.stalling.clear()
            self._release = threading.Event()

    @property
    def messages(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def wait_for(self, count: int, timeout: float = 20) -> list[Received]:
        """Wait until at least `count` messages have arrived; return them all."""
        with self._lock:
            if not self._lock.wait_for(lambda: len(self._received) >= count, timeout):
                raise TimeoutError(
                    f"the sink has {len(self._received)} of {count} messages "
                    f"after {timeout} s (commands seen: {dict(self.seen)})"
                )
            return list(self._received)

    # Called by the handler, in the sink's thread.

    def _rule_for(self, command: str) -> _Rule | None:
        with self._lock:
            self.seen[command] += 1
            rules = self._rules.get(command, [])
            if not rules:
                return None
            rule = rules[0]
            if rule.times is not None:
                rule.times -= 1
                if rule.times <= 0:
                    rules.pop(0)
            return rule

    async def _apply(self, command: str) -> str | None:
        rule = self._rule_for(command)
        if rule is None:
            return None
        if rule.stall:
            release = self._release
            self.stalling.set()
            try:
                deadline = time.monotonic() + rule.stall
                while time.monotonic() < deadline and not release.is_set():
                    await asyncio.sleep(0.02)  # cancelled if the client hangs up
            finally:
                self.stalling.clear()
        return rule.reply

    def _accept(self, envelope) -> None:
        with self._lock:
            self._received.append(
                Received(
                    mail_from=envelope.mail_from,
                    rcpt_tos=tuple(envelope.rcpt_tos),
                    raw=bytes(envelope.original_content or envelope.content),
                )
            )
            self._lock.notify_all()


class _Handler:
    def __init__(self, sink: SmtpSink):
        self.sink = sink

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        reply = await self.sink._apply("MAIL")
        if reply:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = await self.sink._apply("RCPT")
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        reply = await self.sink._apply("DATA")
        if reply:
            return reply
        self.sink._accept(envelope)
        return "250 2.0.0 Message accepted for delivery"


# --- a private redis-server ----------------------------------------------


class RedisServer:
    """`redis-server` on a free port of 127.0.0.1, nothing saved to disk."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.dir = tempfile.mkdtemp(prefix="psdm-redis-")
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10) -> "RedisServer":
        executable = shutil.which("redis-server")
        if executable is None:
            raise RuntimeError("redis-server is not installed")
        log = open(os.path.join(self.dir, "redis.log"), "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [
                executable,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.dir,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C in the terminal is for pytest
            preexec_fn=_die_with_parent,
        )
        log.close()
        wait_until(self.ping, timeout, what=f"redis-server on port {self.port}")
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def close(self) -> None:
        """Stop it and delete its directory."""
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def command(self, *args: str) -> bytes:
        """Send one command; return the raw first line of the reply."""
        payload = f"*{len(args)}\r\n" + "".join(
            f"${len(a.encode())}\r\n{a}\r\n" for a in args
        )
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
            s.sendall(payload.encode())
            return s.recv(65536).split(b"\r\n", 1)[0]

    def ping(self) -> bool:
        try:
            return self.command("PING") == b"+PONG"
        except OSError:
            return False

    def queue_length(self, queue: str = "celery") -> int:
        return int(self.command("LLEN", queue)[1:])


# --- a real Celery worker ------------------------------------------------


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL for the database Django is using (the test database
    in tests), so that another process opens the same one."""
    name = settings_dict["NAME"]
    if settings_dict["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{name}"
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{auth}{host}:{port}/{quote(name, safe='')}"


TASK_LINE = re.compile(
    r"Task (?P<name>[\w.]+)\[(?P<id>[\w-]+)\] (?P<what>received|succeeded in"
    r" [\d.e-]+s: (?P<result>.*)|retry: .*|raised .*)$",
    re.MULTILINE,
)


class CeleryWorker:
    """`celery -A psdm worker` in its own process group, logging to a file.

    `env` adds to (and overrides) the variables that point it at the
    database, the broker and the SMTP sink.
    """

    def __init__(
        self,
        *,
        database_url: str,
        broker_url: str,
        smtp_port: int,
        pool: str = "solo",
        concurrency: int = 1,
        env: dict[str, str] | None = None,
    ):
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "psdm.settings.base",
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": broker_url,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_port),
            "EMAIL_USE_TLS": "false",
            "EMAIL_USE_SSL": "false",
            "EMAIL_TIMEOUT": "10",
            "PSDM_EMAIL_RETRY_SECONDS": "1",
            "PSDM_EMAIL_CLAIM_SECONDS": "3",
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        self.pool, self.concurrency = pool, concurrency
        self.proc: subprocess.Popen | None = None
        self.logfile = ""

    def start(self, timeout: float = 45) -> "CeleryWorker":
        fd, self.logfile = tempfile.mkstemp(prefix="psdm-worker-", suffix=".log")
        name = f"mailtest-{os.getpid()}-{time.monotonic_ns()}@%h"
        self.proc = subprocess.Popen(
            [
                str(BIN / "celery"),
                "-A",
                "psdm",
                "worker",
                f"--pool={self.pool}",
                f"--concurrency={self.concurrency}",
                "--loglevel=info",
                f"--hostname={name}",
                "--without-mingle",
                "--without-gossip",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=fd,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        os.close(fd)
        try:
            wait_until(
                lambda: self.proc.poll() is not None or " ready." in self.log(),
                timeout,
                interval=0.1,
                what="the Celery worker to be ready",
            )
        except TimeoutError as exc:
            self.stop()
            message = f"the Celery worker is not ready; see {self.logfile}"
            raise TimeoutError(message) from exc
        if self.proc.poll() is not None:
            raise RuntimeError(f"the Celery worker exited:\n{self.log()[-3000:]}")
        return self

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL the whole worker at once: no clean-up, no goodbye."""
        if self.alive:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.alive:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def close(self) -> None:
        """Stop it and delete its log."""
        self.stop()
        if self.logfile:
            Path(self.logfile).unlink(missing_ok=True)

    def log(self) -> str:
        try:
            return Path(self.logfile).read_text(errors="replace")
        except OSError:
            return ""

    def task_lines(self) -> list[re.Match]:
        return list(TASK_LINE.finditer(self.log()))

    def results(self, task_id: str) -> list[str]:
        """What the task with this id returned, each time it ran to the end."""
        return [
            m["result"]
            for m in self.task_lines()
            if m["id"] == task_id and m["what"].startswith("succeeded")
        ]

    def wait_idle(self, timeout: float = 20, settle: float = 0.3) -> None:
        """Wait until every task message the worker received has finished
        (succeeded, raised or was sent back for a retry) and nothing came in
        for `settle` seconds."""

        def idle() -> bool:
            lines = self.task_lines()
            received = sum(m["what"] == "received" for m in lines)
            return received == len(lines) - received

        def settled() -> bool:
            before = len(self.task_lines())
            if not idle():
                return False
            time.sleep(settle)
            return idle() and len(self.task_lines()) == before

        wait_until(settled, timeout, what="the worker to finish its tasks")


# --- this process's Celery app -------------------------------------------


def _reset_pools(app) -> None:
    # kombu keeps its connection and producer pools per broker URL, for the
    # whole process; close them all (they are made again when next needed)
    # so no socket to a stopped broker is reused.
    from kombu import pools

    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def celery_broker(url: str):
    """Send this process's tasks to `url` (not run eagerly) until the block
    ends, then put the app back as it was. Django's `settings` fixture does
    not reach the Celery app, which was configured once at start-up."""
    from psdm.celery import app

    saved = {k: app.conf[k] for k in ("broker_url", "task_always_eager")}
    # Celery reads the broker from this variable, when set, before its conf.
    saved_env = os.environ.get("CELERY_BROKER_URL")
    try:
        app.conf.update(broker_url=url, task_always_eager=False)
        if saved_env is not None:
            os.environ["CELERY_BROKER_URL"] = url
        _reset_pools(app)
        yield app
    finally:
        app.conf.update(saved)
        if saved_env is not None:
            os.environ["CELERY_BROKER_URL"] = saved_env
        _reset_pools(app)
