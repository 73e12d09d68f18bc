"""Checking people in at the door: every answer a scan can get, retries,
undo, search and the counter."""

import itertools
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from psdm.ops import remembered
from tests.conftest import attendee, billing, book, hold, make_event, make_ticket_type
from tickets.models import Order, Scan, Ticket
from tickets.services import (
    Actor,
    checkin,
    checkin_sql,
    invoice_mark_paid,
    order_cancel,
    refund_mark_done,
    ticket_attendee_change,
)
from tickets.services.refunds import refund_request


@pytest.fixture
def door(django_user_model):
    return django_user_model.objects.create_user(
        "door", first_name="Dana", last_name="Door"
    )


@pytest.fixture
def other_door(django_user_model):
    return django_user_model.objects.create_user("door2")


_nonces = itertools.count()


def scan(event, code, user, *, nonce=None, door="Main entrance"):
    return checkin.scan(
        event_id=event.pk,
        code=code,
        nonce=nonce or f"nonce-{next(_nonces)}",
        user=user,
        door=door,
    )


def booked_ticket(event, ticket_type, **kwargs) -> Ticket:
    return book(event, ticket_type, **kwargs).tickets.get()


@pytest.fixture
def ticket(event, free_type) -> Ticket:
    return booked_ticket(event, free_type)


def test_a_valid_badge_is_admitted_once(event, ticket, door):
    """The first scan of a confirmed place admits it and says who it is."""
    answer = scan(event, ticket.secret, door)

    assert answer.result == "admitted"
    assert answer.ticket == ticket
    assert answer.checked_in_by == "Dana Door"
    assert answer.door == "Main entrance"
    assert answer.counts == (1, 1)
    ticket.refresh_from_db()
    assert ticket.checked_in_at == answer.checked_in_at
    assert ticket.checked_in_by == door
    assert ticket.checked_in_door == "Main entrance"
    log = Scan.objects.get()
    assert (log.result, log.ticket, log.user, log.code) == (
        "admitted",
        ticket,
        door,
        ticket.secret,
    )


def test_a_second_scan_says_when_by_whom_and_where(event, ticket, door, other_door):
    """A badge already used is refused, saying when, by whom and at which door."""
    first = scan(event, ticket.secret, door)
    again = scan(event, ticket.secret, other_door, door="Side door")

    assert again.result == "already_checked_in"
    assert again.checked_in_at == first.checked_in_at
    assert again.checked_in_by == "Dana Door"
    assert again.door == "Main entrance"
    assert "Dana Door" in again.message and "Main entrance" in again.message
    assert again.counts == (1, 1)
    assert list(Scan.objects.values_list("result", flat=True)) == [
        "already_checked_in",
        "admitted",
    ]


def test_codes_a_scanner_sends_with_a_newline_still_work(event, ticket, door):
    assert scan(event, f" {ticket.secret}\r\n", door).result == "admitted"


def test_an_unknown_code_is_invalid_and_logged(event, ticket, door):
    answer = scan(event, "A" * 27, door)

    assert answer.result == "invalid"
    assert answer.ticket is None
    assert answer.checked_in_at is None
    assert Scan.objects.get().code == "A" * 27
    ticket.refresh_from_db()
    assert ticket.checked_in_at is None


@pytest.mark.parametrize(
    "code",
    [
        "",
        "   ",
        "x" * 65,
        "abc$def",
        "' OR 1=1 --",
        "<script>alert(1)</script>",
        "nul\x00byte",
        "https://example.com/ticket",
        "ünïcödé",
        None,
        12345,
    ],
)
def test_junk_never_reaches_a_ticket_query(event, ticket, door, code):
    """Anything that cannot be a badge's code is refused before any ticket
    lookup, and logged without control characters."""
    with CaptureQueriesContext(connection) as queries:
        answer = scan(event, code, door)

    assert answer.result == "invalid"
    assert not any(
        "tickets_ticket" in q["sql"] and "secret" in q["sql"] for q in queries
    )
    assert not any("revokedsecret" in q["sql"] for q in queries)
    logged = Scan.objects.get().code
    assert "\x00" not in logged and len(logged) <= 100


