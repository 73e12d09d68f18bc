"""Several doors scan one badge at the same moment, each on its own database
connection: it is admitted once. Threads start together at a barrier."""

import threading
import time
from collections import Counter

import pytest
from django.db import connection, transaction
from django.utils import timezone

from tests.conftest import book, make_event, make_ticket_type
from tickets.models import Scan, Ticket
from tickets.services import BookingBusy, checkin

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks are PostgreSQL's; SQLite runs one writer at a time",
    ),
    pytest.mark.django_db(transaction=True),
]

DOORS = 8


def together(jobs) -> list:
    """Run each job in its own thread, all released at once; return results
    (or the exception each raised)."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def worker(index, job):
        try:
            barrier.wait(timeout=30)
            results[index] = job()
        except Exception as exc:  # noqa: BLE001 - reported by the assertions
            results[index] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results


@pytest.fixture
def doors(django_user_model):
    return [django_user_model.objects.create_user(f"door{i}") for i in range(DOORS)]


@pytest.fixture
def tickets():
    event = make_event()
    order = book(event, make_ticket_type(event), count=5)
    return event, list(order.tickets.order_by("pk"))


def scan_job(event, code, user, nonce, door):
    return lambda: checkin.scan(
        event_id=event.pk, code=code, nonce=nonce, user=user, door=door
    )


def test_doors_scanning_one_badge_at_once_admit_it_once(tickets, doors):
    event, places = tickets
    for ticket in places:
        answers = together(
            [
                scan_job(event, ticket.secret, user, f"{ticket.pk}-{i}", f"Door {i}")
                for i, user in enumerate(doors)
            ]
        )
        results = Counter(getattr(a, "result", repr(a)) for a in answers)
        assert results == {"admitted": 1, "already_checked_in": DOORS - 1}
        winner = next(a for a in answers if a.result == "admitted")
        ticket.refresh_from_db()
        assert ticket.checked_in_at == winner.checked_in_at
        assert ticket.checked_in_door == winner.door
        # The others were told about the one admission that happened.
        for answer in answers:
            assert answer.checked_in_at == winner.checked_in_at
            assert answer.checked_in_by == winner.checked_in_by
    assert Scan.objects.count() == DOORS * len(places)
    assert checkin.counts(event_id=event.pk) == (len(places), len(places))


def test_one_scan_sent_twice_at_once_counts_once(tickets, doors):
    """A device that retries before its first request has answered: both
    copies get the first answer, and one scan is logged."""
    event, places = tickets
    user = doors[0]
    for ticket in places:
        nonce = f"same-{ticket.pk}"
        answers = together(
            [scan_job(event, ticket.secret, user, nonce, "Main") for _ in range(6)]
        )
        assert [getattr(a, "result", repr(a)) for a in answers] == ["admitted"] * 6
        assert len({a.checked_in_at for a in answers}) == 1
        assert Scan.objects.filter(user=user, nonce=nonce).count() == 1
    assert Ticket.objects.filter(checked_in_at__isnull=False).count() == len(places)


def test_an_unknown_code_sent_twice_at_once_is_logged_once(tickets, doors):
    event, _ = tickets
    answers = together(
        [scan_job(event, "Z" * 27, doors[0], "junk-1", "Main") for _ in range(6)]
    )
    assert [getattr(a, "result", repr(a)) for a in answers] == ["invalid"] * 6
    assert Scan.objects.filter(nonce="junk-1").count() == 1


def test_a_scan_and_an_admission_from_search_race_for_one_place(tickets, doors):
    event, places = tickets
    for ticket in places:
        answers = together(
            [
                scan_job(event, ticket.secret, doors[0], f"s-{ticket.pk}", "A"),
                lambda ticket=ticket: checkin.admit(
                    event_id=event.pk,
                    ticket_id=ticket.pk,
                    nonce=f"m-{ticket.pk}",
                    user=doors[1],
                    door="B",
                ),
            ]
        )
        assert sorted(getattr(a, "result", repr(a)) for a in answers) == [
            "admitted",
            "already_checked_in",
        ]


def test_a_scan_waits_for_a_locked_place_only_so_long(tickets, doors, settings):
    """Another transaction holds the place's row (an organiser's change, a
    stuck door): the scan gives up after PSDM_LOCK_TIMEOUT_MS with "busy"
    (scan again), logs nothing, and admits once the row is free."""
    settings.PSDM_LOCK_TIMEOUT_MS = 200
    event, places = tickets
    ticket = places[0]
    locked, release = threading.Event(), threading.Event()

    def holder():
        with transaction.atomic():
            Ticket.objects.select_for_update().get(pk=ticket.pk)
            locked.set()
            release.wait(timeout=30)

    def scan_now():
        assert locked.wait(timeout=30)
        try:
            return checkin.scan(
                event_id=event.pk,
                code=ticket.secret,
                nonce="while-locked",
                user=doors[0],
                door="Main",
            )
        finally:
            release.set()

    held, answer = together([holder, scan_now])
    assert held is None
    assert isinstance(answer, BookingBusy), answer
    assert not Scan.objects.exists()
    again = checkin.scan(
        event_id=event.pk,
        code=ticket.secret,
        nonce="while-locked",  # the same scan, sent again
        user=doors[0],
        door="Main",
    )
    assert again.result == "admitted"
    assert Scan.objects.count() == 1


def test_a_scan_that_waited_for_another_doors_admission_names_that_door(tickets, doors):
    """The scan's lookup joins who checked the place in; after waiting for
    the lock PostgreSQL re-reads only the place's row, so the joined "nobody"
    from before the wait must not be believed: the answer names the door
    that let them in."""
    event, places = tickets
    ticket = places[0]
    locked, release = threading.Event(), threading.Event()
    when = timezone.now()

    def admitter():
        with transaction.atomic():
            Ticket.objects.select_for_update().get(pk=ticket.pk)
            Ticket.objects.filter(pk=ticket.pk).update(
                checked_in_at=when, checked_in_by=doors[1], checked_in_door="North"
            )
            locked.set()
            assert release.wait(timeout=30)

    scan = scan_job(event, ticket.secret, doors[0], "waited", "Main")

    def scan_now():
        assert locked.wait(timeout=30)
        return scan()

    def watch():
        """Let the admission commit once the scan is waiting for its lock."""
        try:
            assert locked.wait(timeout=30)
            for _ in range(300):
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE"
                        " wait_event_type = 'Lock' AND datname = current_database()"
                    )
                    if cursor.fetchone()[0]:
                        return True
                time.sleep(0.01)
            return False
        finally:
            release.set()

    _admitted, answer, waited = together([admitter, scan_now, watch])
    assert waited, "the scan never waited for the admission's lock"
    assert answer.result == "already_checked_in", answer
    assert answer.checked_in_by == "door1"
    assert answer.door == "North"
    assert answer.checked_in_at == when
