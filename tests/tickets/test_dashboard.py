"""The organiser's dashboard: exact numbers for a known scenario, charts that
escape what organisers type, and a page only organisers reach."""

from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from tests.conftest import billing, book, hold, make_event, make_ticket_type
from tickets.dashboard import charts, selectors
from tickets.models import Email, Order, Ticket
from tickets.services import Actor, invoice_mark_paid, order_cancel

DASHBOARD = "/admin/dashboard/"
ORGANISER = Actor("An organiser")


def local(day: int, hour: int, minute: int = 0, month: int = 9) -> datetime:
    return timezone.make_aware(datetime(2026, month, day, hour, minute))


@pytest.fixture
def scenario(event, free_type, paid_type):
    """7 confirmed places (4 free, 3 supplier), 1 held, 1 whose hold ran out,
    1 cancelled; one invoice paid (then £20 refunded), one unpaid; 3 of the
    7 checked in; e-mails in every state."""
    event.invoice_payment_enabled = True
    event.save()
    free = book(event, free_type, count=3)
    partly = book(event, free_type, count=2)
    kept, dropped = partly.tickets.order_by("pk")
    order_cancel(
        order_id=partly.pk, actor=ORGANISER, ticket_ids=[dropped.pk], by_organiser=True
    )
    unpaid = book(
        event, paid_type, count=2, payment_method="invoice", billing=billing()
    )
    paid = book(event, paid_type, count=1, payment_method="invoice", billing=billing())
    assert invoice_mark_paid(order_id=paid.pk, actor=ORGANISER)
    Order.objects.filter(pk=paid.pk).update(refunded_pence=2000)
    card = book(event, paid_type, payment_method="invoice", billing=billing())
    hold(card, minutes=30)  # now a card order waiting for payment
    hold(book(event, free_type, count=1), minutes=-5)
    unpaid.tickets.update(sector=Ticket.Sector.SUPPLIER)

    # Booked on 1 and 3 September (nothing on the 2nd).
    free.tickets.update(created_at=local(1, 12))
    Ticket.objects.filter(pk=kept.pk).update(created_at=local(3, 12))
    Ticket.objects.filter(order__in=[unpaid, paid]).update(created_at=local(3, 12))

    # At the door: 09:05 and 09:10, nothing from 09:15, one at 09:40. The
    # cancelled place's check-in (impossible, but) must not count.
    first, second, third = free.tickets.order_by("pk")
    for ticket, when in [(first, (9, 5)), (second, (9, 10)), (third, (9, 40))]:
        Ticket.objects.filter(pk=ticket.pk).update(checked_in_at=local(27, *when))
    Ticket.objects.filter(pk=dropped.pk).update(checked_in_at=local(27, 10))

    Email.objects.all().delete()
    for n, status in enumerate(
        ["queued", "queued", "sending", "sent", "sent", "sent", "failed", "failed"]
    ):
        Email.objects.create(
            key=f"test-{n}",
            kind=Email.Kind.CONFIRMATION,
            to_email=f"someone{n}@example.gov.uk",
            status=status,
            sent_at=timezone.now() if status == "sent" else None,
        )
    return event


@pytest.fixture
def organiser(client, django_user_model):
    user = django_user_model.objects.create_superuser(
        "organiser", "organiser@example.gov.uk", "pw"
    )
    client.force_login(user)
    return client


def test_pool_counts_confirmed_and_live_holds(scenario):
    """Confirmed and held places are exact; a run-out hold and a cancelled
    place are back in the pool."""
    sales = selectors.ticket_type_sales(event=scenario)
    pool = selectors.event_pool(event=scenario, sales=sales)
    assert (pool.capacity, pool.confirmed, pool.held, pool.remaining) == (
        250,
        7,
        1,
        242,
    )
    assert [(s.name, s.confirmed, s.held, s.revenue_pence) for s in sales] == [
        ("Public sector", 4, 0, 0),
        ("Supplier", 3, 1, 28500),
    ]