def test_a_long_code_is_logged_shortened(event, door):
    scan(event, "y" * 5000 + "\x00\x01\n", door)
    assert Scan.objects.get().code == "y" * 100


def test_a_held_card_order_is_not_valid(event, free_type, door):
    """Places held while the buyer pays by card do not admit anyone."""
    order = hold(book(event, free_type))
    answer = scan(event, order.tickets.get().secret, door)
    assert answer.result == "invalid"
    assert answer.ticket is not None
    assert not Ticket.objects.filter(checked_in_at__isnull=False).exists()


def test_a_cancelled_place_old_badge_says_cancelled(event, free_type, door):
    """Cancelling replaces the badge's code; the old one says why it fails."""
    order = book(event, free_type, count=2)
    gone, kept = order.tickets.order_by("pk")
    old_code = gone.secret
    order_cancel(
        order_id=order.pk, actor=Actor.system(), ticket_ids=[gone.pk], by_organiser=True
    )

    answer = scan(event, old_code, door)
    assert answer.result == "cancelled"
    assert answer.ticket == gone
    by_name = checkin.admit(
        event_id=event.pk, ticket_id=gone.pk, nonce="m1", user=door, door=""
    )
    assert by_name.result == "cancelled"
    assert scan(event, kept.secret, door).result == "admitted"
    assert scan(event, kept.secret, door).counts == (1, 1)


def test_a_passed_on_place_old_badge_is_not_valid(event, ticket, door):
    """Passing a place on gives it a new badge: the old one admits nobody and
    does not say who has the place now."""
    old_code = ticket.secret
    ticket_attendee_change(
        order_id=ticket.order_id,
        ticket_id=ticket.pk,
        details=attendee(9, first_name="Grace"),
        actor=Actor.system(),
        transfer=True,
        by_organiser=True,
    )
    ticket.refresh_from_db()

    old = scan(event, old_code, door)
    assert old.result == "invalid"
    assert old.ticket is None
    assert "passed" in old.message
    new = scan(event, ticket.secret, door)
    assert new.result == "admitted"
    assert new.ticket.first_name == "Grace"


@pytest.fixture
def invoice_event(db):
    return make_event(slug="invoiced", invoice_payment_enabled=True)


@pytest.fixture
def invoice_ticket(invoice_event):
    ticket_type = make_ticket_type(invoice_event, name="Supplier", price_pence=9500)
    return booked_ticket(
        invoice_event, ticket_type, payment_method="invoice", billing=billing()
    )


def test_an_unpaid_invoice_is_refused_when_the_event_says_so(
    invoice_event, invoice_ticket, door
):
    invoice_event.entry_requires_payment = True
    invoice_event.save()

    answer = scan(invoice_event, invoice_ticket.secret, door)
    assert answer.result == "unpaid"
    assert invoice_ticket.order.reference in answer.message
    invoice_mark_paid(order_id=invoice_ticket.order_id, actor=Actor.system())
    assert scan(invoice_event, invoice_ticket.secret, door).result == "admitted"


def test_an_unpaid_invoice_is_admitted_by_default(invoice_event, invoice_ticket, door):
    """Most public bodies pay after the event: unpaid invoices come in
    unless the organiser says otherwise."""
    assert invoice_event.entry_requires_payment is False
    assert invoice_ticket.order.payment_status == Order.PaymentStatus.AWAITING
    assert scan(invoice_event, invoice_ticket.secret, door).result == "admitted"


def test_an_order_refunded_in_full_is_cancelled(invoice_event, invoice_ticket, door):
    invoice_mark_paid(order_id=invoice_ticket.order_id, actor=Actor.system())
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=invoice_ticket.order_id)
        refund = refund_request(
            order=order, amount_pence=9500, reason="Goodwill", actor=Actor.system()
        )
    refund_mark_done(refund_id=refund.pk, actor=Actor.system())
    assert Ticket.objects.get(pk=invoice_ticket.pk).status == "confirmed"

    answer = scan(invoice_event, invoice_ticket.secret, door)
    assert answer.result == "cancelled"
    assert "refunded" in answer.message


