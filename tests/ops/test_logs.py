"""Logs: every line carries its request id, JSON in production, and no
e-mail address, name or secret ever reaches them, whatever the code logs."""

import io
import json
import logging
import re
import secrets

import pytest
from django.test import Client

from psdm.ops.logs import ContextFilter, JsonFormatter, RedactFilter, redact
from tests.conftest import book
from tests.mailtools import NO_MAILBOX, SmtpSink
from tests.tickets.conftest import door_staff_group
from tests.tickets.flow import ATTENDEE, BUYER, fill_up_to_check, url
from tests.tickets.test_checkin_api import post, scan_body
from tickets.models import Email, Order, Ticket, new_secret, new_ticket_secret
from tickets.services import outbox

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@pytest.fixture
def console():
    """What the site's own log handler writes, as text."""
    root = logging.getLogger()
    handler = next(h for h in root.handlers if h.get_name() == "console")
    buffer = io.StringIO()
    old_stream = handler.setStream(buffer)
    old_level = root.level
    root.setLevel(logging.DEBUG)
    try:
        yield buffer
    finally:
        root.setLevel(old_level)
        handler.setStream(old_stream)


def assert_names_nobody(text: str, *secrets: str) -> None:
    assert text  # something was logged, or the test proves nothing
    assert "@" not in text.replace("[email]", "")
    for secret in secrets:
        assert secret not in text


def record(message, *args, exc_info=None) -> logging.LogRecord:
    return logging.LogRecord(
        "psdm.test", logging.ERROR, __file__, 1, message, args, exc_info
    )


# --- the filter and the formatter ------------------------------------------


def test_redact_masks_addresses_links_and_codes_and_keeps_ids():
    ticket_code, link_secret = new_ticket_secret(), new_secret()
    text = (
        f"to ada.o'neil+psdm@example.gov.uk, /bookings/PSDM-7KQ3X/{link_secret}/"
        f"cancel/, code {ticket_code}, {link_secret}; pi_3MtwBwLkdIwHu7ix28a3tqPa "
        "cs_test_a1b2c3 order PSDM-7KQ3X task 1b4e28ba-2fa1-11d2-883f-0016d3cca427"
    )

    masked = redact(text)

    assert masked == (
        "to [email], /bookings/PSDM-7KQ3X/[secret]/cancel/, code [secret], "
        "[secret]; pi_3MtwBwLkdIwHu7ix28a3tqPa cs_test_a1b2c3 order PSDM-7KQ3X "
        "task 1b4e28ba-2fa1-11d2-883f-0016d3cca427"
    )


def test_redact_masks_the_name_that_goes_with_an_address():
    refused = "{'Grace Hopper <grace@example.gov.uk>': (550, b'no such mailbox')}"
    quoted = 'To: "Hopper, Grace" <grace@example.gov.uk>, ada@example.gov.uk'

    assert redact(refused) == "{'[email]': (550, b'no such mailbox')}"
    assert redact(quoted) == "To: [email], [email]"


def test_redact_masks_every_generated_secret():
    for _ in range(2000):
        assert redact(f"x {new_ticket_secret()} {new_secret()} y") == (
            "x [secret] [secret] y"
        )


@pytest.mark.parametrize("make", [new_secret, new_ticket_secret])
def test_a_secret_that_looks_like_a_stripe_id_is_drawn_again(make, monkeypatch):
    """Stripe's ids stay readable in the logs; a secret must not pass for
    one (about one draw in 25,000 would)."""
    draws = iter(["ch_JL43mR7uTLBYRfSbnamz-ZSd3cj1Z", "pi_3MmlLrLkdIwHu7ix0snN0B15"])
    real = secrets.token_urlsafe

    def token_urlsafe(nbytes):
        return next(draws, None) or real(nbytes)

    monkeypatch.setattr(secrets, "token_urlsafe", token_urlsafe)
    secret = make()
    assert not secret.startswith(("ch_", "pi_"))
    assert redact(secret) == "[secret]"
    assert next(draws, None) is None  # both look-alikes were thrown away


def test_the_filter_masks_arguments_and_tracebacks():
    try:
        raise ValueError("no mailbox for grace@example.gov.uk")
    except ValueError:
        import sys

        entry = record(
            "E-mail %s failed: %s",
            7,
            "550 <ada@example.gov.uk>",
            exc_info=sys.exc_info(),
        )

    assert RedactFilter().filter(entry)

    assert entry.getMessage() == "E-mail 7 failed: [email]"
    assert "ValueError: no mailbox for [email]" in entry.exc_text
    formatted = logging.Formatter().format(entry)
    assert "example.gov.uk" not in formatted


