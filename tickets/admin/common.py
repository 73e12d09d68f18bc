"""Helpers shared by the tickets admin: permissions, confirmation pages, reports."""

from django.contrib import messages
from django.contrib.admin import helpers
from django.contrib.auth import get_permission_codename
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from ..models import (
    Order,
    Refund,
    Ticket,
)
from ..money import format_pence
from ..services import (
    Actor,
    BookingError,
    order_cancel,
)

CONFIRM_TEMPLATE = "admin/tickets/confirm_action.html"
ATTENDEE_FIELDS = [
    "first_name",
    "last_name",
    "email",
    "organisation",
    "job_title",
    "sector",
    "access_needs",
    "dietary_needs",
]


def _can(request, action: str, model=Order) -> bool:
    opts = model._meta
    codename = get_permission_codename(action, opts)
    return request.user.has_perm(f"{opts.app_label}.{codename}")


def _can_see_orders(request) -> bool:
    return _can(request, "view") or _can(request, "change")


def _order_link(order: Order):
    return format_html(
        '<a href="{}">{}</a>',
        reverse("admin:tickets_order_change", args=[order.pk]),
        order.reference,
    )


def _code_used(ticket: Ticket, currency: str):
    """The code a place was booked with and what it took off, linked."""
    if ticket.code_id is None:
        return "-"
    return format_html(
        '<a href="{}">{}</a> ({})',
        reverse("admin:tickets_code_change", args=[ticket.code_id]),
        ticket.code.code,
        gettext("%(amount)s off")
        % {"amount": format_pence(ticket.discount_pence, currency)},
    )


# -- confirmation pages and cancelling ------------------------------------


def _confirmation(
    model_admin,
    request,
    *,
    title,
    intro,
    rows,
    confirm_label,
    back_url,
    action="",
    selected=(),
    text_field=None,
    notes=(),
):
    """An "Are you sure?" page. For an action it posts the action and the
    selected ids back to the changelist, with post=yes."""
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": title,
        "intro": intro,
        "rows": rows,
        "notes": notes,
        "confirm_label": confirm_label,
        "back_url": back_url,
        "action": action,
        "selected": [str(pk) for pk in selected],
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "text_field": text_field,
    }
    request.current_app = model_admin.admin_site.name
    return TemplateResponse(request, CONFIRM_TEMPLATE, context)


def _confirmed(request) -> bool:
    return request.method == "POST" and request.POST.get("post") == "yes"


REASON_FIELD = {
    "name": "reason",
    "label": _("Reason (optional)"),
    "help": _("Kept in each order's history, for example “event postponed”."),
    "maxlength": 150,
}

CANCEL_NOTES = [
    _("The places go back on sale at once."),
    _(
        "Money paid by card is refunded to the card through Stripe "
        "automatically, for the places cancelled."
    ),
    _(
        "Money paid against an invoice is owed back by bank transfer: make "
        "the transfer, then mark the refund paid under Refunds."
    ),
    _("An unpaid invoice is cancelled with its booking."),
]


def _cancel_rows(groups: list[tuple[Order, list[Ticket] | None]]) -> list[dict]:
    """What the organiser is about to cancel, one row per order."""
    rows = []
    for order, chosen in groups:
        tickets = list(order.tickets.all()) if chosen is None else chosen
        live = [t for t in tickets if t.status != Ticket.Status.CANCELLED]
        names = ", ".join(t.full_name for t in live) or "-"
        value = format_pence(sum(t.price_pence for t in live), order.currency)
        detail = ngettext(
            "%(count)d place (%(names)s), worth %(value)s.",
            "%(count)d places (%(names)s), worth %(value)s.",
            len(live),
        ) % {"count": len(live), "names": names, "value": value}
        if order.paid_pence:
            detail += " " + gettext("Paid %(amount)s by %(method)s.") % {
                "amount": format_pence(order.paid_pence, order.currency),
                "method": order.get_payment_method_display().lower(),
            }
            if order.refunded_pence:
                detail += " " + gettext("%(amount)s already refunded.") % {
                    "amount": format_pence(order.refunded_pence, order.currency)
                }
        else:
            detail += " " + gettext("Nothing paid (%(status)s).") % {
                "status": order.get_payment_status_display().lower()
            }
        warnings = []
        if order.status != Order.Status.CONFIRMED:
            warnings.append(
                gettext("This booking is %(status)s, so it cannot be cancelled.")
                % {"status": order.get_status_display().lower()}
            )
        already = [t.full_name for t in tickets if t.status == Ticket.Status.CANCELLED]
        if chosen is not None and already:
            warnings.append(
                gettext("Already cancelled: %(names)s.") % {"names": ", ".join(already)}
            )
        rows.append(
            {
                "label": f"{order.reference} ({order.buyer_name})",
                "detail": detail,
                "warning": " ".join(warnings),
            }
        )
    return rows