def test_another_events_badge_is_wrong_event(event, door):
    other = make_event(slug="oneteamgov", name="OneTeamGov Midlands")
    ticket = booked_ticket(other, make_ticket_type(other))

    answer = scan(event, ticket.secret, door)
    assert answer.result == "wrong_event"
    assert "OneTeamGov Midlands" in answer.message
    ticket.refresh_from_db()
    assert ticket.checked_in_at is None
    assert scan(other, ticket.secret, door).result == "admitted"


def test_a_retried_scan_gets_the_first_answer_and_counts_once(
    event, ticket, door, other_door
):
    """The same nonce from the same user is answered from the log."""
    first = scan(event, ticket.secret, door, nonce="retry-1")
    again = scan(event, ticket.secret, door, nonce="retry-1")

    assert again.result == first.result == "admitted"
    assert again.checked_in_at == first.checked_in_at
    assert again.checked_in_by == first.checked_in_by
    assert again.door == first.door
    assert Scan.objects.filter(nonce="retry-1").count() == 1
    # Another device may use the same nonce: it is a different scan.
    assert scan(event, ticket.secret, other_door, nonce="retry-1").result == (
        "already_checked_in"
    )


def test_a_retry_after_an_undo_does_not_admit_again(event, ticket, door):
    scan(event, ticket.secret, door, nonce="retry-2")
    assert checkin.undo(event_id=event.pk, ticket_id=ticket.pk, user=door, door="")

    again = scan(event, ticket.secret, door, nonce="retry-2")
    assert again.result == "admitted"
    ticket.refresh_from_db()
    assert ticket.checked_in_at is None
    assert again.counts == (0, 1)


def test_a_retried_refusal_is_refused_again(event, door):
    first = scan(event, "B" * 27, door, nonce="retry-3")
    again = scan(event, "B" * 27, door, nonce="retry-3")
    assert again.result == first.result == "invalid"
    assert again.message == first.message
    assert Scan.objects.count() == 1


def test_undo_takes_back_an_admission(event, ticket, door):
    scan(event, ticket.secret, door)

    assert checkin.undo(event_id=event.pk, ticket_id=ticket.pk, user=door, door="M")
    ticket.refresh_from_db()
    assert (ticket.checked_in_at, ticket.checked_in_by, ticket.checked_in_door) == (
        None,
        None,
        "",
    )
    assert checkin.counts(event_id=event.pk) == (0, 1)
    assert not checkin.undo(event_id=event.pk, ticket_id=ticket.pk, user=door, door="")
    assert list(Scan.objects.values_list("kind", "result")) == [
        ("undo", "not_checked_in"),
        ("undo", "undone"),
        ("scan", "admitted"),
    ]
    assert scan(event, ticket.secret, door).result == "admitted"


def test_undo_of_another_events_place_does_nothing(event, door):
    other = make_event(slug="other")
    ticket = booked_ticket(other, make_ticket_type(other))
    scan(other, ticket.secret, door)
    assert not checkin.undo(event_id=event.pk, ticket_id=ticket.pk, user=door, door="")
    ticket.refresh_from_db()
    assert ticket.checked_in_at is not None


def test_admit_from_search_follows_the_same_rules(event, ticket, door):
    def admit(ticket_id, nonce):
        return checkin.admit(
            event_id=event.pk, ticket_id=ticket_id, nonce=nonce, user=door, door="D"
        )

    assert admit(ticket.pk, "a1").result == "admitted"
    assert admit(ticket.pk, "a2").result == "already_checked_in"
    assert admit(ticket.pk, "a1").result == "admitted"  # a retry
    assert admit(999999, "a3").result == "invalid"
    assert scan(event, ticket.secret, door).result == "already_checked_in"
    assert list(Scan.objects.order_by("pk").values_list("kind", flat=True)) == [
        "manual",
        "manual",
        "manual",
        "scan",
    ]