def test_json_lines_carry_level_logger_message_and_request_id():
    from psdm.ops.logs import request_id_var

    token = request_id_var.set("req-12345678")
    try:
        entry = record("Booked %s", "PSDM-7KQ3X")
        ContextFilter().filter(entry)
    finally:
        request_id_var.reset(token)

    line = json.loads(JsonFormatter().format(entry))

    assert line["level"] == "ERROR"
    assert line["logger"] == "psdm.test"
    assert line["message"] == "Booked PSDM-7KQ3X"
    assert line["request_id"] == "req-12345678"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["time"])


def test_production_settings_log_json_by_default():
    import subprocess
    import sys

    code = (
        "import django, logging; django.setup(); "
        "logging.getLogger('psdm.test').warning('hello %s', 'grace@example.org')"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "psdm.settings.production",
        "DJANGO_SECRET_KEY": "s" * 50,
        "DATABASE_URL": "postgres://x@127.0.0.1/x",
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert line["message"] == "hello [email]"
    assert (line["level"], line["logger"]) == ("WARNING", "psdm.test")


# --- the request id ----------------------------------------------------------


@pytest.mark.django_db
def test_every_answer_has_a_request_id_and_a_sane_one_is_kept(client):
    made = client.get("/health/")
    kept = client.get("/health/", HTTP_X_REQUEST_ID="lb-1234abcd")
    junk = client.get("/health/", HTTP_X_REQUEST_ID="<script>")

    assert UUID.match(made["X-Request-ID"])
    assert kept["X-Request-ID"] == "lb-1234abcd"
    assert UUID.match(junk["X-Request-ID"])


@pytest.mark.django_db
def test_a_request_logs_one_line_with_its_id_and_the_path_masked(client, console):
    secret = new_secret()
    response = client.get(
        f"/bookings/PSDM-AAAAA/{secret}/", HTTP_X_REQUEST_ID="r-1234567"
    )

    assert response.status_code == 404
    text = console.getvalue()
    assert "[r-1234567]" in text
    assert "GET /bookings/PSDM-AAAAA/[secret]/ 404" in text
    assert secret not in text


@pytest.mark.django_db
def test_djangos_own_error_lines_carry_the_request_id(client, console):
    """Django logs "Not Found: ..." after the middleware has finished: the
    line still says which request it was."""
    client.get("/bookings/PSDM-AAAAA/nope/", HTTP_X_REQUEST_ID="r-7654321")
    lines = [line for line in console.getvalue().splitlines() if "Not Found" in line]
    assert lines and all("[r-7654321]" in line for line in lines), lines


# --- what real work logs -----------------------------------------------------


@pytest.mark.django_db
def test_a_booking_through_the_pages_logs_nobody(client, console, event, free_type):
    fill_up_to_check(client, event, free_type, count=1)
    response = client.post(url("check", event))

    assert response.status_code == 302
    order = Order.objects.get()
    manage = client.get(order.get_absolute_url())
    assert manage.status_code == 200
    ticket = order.tickets.get()
    assert_names_nobody(
        console.getvalue(),
        BUYER["buyer_name"],
        "Grace",
        "Hopper",
        ATTENDEE["last_name"],
        order.secret,
        ticket.secret,
    )


@pytest.mark.django_db
def test_an_e_mail_refused_by_the_mail_server_logs_nobody(
    console, event, free_type, settings
):
    sink = SmtpSink().start()
    try:
        sink.refuse("RCPT", NO_MAILBOX, times=None)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        order = book(event, free_type, buyer_name="Grace Hopper")
        email = Email.objects.get(order=order, kind=Email.Kind.CONFIRMATION)

        result = outbox.email_send(email_id=email.pk)
    finally:
        sink.stop()

    assert result.status == Email.Status.FAILED
    text = console.getvalue()
    assert f"E-mail {email.pk} failed for good" in text
    assert_names_nobody(text, "grace@example.gov.uk", "Grace", "Hopper")


@pytest.mark.django_db
def test_a_check_in_logs_nobody(console, event, free_type, django_user_model):
    door = django_user_model.objects.create_user(
        "door", first_name="Dana", last_name="Door"
    )
    door.groups.add(door_staff_group())
    client = Client()
    client.force_login(door)
    ticket = book(event, free_type).tickets.get()

    admitted = post(client, "/checkin/api/scan", scan_body(event, ticket.secret))
    again = post(
        client, "/checkin/api/scan", scan_body(event, ticket.secret, nonce="n-2")
    )
    forged = post(
        client, "/checkin/api/scan", scan_body(event, new_ticket_secret(), nonce="n-3")
    )
    search = client.get(f"/checkin/api/search?event={event.slug}&q=Lovelace")

    assert admitted.json()["result"] == "admitted"
    assert again.json()["result"] == "already_checked_in"
    assert forged.json()["result"] == "invalid"
    assert search.status_code == 200
    assert Ticket.objects.get(pk=ticket.pk).checked_in_at is not None
    assert_names_nobody(console.getvalue(), ticket.secret, "Ada0", "Dana", "Door ")
