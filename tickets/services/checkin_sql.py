"""The door's hot path in a few plain SQL statements.

A door device asks many times a second, and for these small statements the
ORM's work in Python (building and compiling each query, making model
instances) costs several times what the database does. The statements are
built once from the models' metadata (identifiers quoted; every value is a
parameter), so a renamed table or column still lines up; what they return
is turned into model instances with the same fields the ORM version loaded
(the rest stay deferred).
"""

from datetime import UTC, datetime
from functools import cache

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection

from events.models import Event

from ..models import Order, Scan, Ticket, TicketType

# (model, fields) in the order the lookup selects them.
_LOADED = (
    (
        Ticket,
        (
            "id",
            "event_id",
            "order_id",
            "ticket_type_id",
            "first_name",
            "last_name",
            "organisation",
            "access_needs",
            "status",
            "checked_in_at",
            "checked_in_by_id",
            "checked_in_door",
        ),
    ),
    (Event, ("id", "name", "entry_requires_payment")),
    (Order, ("id", "reference", "status", "payment_method", "payment_status")),
    (TicketType, ("id", "name", "badge_role")),
)
_DATETIMES = {"checked_in_at"}
_BOOLEANS = {"entry_requires_payment"}


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _column(model, attname: str) -> str:
    field = next(f for f in model._meta.concrete_fields if f.attname == attname)
    return connection.ops.quote_name(field.column)


@cache
def _user_fields() -> tuple[str, ...]:
    """What the lookup loads of the user who checked the ticket in (LEFT
    JOINed): the names `checkin.who()` reads."""
    username = get_user_model().USERNAME_FIELD
    return tuple(dict.fromkeys(("id", username, "first_name", "last_name")))


@cache
def _lookup_sql(by: str) -> str:
    """SELECT the ticket found by `by` (secret or id) with its event, order,
    ticket type and the user who checked it in (if any); its own row locked
    where the database can."""
    User = get_user_model()
    aliases = ("t", "e", "o", "tt")
    selected = [
        f"{alias}.{_column(model, name)}"
        for alias, (model, names) in zip(aliases, _LOADED, strict=True)
        for name in names
    ]
    selected += [f"u.{_column(User, name)}" for name in _user_fields()]
    joins = "".join(
        f" JOIN {_table(model)} {alias}"
        f" ON {alias}.{_column(model, 'id')} = t.{_column(Ticket, key)}"
        for model, alias, key in (
            (Event, "e", "event_id"),
            (Order, "o", "order_id"),
            (TicketType, "tt", "ticket_type_id"),
        )
    )
    joins += (
        f" LEFT JOIN {_table(User)} u"
        f" ON u.{_column(User, 'id')} = t.{_column(Ticket, 'checked_in_by_id')}"
    )
    lock = " FOR UPDATE OF t" if connection.features.has_select_for_update_of else ""
    where = f" WHERE t.{_column(Ticket, by)} = %s{lock}"
    return f"SELECT {', '.join(selected)} FROM {_table(Ticket)} t{joins}{where}"  # noqa: S608


def _value(name: str, value):
    if name in _DATETIMES and isinstance(value, str):  # SQLite without converters
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime) and value.tzinfo is None and settings.USE_TZ:
        value = value.replace(tzinfo=UTC)  # stored in UTC
    if name in _BOOLEANS:
        value = bool(value)
    return value


def _batched() -> bool:
    """True where several statements can go to the database in one round
    trip: PostgreSQL with client-side parameter binding (Django's default;
    not with the server_side_binding option)."""
    return connection.vendor == "postgresql" and not connection.settings_dict[
        "OPTIONS"
    ].get("server_side_binding")


def _execute(cursor, statements: list[tuple[str, list]]) -> None:
    """Run the statements in order; the cursor is left on the last one's
    result. Where the database allows, in one round trip."""
    if _batched() and len(statements) > 1:
        cursor.execute(
            "; ".join(sql for sql, _params in statements),
            [value for _sql, params in statements for value in params],
        )
        for _more in statements[1:]:
            cursor.nextset()
        return
    for sql, params in statements:
        cursor.execute(sql, params)