def _cancel_and_report(
    model_admin,
    request,
    groups: list[tuple[Order, list[int] | None]],
    *,
    reason: str,
) -> None:
    """Cancel each order (or only the given tickets of it) through the
    service, then say what was cancelled, what was refused and why, and what
    happens to the money."""
    actor = Actor.user(request.user)
    order_ids = [order.pk for order, _ticket_ids in groups]
    earlier = set(
        Refund.objects.filter(order_id__in=order_ids).values_list("pk", flat=True)
    )
    cancelled, places, refused = [], 0, []
    for order, ticket_ids in groups:
        try:
            order_cancel(
                order_id=order.pk,
                actor=actor,
                ticket_ids=ticket_ids,
                by_organiser=True,
                reason=reason,
            )
        except BookingError as exc:
            refused.append(f"{order.reference}: {exc.message}")
        else:
            cancelled.append(order.reference)
            places += len(ticket_ids) if ticket_ids is not None else 0
    if cancelled:
        if places:
            message = ngettext(
                "Cancelled %(count)d place in %(orders)s.",
                "Cancelled %(count)d places in %(orders)s.",
                places,
            )
        else:
            message = ngettext(
                "Cancelled %(count)d booking: %(orders)s.",
                "Cancelled %(count)d bookings: %(orders)s.",
                len(cancelled),
            )
        model_admin.message_user(
            request,
            message
            % {"count": places or len(cancelled), "orders": ", ".join(cancelled)},
            messages.SUCCESS,
        )
    if refused:
        model_admin.message_user(
            request,
            ngettext(
                "%(count)d was not cancelled: %(reasons)s",
                "%(count)d were not cancelled: %(reasons)s",
                len(refused),
            )
            % {"count": len(refused), "reasons": " ".join(refused)},
            messages.WARNING,
        )
    new_refunds = (
        Refund.objects.filter(order_id__in=order_ids)
        .exclude(pk__in=earlier)
        .select_related("order")
        .order_by("pk")
    )
    for refund in new_refunds:
        _refund_report(model_admin, request, refund)


def _refund_report(model_admin, request, refund: Refund) -> None:
    values = {
        "amount": format_pence(refund.amount_pence, refund.order.currency),
        "order": refund.order.reference,
        "error": refund.failure_message,
    }
    if refund.status == Refund.Status.SUCCEEDED:
        text, level = _("Refunded %(amount)s to the card for %(order)s."), "success"
    elif refund.status == Refund.Status.FAILED:
        text = _(
            "Stripe refused the refund of %(amount)s for %(order)s: %(error)s "
            "Check it under Refunds."
        )
        level = "error"
    elif refund.method == Refund.Method.CARD:
        text = _(
            "A refund of %(amount)s to the card for %(order)s is being made "
            "through Stripe. Its progress is under Refunds."
        )
        level = "info"
    else:
        text = _(
            "%(amount)s is owed back for %(order)s by bank transfer. Make the "
            "transfer, then mark the refund paid under Refunds."
        )
        level = "warning"
    model_admin.message_user(request, text % values, getattr(messages, level.upper()))


# -- ticket types -----------------------------------------------------------
