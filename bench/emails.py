"""E-mail benchmark: how long a real Celery worker takes to send 250
booking confirmations through SMTP.

Run from the repository root (redis-server must be installed; nothing needs
to be running):

    .venv/bin/python bench/emails.py [--count 250] [--concurrency 4]
        [--target 30]

1. A fresh database: with DATABASE_URL set, the database
   ``psdm_bench_emails`` on that PostgreSQL server (dropped and made again
   each run); else a SQLite file in a temporary directory. Migrated.
2. An event and ``--count`` free bookings of one place each, every buyer
   booking for themself: ``--count`` confirmation e-mails in the outbox,
   each with a badge PDF, QR code and calendar invite to build. The bookings
   are made with this process's Celery pointed at ``memory://`` (a broker
   no worker reads), so the e-mails stay queued.
3. Starts an SMTP server that keeps what it receives (aiosmtpd), a private
   redis-server and one Celery worker (prefork, ``--concurrency``
   processes), all from tests/mailtools.py, and always stops them.
4. ``emails_250_seconds``: from handing the first e-mail to Celery (one
   ``email_send.delay`` each, as the sweeper does) until the SMTP server has
   all of them. Then checks each arrived once, under its row's Message-ID,
   and every row is marked sent.
5. Prints ONE JSON line on stdout (progress on stderr).

``emails_bench(count)`` does 2-4 and returns the figures; bench/badges.py
calls it with Django already set up, on the database it uses.

Exits 0 if every e-mail arrived exactly once within ``--target`` seconds.
"""

import argparse
import json
import logging
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.mailtools import (  # noqa: E402 - needs ROOT on the path
    CeleryWorker,
    RedisServer,
    SmtpSink,
    celery_broker,
    database_url,
)

BENCH_DATABASE = "psdm_bench_emails"


def log(*args) -> None:
    print(*args, file=sys.stderr, flush=True)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--count", type=int, default=250)
    p.add_argument("--concurrency", type=int, default=4, help="worker processes")
    p.add_argument("--target", type=float, default=30.0, help="seconds")
    return p.parse_args()


def fresh_postgres(url: str) -> str:
    """Drop and create BENCH_DATABASE on the server `url` names; return its URL."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    with psycopg.connect(parts._replace(path="/postgres").geturl()) as admin:
        admin.autocommit = True
        name = sql.Identifier(BENCH_DATABASE)
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(name))
    return parts._replace(path=f"/{BENCH_DATABASE}").geturl()


def setup_django(directory: str) -> str:
    """Set Django up on a fresh, migrated database; return which kind."""
    url = os.environ.get("DATABASE_URL", "")
    if url:
        log(f"making a fresh PostgreSQL database {BENCH_DATABASE}")
        url = fresh_postgres(url)
    else:
        url = f"sqlite:///{directory}/bench.sqlite3"
    os.environ["DJANGO_SETTINGS_MODULE"] = "psdm.settings.base"
    os.environ["DATABASE_URL"] = url
    os.environ["PSDM_VAR_DIR"] = directory
    os.environ["DJANGO_DEBUG"] = "false"  # no query log kept in memory
    os.environ.pop("CELERY_BROKER_URL", None)  # memory://: run in-process
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    os.environ.pop("EMAIL_HOST", None)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    log("migrating")
    call_command("migrate", interactive=False, verbosity=0)
    return connection.vendor


def book_confirmations(count: int):
    """An event and `count` one-place bookings: `count` queued confirmation
    e-mails. Returns their rows' ids."""
    from django.utils import timezone

    from events.models import Event
    from tickets.models import Email, TicketType
    from tickets.services import AttendeeDetails, OrderLine, order_create

    start = timezone.now() + timedelta(days=30)
    event = Event.objects.create(
        name="Public Sector Digital Midlands 2026",
        slug=f"email-bench-{time.time_ns()}",
        summary="Everybody gets a confirmation.",
        starts_at=start,
        ends_at=start + timedelta(hours=8),
        venue_name="Bench venue",
        venue_address="1 High Street\nBirmingham",
        capacity=count,
        is_published=True,
    )
    ticket_type = TicketType.objects.create(event=event, name="Public sector")
    with celery_broker("memory://"):  # no worker reads it: the e-mails wait
        for n in range(count):
            email = f"person{n}@example.gov.uk"
            order_create(
                event_id=event.pk,
                buyer_name=f"Person {n}",
                buyer_email=email,
                lines=[
                    OrderLine(
                        ticket_type_id=ticket_type.pk,
                        attendee=AttendeeDetails(
                            first_name="Person",
                            last_name=str(n),
                            email=email,
                            organisation="Birmingham City Council",
                            sector="local_government",
                        ),
                    )
                ],
            )
    ids = list(Email.objects.filter(order__event=event).values_list("pk", flat=True))
    queued = Email.objects.filter(pk__in=ids, status=Email.Status.QUEUED).count()
    if len(ids) != count or queued != count:
        raise RuntimeError(f"expected {count} queued e-mails, found {queued}")
    return ids


def emails_bench(count: int = 250, *, concurrency: int = 4) -> dict:
    """Queue `count` confirmations, then time a real worker sending them all
    to an SMTP server. Django must be set up, its database migrated."""
    from django.db import connection

    from tickets.models import Email
    from tickets.tasks import email_send

    log(f"booking {count} places, one confirmation e-mail each")
    ids = book_confirmations(count)
    sink = SmtpSink().start()
    redis = RedisServer().start()
    worker = CeleryWorker(
        database_url=database_url(connection.settings_dict),
        broker_url=redis.url,
        smtp_port=sink.port,
        pool="prefork",
        concurrency=concurrency,
        env={"PSDM_EMAIL_CLAIM_SECONDS": "300", "DJANGO_DEBUG": "false"},
    )
    try:
        log(f"starting a Celery worker with {concurrency} processes")
        worker.start()
        with celery_broker(redis.url):
            log(f"handing {count} e-mails to Celery")
            start = time.perf_counter()
            for email_id in ids:
                email_send.delay(email_id)
            received = sink.wait_for(count, timeout=300)
            seconds = time.perf_counter() - start
            worker.wait_idle(timeout=30)
        received = sink.messages
    except Exception:
        log(f"the worker's log: {worker.logfile}")
        raise
    finally:
        worker.stop()
        redis.close()
        sink.stop()
    rows = Email.objects.filter(pk__in=ids)
    expected = {email.message_id for email in rows}
    message_ids = [message.message_id for message in received]
    sent = rows.filter(status=Email.Status.SENT).count()
    worker.close()
    return {
        "emails": count,
        f"emails_{count}_seconds": round(seconds, 2),
        "per_second": round(count / seconds, 1),
        "received": len(received),
        "duplicates": len(message_ids) - len(set(message_ids)),
        "all_received_once": sorted(message_ids) == sorted(expected),
        "rows_sent": sent,
        "attempts": sum(rows.values_list("attempts", flat=True)),
        "worker_concurrency": concurrency,
        "database": connection.vendor,
    }


def main() -> int:
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="psdm-email-bench-") as directory:
        setup_django(directory)
        logging.getLogger("celery").setLevel(logging.WARNING)
        result = emails_bench(args.count, concurrency=args.concurrency)
    print(json.dumps(result), flush=True)
    ok = (
        result["all_received_once"]
        and result["rows_sent"] == args.count
        and result[f"emails_{args.count}_seconds"] < args.target
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