def test_search_finds_confirmed_places_by_name_email_or_organisation(event, free_type):
    order = book(event, free_type, count=3)
    ada, bob, cat = order.tickets.order_by("pk")
    Ticket.objects.filter(pk=bob.pk).update(
        first_name="Bob",
        last_name="Ng",
        email="bob@nhs.net",
        organisation="NHS Digital",
    )
    Ticket.objects.filter(pk=cat.pk).update(first_name="Cat", last_name="O'Neil_x%")
    hold(book(event, free_type))  # held: not searchable
    other = make_event(slug="other")
    booked_ticket(other, make_ticket_type(other))  # another event's Ada

    def found(query):
        return {t.pk for t in checkin.search(event_id=event.pk, query=query)}

    assert found("ada0") == {ada.pk}
    assert found("LOVELACE") == {ada.pk}
    assert found("bob ng") == {bob.pk}
    assert found("  bob   NG ") == {bob.pk}
    assert found("nhs.net") == {bob.pk}
    assert found("nhs dig") == {bob.pk}
    assert found("public guardian") == {ada.pk, cat.pk}
    assert found("o'neil_x%") == {cat.pk}
    assert found("%") == set()
    assert found("_%") == set()
    assert found("a") == set()
    assert found("\x00\x00a\x00") == set()
    assert found("x" * 5000) == set()
    assert len(checkin.search(event_id=event.pk, query="Lovelace", limit=1)) == 1


def test_search_leaves_out_cancelled_places(event, free_type):
    order = book(event, free_type, count=2)
    gone = order.tickets.order_by("pk").first()
    order_cancel(
        order_id=order.pk, actor=Actor.system(), ticket_ids=[gone.pk], by_organiser=True
    )
    assert [t.pk for t in checkin.search(event_id=event.pk, query="Lovelace")] == [
        order.tickets.order_by("pk").last().pk
    ]


def test_counts_are_checked_in_out_of_confirmed_places(event, free_type, door):
    order = book(event, free_type, count=3)
    hold(book(event, free_type, count=2))
    first, second, third = order.tickets.order_by("pk")
    scan(event, first.secret, door)
    scan(event, second.secret, door)
    assert checkin.counts(event_id=event.pk) == (2, 3)
    order_cancel(
        order_id=order.pk,
        actor=Actor.system(),
        ticket_ids=[second.pk, third.pk],
        by_organiser=True,
    )
    assert checkin.counts(event_id=event.pk) == (1, 1)
    assert checkin.counts(event_id=event.pk).checked_in == 1


def test_door_names_are_stored_without_control_characters(event, ticket, door):
    answer = scan(event, ticket.secret, door, door="Main\x00 door\n" + "z" * 200)
    assert answer.door == ("Main door" + "z" * 200)[:100]
    assert Scan.objects.get().door == answer.door


def test_the_door_opens_on_todays_event(db):
    now = timezone.now()
    past = make_event(
        slug="past", starts_at=now - timedelta(days=9), ends_at=now - timedelta(days=9)
    )
    assert checkin.events_at_the_door() == [past]
    today = make_event(
        slug="today",
        starts_at=now - timedelta(hours=2),
        ends_at=now + timedelta(hours=6),
    )
    make_event(slug="hidden", is_published=False)
    later = make_event(
        slug="later",
        starts_at=now + timedelta(days=90),
        ends_at=now + timedelta(days=90, hours=8),
    )
    assert checkin.events_at_the_door() == [today, later]
    assert checkin.events_at_the_door(now=now + timedelta(days=200)) == [later]


def test_the_door_remembers_an_events_id_by_its_name(django_assert_num_queries, db):
    event = make_event(slug="launch")
    with django_assert_num_queries(1):
        assert checkin.door_event_id("launch") == event.pk
    with django_assert_num_queries(0):
        assert checkin.door_event_id("launch") == event.pk
    assert checkin.door_event_id("no-such-event") is None


def test_saving_or_deleting_an_event_forgets_its_name(db):
    first = make_event(slug="launch")
    assert checkin.door_event_id("launch") == first.pk
    first.slug = "launch-2018"
    first.save()
    second = make_event(slug="launch")  # the name now belongs to another event
    assert checkin.door_event_id("launch") == second.pk
    second.delete()
    assert checkin.door_event_id("launch") is None