def test_sales_by_sector_and_day(scenario):
    """Sectors list every choice; days run from the first sale to the last,
    quiet days included, with a running total."""
    sectors = {
        item.label: item.value for item in selectors.sector_sales(event=scenario)
    }
    assert sectors["Central government"] == 5
    assert sectors["Supplier or private sector"] == 2
    assert sum(sectors.values()) == 7
    assert len(sectors) == len(Ticket.Sector.choices)
    days = [
        (d.day.day, d.confirmed, d.cumulative)
        for d in selectors.daily_sales(event=scenario)
    ]
    assert days == [(1, 3, 3), (2, 0, 3), (3, 4, 7)]


def test_revenue_is_paid_less_refunded_and_counts_unpaid_invoices(scenario):
    revenue = selectors.event_revenue(event=scenario)
    assert revenue.paid_pence == 9500
    assert revenue.refunded_pence == 2000
    assert revenue.net_pence == 7500
    assert revenue.outstanding_invoices == 1
    assert revenue.outstanding_pence == 19000


def test_outbox_health(scenario):
    outbox = selectors.outbox_health()
    assert (outbox.queued, outbox.sending, outbox.sent, outbox.failed) == (2, 1, 3, 2)


def test_arrivals_per_quarter_hour_and_checked_in_of_expected(scenario):
    """Check-ins fall into 15-minute slots of local time, empty slots shown;
    only confirmed places count."""
    arrivals = selectors.event_arrivals(event=scenario)
    assert (arrivals.checked_in, arrivals.expected) == (3, 7)
    slots = [
        (timezone.localtime(s.starts_at).strftime("%H:%M"), s.arrivals)
        for s in arrivals.slots
    ]
    assert slots == [("09:00", 2), ("09:15", 0), ("09:30", 1)]


def test_the_page_shows_the_numbers_in_a_few_queries(
    scenario, organiser, django_assert_max_num_queries
):
    # 13: the places reserved at the first step are one aggregate of their own.
    with django_assert_max_num_queries(13):
        response = organiser.get(DASHBOARD)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Dashboard: Test conference" in page
    assert "Places: 8 of 250 taken" in page
    assert "<strong>242</strong> remaining" in page
    assert "£75.00" in page and "£190.00" in page
    assert "<strong>3</strong> checked in of 7 expected (43%)" in page
    failed = reverse("admin:tickets_email_changelist") + "?status__exact=failed"
    assert f'href="{failed}"' in page
    assert page.count('role="img"') == 5


def test_the_event_can_be_chosen_and_defaults_to_the_next(organiser):
    start = timezone.now() - timedelta(days=400)
    make_event(name="Launch", slug="launch", starts_at=start, ends_at=start)
    make_event(name="OneTeamGov Midlands", slug="oneteamgov")
    assert "Dashboard: OneTeamGov Midlands" in organiser.get(DASHBOARD).content.decode()
    chosen = organiser.get(DASHBOARD, {"event": "launch"}).content.decode()
    assert "Dashboard: Launch" in chosen
    assert 'value="launch" selected' in chosen


def test_the_page_works_with_no_events(organiser, db):
    response = organiser.get(DASHBOARD)
    assert response.status_code == 200
    assert "There are no events yet." in response.content.decode()


def test_charts_escape_what_organisers_type(organiser, event):
    """A ticket type's name is text in the SVG, never markup."""
    name = '<script>alert("x")</script><text y="0">&'
    make_ticket_type(event, name=name)
    svg = charts.bar_chart(
        chart_id='x"><script>', title=name, items=[charts.Point(name, 1)]
    )
    assert "<script>" not in svg and '<text y="0">' not in svg
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in svg
    page = organiser.get(DASHBOARD).content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)" in page


def test_anonymous_visitors_are_sent_to_log_in(client, event):
    response = client.get(DASHBOARD)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_people_who_are_not_staff_are_refused(client, django_user_model, event):
    user = django_user_model.objects.create_user("attendee", password="pw")
    client.force_login(user)
    response = client.get(DASHBOARD)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_staff_who_may_not_see_orders_are_refused(client, django_user_model, event):
    """Door staff see the door, not the takings."""
    user = django_user_model.objects.create_user("door", password="pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="check_in"))
    client.force_login(user)
    assert client.get(DASHBOARD).status_code == 403
    assert b"dashboard-link" not in client.get(reverse("admin:index")).content


def test_the_admin_index_links_to_the_dashboard(organiser):
    page = organiser.get(reverse("admin:index")).content.decode()
    assert f'href="{DASHBOARD}" id="dashboard-link"' in page
