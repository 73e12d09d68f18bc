"""The dashboard page: choose the event, gather the numbers, draw the charts."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _

from ..models import Email
from . import charts, selectors


def dashboard(request):
    """Show how the chosen event (by default the one on now or next) is doing.

    Reached through `admin.site.admin_view`, so only staff get here; of them,
    only those who may see orders (the numbers are the orders').
    """
    if not request.user.has_perm("tickets.view_order"):
        raise PermissionDenied
    event = selectors.dashboard_event(slug=request.GET.get("event"))
    context = {
        **admin.site.each_context(request),
        "title": _("Dashboard"),
        "event": event,
        "events": selectors.dashboard_events(),
        "outbox": selectors.outbox_health(),
        "failed_emails_url": reverse("admin:tickets_email_changelist")
        + f"?status__exact={Email.Status.FAILED}",
    }
    if event is not None:
        context["title"] = _("Dashboard: %(event)s") % {"event": event.name}
        context.update(_event_context(event))
    return render(request, "admin/tickets/dashboard.html", context)


def _event_context(event) -> dict:
    sales = selectors.ticket_type_sales(event=event)
    pool = selectors.event_pool(event=event, sales=sales)
    sectors = selectors.sector_sales(event=event)
    days = selectors.daily_sales(event=event)
    arrivals = selectors.event_arrivals(event=event)
    return {
        "pool": pool,
        "pool_chart": charts.stacked_bar(
            chart_id="chart-pool",
            title=_("Places: %(taken)d of %(capacity)d taken")
            % {
                "taken": pool.confirmed + pool.held + pool.reserved,
                "capacity": pool.capacity,
            },
            segments=[
                charts.Segment(_("Confirmed"), pool.confirmed, "confirmed"),
                charts.Segment(_("Held while paying"), pool.held, "held"),
                charts.Segment(_("Reserved"), pool.reserved, "reserved"),
                charts.Segment(_("Remaining"), pool.remaining, "remaining"),
            ],
            total=pool.capacity,
        ),
        "ticket_types": sales,
        "ticket_type_chart": charts.bar_chart(
            chart_id="chart-ticket-types",
            title=_("Confirmed places by ticket type"),
            items=[charts.Point(item.name, item.confirmed) for item in sales],
        ),
        "sectors": sectors,
        "sector_chart": charts.bar_chart(
            chart_id="chart-sectors",
            title=_("Confirmed places by sector"),
            items=[charts.Point(item.label, item.value) for item in sectors],
        ),
        "days": days,
        "days_chart": charts.column_chart(
            chart_id="chart-days",
            title=_("Places confirmed per day"),
            points=[
                charts.Point(
                    formats.date_format(day.day, "j M Y"),
                    day.confirmed,
                    tick=formats.date_format(day.day, "j M"),
                )
                for day in days
            ],
        )
        if days
        else None,
        "revenue": selectors.event_revenue(event=event),
        "arrivals": arrivals,
        "arrivals_chart": charts.column_chart(
            chart_id="chart-arrivals",
            title=_("Arrivals per 15 minutes"),
            points=[
                charts.Point(
                    formats.time_format(slot.starts_at, "H:i"),
                    slot.arrivals,
                    tick=formats.time_format(slot.starts_at, "H:i"),
                )
                for slot in arrivals.slots
            ],
        )
        if arrivals.slots
        else None,
        "checked_in_percent": round(100 * arrivals.checked_in / arrivals.expected)
        if arrivals.expected
        else 0,
    }