def test_the_door_works_without_a_cache(db, monkeypatch):
    event = make_event(slug="launch")

    def broken(*args, **kwargs):
        raise ConnectionError("Redis is down")

    for name in ("get", "set", "delete_many"):
        monkeypatch.setattr(remembered.cache, name, broken)
    assert checkin.door_event_id("launch") == event.pk
    event.save()  # forgetting it fails quietly too


def test_a_scan_loads_what_the_orm_would(event, ticket, door):
    """The plain SQL lookup gives the same values, typed the same, as the
    ORM, on either database (times aware, flags booleans)."""
    scan(event, ticket.secret, door)
    event.entry_requires_payment = True
    event.save()
    with transaction.atomic():
        loaded = checkin_sql.ticket_locked(secret=ticket.secret)
    fresh = Ticket.objects.select_related("event", "order", "ticket_type").get(
        pk=ticket.pk
    )
    assert loaded.pk == fresh.pk
    assert loaded.checked_in_at == fresh.checked_in_at
    assert loaded.checked_in_at.tzinfo is not None
    assert loaded.checked_in_by == door
    assert loaded.event.entry_requires_payment is True
    assert loaded.event.name == fresh.event.name
    assert loaded.order.reference == fresh.order.reference
    assert loaded.order.payment_status == fresh.order.payment_status
    assert loaded.ticket_type.badge_role == fresh.ticket_type.badge_role
    assert loaded.full_name == fresh.full_name
    assert checkin_sql.ticket_locked(ticket_id=ticket.pk).pk == ticket.pk
    assert checkin_sql.ticket_locked(secret="no-such-secret") is None


def test_a_scan_is_a_handful_of_queries(event, ticket, door):
    """Guard the door's hot path: the lookup, the admission, the log row and
    the counter, inside one transaction; on PostgreSQL in two round trips
    (the lock timeout with the lookup, the rest together)."""
    with CaptureQueriesContext(connection) as queries:
        answer = scan(event, ticket.secret, door)
    assert answer.result == "admitted"
    assert answer.counts == (1, 1)  # counted after the admission
    statements = [
        q["sql"] for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))
    ]
    if connection.vendor == "postgresql":
        assert len(statements) == 2, statements
        assert statements[0].startswith("SELECT set_config('lock_timeout'")
        assert "FOR UPDATE" in statements[0]
        assert statements[1].startswith("UPDATE"), statements
        assert "INSERT INTO" in statements[1] and "COUNT(*)" in statements[1]
    else:
        assert len(statements) == 4, statements
    ticket.refresh_from_db()
    assert ticket.checked_in_at is not None
    assert Scan.objects.get(ticket=ticket).result == "admitted"


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's HOT")
def test_an_admission_updates_the_place_without_touching_an_index(event, ticket, door):
    """Guard the door's hot path on PostgreSQL: checking a place in changes
    no indexed column, so the row is updated in place (HOT) and none of the
    table's indexes is written. An index on checked_in_at or checked_in_by
    would make every admission write them all."""

    def updates() -> tuple[int, int]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_stat_get_xact_tuples_updated(%s::regclass),"
                " pg_stat_get_xact_tuples_hot_updated(%s::regclass)",
                [Ticket._meta.db_table] * 2,
            )
            return cursor.fetchone()

    before = updates()
    assert scan(event, ticket.secret, door).result == "admitted"
    updated, hot = (now - then for now, then in zip(updates(), before, strict=True))
    assert (updated, hot) == (1, 1)


def test_a_second_scan_names_who_let_them_in_from_the_lookup(
    event, ticket, door, django_user_model
):
    """The "already checked in" answer names the door volunteer from the
    lookup's join: no query for the user of its own."""
    door.first_name, door.last_name = "Grace", "Hopper"
    door.save()
    scan(event, ticket.secret, door, door="North")
    other = django_user_model.objects.create_user("door-two")
    with CaptureQueriesContext(connection) as queries:
        again = scan(event, ticket.secret, other)
    assert again.result == "already_checked_in"
    assert again.checked_in_by == "Grace Hopper"
    assert "by Grace Hopper at North" in again.message
    assert not [q for q in queries if q["sql"].startswith('SELECT "auth_user"')]
    assert len([q for q in queries if "tickets_scan" in q["sql"]]) == 1
