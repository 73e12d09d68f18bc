"""Personal data is anonymised PSDM_RETENTION_DAYS after an event; the
organiser's counts, totals and exports stay as they were."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.conftest import make_event
from tests.tickets.people import PERSONAL, past_event, populate, rows_mentioning
from tickets import exports
from tickets.dashboard import selectors
from tickets.models import (
    BadgeSheet,
    Email,
    EventAnonymisation,
    Invoice,
    Order,
    OrderChange,
    Ticket,
)
from tickets.services.retention import (
    event_personal_data_anonymise,
    personal_data_anonymise_due,
)
from tickets.tasks import personal_data_anonymise_due as anonymise_task

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def retention(settings):
    settings.PSDM_RETENTION_DAYS = 90


def numbers(event) -> dict:
    """Everything the dashboard and the attendee list count."""
    sales = selectors.ticket_type_sales(event=event)
    return {
        "sales": sales,
        "pool": selectors.event_pool(event=event, sales=sales),
        "sectors": selectors.sector_sales(event=event),
        "days": selectors.daily_sales(event=event),
        "revenue": selectors.event_revenue(event=event),
        "arrivals": selectors.event_arrivals(event=event),
        "attendees": len(exports.attendee_list(event=event).rows),
        "orders": list(
            Order.objects.filter(event=event)
            .order_by("pk")
            .values_list("reference", "status", "payment_status", "total_pence")
        ),
        "tickets": list(
            Ticket.objects.filter(event=event)
            .order_by("pk")
            .values_list(
                "ticket_type_id",
                "sector",
                "organisation",
                "status",
                "price_pence",
                "created_at",
                "checked_in_at",
            )
        ),
        "invoices": list(
            Invoice.objects.filter(order__event=event).values_list(
                "number", "organisation", "po_number", "issued_at"
            )
        ),
    }


def test_anonymising_keeps_counts_and_totals_and_removes_every_name():
    event, _people = past_event(slug="old", days=91)
    BadgeSheet.objects.create(event=event, pdf=b"%PDF names")
    before = numbers(event)
    assert before["attendees"] == 4

    [plan] = personal_data_anonymise_due()

    assert (plan.event, plan.orders, plan.tickets) == (event, 2, 5)
    assert plan.emails > 0
    assert numbers(event) == before
    for text in PERSONAL:
        assert rows_mentioning(text) == [], text
    assert not Ticket.objects.filter(event=event, anonymised_at__isnull=True).exists()
    assert not Order.objects.filter(event=event, anonymised_at__isnull=True).exists()
    assert not BadgeSheet.objects.filter(event=event).exists()
    invoice = Invoice.objects.get(order__event=event)
    assert invoice.organisation == "Birmingham City Council"
    assert invoice.address == "Council House\nBirmingham B1 1BB"
    assert OrderChange.objects.filter(action="personal_data_removed").count() == 2
    assert EventAnonymisation.objects.get(event=event).tickets == 5


def test_emails_not_sent_yet_are_never_sent_after_anonymising():
    event, _people = past_event(slug="old", days=91)
    queued = Email.objects.filter(order__event=event, status=Email.Status.QUEUED)
    assert queued.exists()
    personal_data_anonymise_due()
    assert not Email.objects.filter(
        order__event=event, status__in=[Email.Status.QUEUED, Email.Status.SENDING]
    ).exists()
    assert set(Email.objects.filter(order__event=event).values_list("to_email")) == {
        ("",)
    }


def test_the_dashboard_and_exports_still_work_on_an_anonymised_event(admin_client):
    event, _people = past_event(slug="old", days=91)
    personal_data_anonymise_due()
    page = admin_client.get(f"/admin/dashboard/?event={event.slug}")
    assert page.status_code == 200
    assert b"Grace" not in page.content
    for kind in ("attendees", "needs", "sign-in"):
        response = admin_client.get(
            "/admin/tickets/ticket/exports/", {"event": event.pk, "list": kind}
        )
        assert response.status_code == 200
        assert b"Lovelace" not in response.content


def test_running_it_again_changes_nothing():
    event, _people = past_event(slug="old", days=91)
    personal_data_anonymise_due()
    snapshot = list(Ticket.objects.values()), list(OrderChange.objects.values())
    assert personal_data_anonymise_due() == []
    again = event_personal_data_anonymise(event_id=event.pk)
    assert (again.orders, again.tickets, again.emails) == (0, 0, 0)
    assert (list(Ticket.objects.values()), list(OrderChange.objects.values())) == (
        snapshot
    )
    assert EventAnonymisation.objects.count() == 1


def test_events_within_the_window_and_upcoming_events_are_left_alone():
    recent, _ = past_event(slug="recent", days=89)
    upcoming = make_event(slug="upcoming")
    populate(upcoming)
    old, _ = past_event(slug="old", days=120)

    plans = personal_data_anonymise_due()

    assert [plan.event for plan in plans] == [old]
    for event in (recent, upcoming):
        assert not Ticket.objects.filter(event=event, anonymised_at__isnull=False)
        assert Order.objects.filter(event=event, buyer_name="Grace Hopper").exists()
    assert rows_mentioning("margaret@birmingham.gov.uk")


def test_the_window_comes_from_the_setting(settings):
    event, _ = past_event(slug="recent", days=20)
    settings.PSDM_RETENTION_DAYS = 30
    assert personal_data_anonymise_due() == []
    settings.PSDM_RETENTION_DAYS = 10
    assert [plan.event for plan in personal_data_anonymise_due()] == [event]


def test_zero_days_switches_it_off(settings):
    past_event(slug="old", days=400)
    settings.PSDM_RETENTION_DAYS = 0
    assert personal_data_anonymise_due() == []
    assert Order.objects.filter(buyer_name="Grace Hopper").exists()


def test_dry_run_says_what_it_would_do_and_changes_nothing(capsys):
    event, _ = past_event(slug="old", days=91)
    snapshot = (
        list(Ticket.objects.values()),
        list(Order.objects.values()),
        list(Email.objects.values()),
        list(OrderChange.objects.values()),
    )
    call_command("anonymise_past_events", "--dry-run")
    out = capsys.readouterr().out
    assert "Would anonymise Event old (old" in out
    assert "2 orders, 5 places" in out
    assert "nothing was changed" in out
    assert snapshot == (
        list(Ticket.objects.values()),
        list(Order.objects.values()),
        list(Email.objects.values()),
        list(OrderChange.objects.values()),
    )
    assert not EventAnonymisation.objects.exists()


def test_the_command_anonymises_and_says_so(capsys):
    event, _ = past_event(slug="old", days=91)
    call_command("anonymise_past_events")
    assert "Anonymised Event old" in capsys.readouterr().out
    assert EventAnonymisation.objects.filter(event=event).exists()
    call_command("anonymise_past_events")
    assert "No event ended more than 90 days ago is left" in capsys.readouterr().out


def test_the_daily_task_anonymises_what_is_due(settings):
    past_event(slug="old", days=91)
    assert anonymise_task.apply().get() == 1
    assert anonymise_task.apply().get() == 0
    assert "tickets.tasks.personal_data_anonymise_due" in {
        entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }


def test_an_event_ending_exactly_at_the_cutoff_waits(settings):
    event, _ = past_event(slug="edge", days=91)
    now = event.ends_at + timedelta(days=90)
    assert personal_data_anonymise_due(now=now, dry_run=True) == []
    assert personal_data_anonymise_due(now=now + timedelta(seconds=1), dry_run=True)
    assert timezone.now() > now


def test_the_privacy_notice_says_how_long_data_is_kept(client, settings):
    settings.PSDM_RETENTION_DAYS = 90
    page = client.get("/privacy/")
    assert page.status_code == 200
    assert b"We keep booking data for 90 days after the event" in page.content
    assert b"until the organiser deletes it" not in page.content
    assert b"6 years" in page.content
    settings.PSDM_RETENTION_DAYS = 1
    page = client.get("/privacy/")
    assert b"We keep booking data for 1 day after the event" in page.content


def test_with_retention_off_the_privacy_notice_says_data_is_kept_until_deleted(
    client, settings
):
    settings.PSDM_RETENTION_DAYS = 0
    page = client.get("/privacy/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "We keep booking data after the event until the organiser deletes it" in (
        text
    )
    assert "not removed automatically" in text
    assert "0 days" not in text and "0 day" not in text
    assert "6 years" in text