def ticket_locked(*, secret: str | None = None, ticket_id: int | None = None):
    """The ticket with this badge secret (or id), its row locked until the
    transaction ends, with its event, order and ticket type; or None.

    On PostgreSQL the lock is waited for at most PSDM_LOCK_TIMEOUT_MS (as
    `places.lock_timeout_set()` does, in the same round trip)."""
    by, key = ("secret", secret) if secret is not None else ("id", ticket_id)
    statements = [(_lookup_sql(by), [key])]
    if connection.vendor == "postgresql":
        timeout = f"{int(settings.PSDM_LOCK_TIMEOUT_MS)}ms"
        statements.insert(0, ("SELECT set_config('lock_timeout', %s, true)", [timeout]))
    with connection.cursor() as cursor:
        _execute(cursor, statements)
        row = cursor.fetchone()
    if row is None:
        return None
    instances, start = [], 0
    for model, names in _LOADED:
        values = [_value(n, v) for n, v in zip(names, row[start:], strict=False)]
        instances.append(model.from_db(connection.alias, names, values))
        start += len(names)
    ticket, event, order, ticket_type = instances
    ticket.event, ticket.order, ticket.ticket_type = event, order, ticket_type
    user_id = row[start]
    # After waiting for another door's lock PostgreSQL re-reads the ticket's
    # row but not the joined user's: a user who doesn't match the fresh row
    # is left for the ORM to load when asked.
    if user_id is not None and user_id == ticket.checked_in_by_id:
        ticket.checked_in_by = get_user_model().from_db(
            connection.alias, _user_fields(), row[start:]
        )
    return ticket


@cache
def _check_in_sql() -> str:
    t = Ticket
    return (
        f"UPDATE {_table(t)} SET {_column(t, 'checked_in_at')} = %s,"  # noqa: S608
        f" {_column(t, 'checked_in_by_id')} = %s,"
        f" {_column(t, 'checked_in_door')} = %s WHERE {_column(t, 'id')} = %s"
    )


_SCAN_FIELDS = (
    "event_id",
    "user_id",
    "door",
    "scanned_at",
    "kind",
    "code",
    "nonce",
    "result",
    "message",
    "ticket_id",
    "device_id",
)


@cache
def _scan_insert_sql() -> str:
    columns = ", ".join(_column(Scan, name) for name in _SCAN_FIELDS)
    marks = ", ".join(["%s"] * len(_SCAN_FIELDS))
    return f"INSERT INTO {_table(Scan)} ({columns}) VALUES ({marks})"  # noqa: S608


def scan_record(*, check_in: bool, **values) -> tuple[int, int]:
    """Check the scan's ticket in (if `check_in`: at `scanned_at`, by
    `user_id`, at `door`), log the scan (the fields of _SCAN_FIELDS) and
    return the event's counts (checked in, expected) as they now stand; in
    one round trip where the database allows. A nonce this user sent before
    raises IntegrityError, as Scan.objects.create() would."""
    at = connection.ops.adapt_datetimefield_value(values["scanned_at"])
    values["scanned_at"] = at
    statements = [
        (_scan_insert_sql(), [values[name] for name in _SCAN_FIELDS]),
        (_counts_sql(), [values["event_id"], Ticket.Status.CONFIRMED]),
    ]
    if check_in:
        statements.insert(
            0,
            (
                _check_in_sql(),
                [at, values["user_id"], values["door"], values["ticket_id"]],
            ),
        )
    with connection.cursor() as cursor:
        _execute(cursor, statements)
        expected, checked_in = cursor.fetchone()
    return checked_in, expected


@cache
def _counts_sql() -> str:
    t = Ticket
    return (
        f"SELECT COUNT(*), COUNT({_column(t, 'checked_in_at')})"  # noqa: S608
        f" FROM {_table(t)} WHERE {_column(t, 'event_id')} = %s"
        f" AND {_column(t, 'status')} = %s"
    )


def counts(*, event_id: int) -> tuple[int, int]:
    """(checked in, expected): confirmed places, and those checked in."""
    with connection.cursor() as cursor:
        cursor.execute(_counts_sql(), [event_id, Ticket.Status.CONFIRMED])
        expected, checked_in = cursor.fetchone()
    return checked_in, expected
