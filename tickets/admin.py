"""The organiser's admin for ticket types, orders, places, refunds and
Stripe events.

Orders, places and refunds change only through `tickets.services`: their
pages are read-only, and every change is an action (or a button on an
order's page) that calls a service and reports what it did.

Read-only pages: `has_change_permission(request, obj)` is False for a single
order, refund or non-confirmed ticket, so Django shows its "view" page with
no save button. Asked without an object it answers with the user's real
permission, which is what actions and the order's buttons check.
"""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from events.admin_mixins import CounterSafeAdminMixin

from . import stripe_api
from .invoice_pdf import invoice_pdf
from .models import (
    Invoice,
    Order,
    OrderChange,
    Refund,
    StripeEvent,
    Ticket,
    TicketType,
)
from .money import format_pence
from .services import (
    Actor,
    AttendeeDetails,
    BookingError,
    invoice_mark_paid,
    order_amount_due,
    order_cancel,
    refund_make,
    refund_mark_done,
    ticket_attendee_change,
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


@admin.register(TicketType)
class TicketTypeAdmin(CounterSafeAdminMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "event",
        "price",
        "quota",
        "places_taken",
        "max_per_order",
        "is_visible",
        "position",
    ]
    list_filter = ["event", "is_visible"]
    search_fields = ["name", "description"]
    readonly_fields = ["places_taken"]
    list_select_related = ["event"]

    @admin.display(description=_("price"), ordering="price_pence")
    def price(self, ticket_type):
        if ticket_type.is_free:
            return _("Free")
        return format_pence(ticket_type.price_pence, ticket_type.currency)


# -- the order's page: read-only inlines --------------------------------------


class ReadOnlyInline:
    template = "admin/tickets/readonly_tabular.html"
    extra = 0
    max_num = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TicketInline(ReadOnlyInline, admin.TabularInline):
    model = Ticket
    fields = ["attendee", "email", "organisation", "type", "price", "status"]
    readonly_fields = [*fields, "cancel_link"]
    show_change_link = True
    verbose_name_plural = _("places")

    def get_fields(self, request, obj=None):
        if _can(request, "change"):  # to cancel one place needs change_order
            return [*self.fields, "cancel_link"]
        return self.fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("ticket_type")

    @admin.display(description=_("attendee"))
    def attendee(self, ticket):
        return ticket.full_name

    @admin.display(description=_("ticket type"))
    def type(self, ticket):
        return ticket.ticket_type.name

    @admin.display(description=_("price"))
    def price(self, ticket):
        return format_pence(ticket.price_pence, ticket.ticket_type.currency)

    @admin.display(description=_("cancel"))
    def cancel_link(self, ticket):
        if ticket.status != Ticket.Status.CONFIRMED:
            return "-"
        return format_html(
            '<a href="{}">{}</a>',
            reverse(
                "admin:tickets_order_cancel_place", args=[ticket.order_id, ticket.pk]
            ),
            _("Cancel this place…"),
        )


class RefundInline(ReadOnlyInline, admin.TabularInline):
    model = Refund
    fields = [
        "amount",
        "method",
        "status",
        "reason",
        "created_at",
        "completed_at",
        "failure_message",
    ]
    readonly_fields = fields
    show_change_link = True

    @admin.display(description=_("amount"))
    def amount(self, refund):
        return format_pence(refund.amount_pence, refund.order.currency)


class InvoiceInline(ReadOnlyInline, admin.StackedInline):
    model = Invoice
    template = "admin/edit_inline/stacked.html"
    verbose_name_plural = _("invoice")
    fields = [
        "number",
        "pdf",
        "organisation",
        "contact_name",
        "contact_email",
        "address",
        "po_number",
        "issued_at",
        "paid_at",
        "payment_note",
    ]
    readonly_fields = fields

    def has_view_permission(self, request, obj=None):
        # Invoices are only seen on their order's page.
        return _can_see_orders(request)

    @admin.display(description=_("PDF"))
    def pdf(self, invoice):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:tickets_order_invoice", args=[invoice.order_id]),
            _("Download the invoice (PDF)"),
        )


class HistoryInline(ReadOnlyInline, admin.TabularInline):
    model = OrderChange
    fields = ["created_at", "actor", "message"]
    readonly_fields = fields
    verbose_name = _("history")
    verbose_name_plural = _("history")
    ordering = ["created_at", "id"]  # newest last

    def has_view_permission(self, request, obj=None):
        # The history is only seen on its order's page.
        return _can_see_orders(request)


# -- orders -----------------------------------------------------------------


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = [
        "reference",
        "buyer",
        "event",
        "status",
        "payment_method",
        "payment_status",
        "place_count",
        "total",
        "paid",
        "created_at",
    ]
    list_filter = ["status", "payment_method", "payment_status", "event"]
    search_fields = [
        "reference",
        "buyer_name",
        "buyer_email",
        "tickets__last_name",
        "tickets__organisation",
        "invoice__organisation",
        "invoice__number",
        "invoice__po_number",
    ]
    date_hierarchy = "created_at"
    list_select_related = ["event"]
    view_on_site = False  # the buyer's link is on the page, with a warning
    actions = ["cancel_orders", "mark_invoices_paid"]
    inlines = [TicketInline, InvoiceInline, RefundInline, HistoryInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "reference",
                    "event",
                    "buyer_name",
                    "buyer_email",
                    "status",
                    "created_at",
                    "updated_at",
                    "manage_link",
                    "order_actions",
                ]
            },
        ),
        (
            _("Payment"),
            {
                "fields": [
                    "payment_method",
                    "payment_status",
                    "total",
                    "paid",
                    "refunded",
                    "still_to_pay",
                ]
            },
        ),
        (
            _("Card payment"),
            {
                "fields": [
                    "hold_expires_at",
                    "stripe_session_id",
                    "stripe_payment_intent_id",
                ]
            },
        ),
    ]
    readonly_fields = [
        "reference",
        "event",
        "buyer_name",
        "buyer_email",
        "status",
        "created_at",
        "updated_at",
        "manage_link",
        "order_actions",
        "payment_method",
        "payment_status",
        "total",
        "paid",
        "refunded",
        "still_to_pay",
        "hold_expires_at",
        "stripe_session_id",
        "stripe_payment_intent_id",
    ]

    def get_queryset(self, request):
        live = ~Q(tickets__status=Ticket.Status.CANCELLED)
        return (
            super()
            .get_queryset(request)
            .annotate(_place_count=Count("tickets", filter=live))
        )

    def get_fieldsets(self, request, obj=None):
        can_change = self.has_change_permission(request)
        fieldsets = [
            (
                name,
                {
                    **options,
                    "fields": [
                        field
                        for field in options["fields"]
                        if can_change or field != "order_actions"
                    ],
                },
            )
            for name, options in self.fieldsets
        ]
        if obj is not None and obj.payment_method != Order.PaymentMethod.CARD:
            fieldsets = fieldsets[:2]  # no card payment to show
        return fieldsets

    def get_inlines(self, request, obj):
        if obj is None or not Invoice.objects.filter(order=obj).exists():
            return [inline for inline in self.inlines if inline is not InvoiceInline]
        return self.inlines

    # Orders are created by the booking flow and changed only by services.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        if obj is not None:
            return False  # the order's page is read-only; see the module doc
        return super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    # -- columns and fields --

    @admin.display(description=_("buyer"), ordering="buyer_name")
    def buyer(self, order):
        return format_html("{}<br>{}", order.buyer_name, order.buyer_email)

    @admin.display(description=_("places"), ordering="_place_count")
    def place_count(self, order):
        return order._place_count

    @admin.display(description=_("total"), ordering="total_pence")
    def total(self, order):
        return format_pence(order.total_pence, order.currency)

    @admin.display(description=_("paid"), ordering="paid_pence")
    def paid(self, order):
        paid = format_pence(order.paid_pence, order.currency)
        if order.refunded_pence:
            return gettext("%(paid)s (%(refunded)s refunded)") % {
                "paid": paid,
                "refunded": format_pence(order.refunded_pence, order.currency),
            }
        return paid

    @admin.display(description=_("refunded"))
    def refunded(self, order):
        return format_pence(order.refunded_pence, order.currency)

    @admin.display(description=_("still to pay"))
    def still_to_pay(self, order):
        return format_pence(order_amount_due(order=order), order.currency)

    @admin.display(description=_("buyer's booking page"))
    def manage_link(self, order):
        return format_html(
            '<a href="{}">{}</a><div class="help">{}</div>',
            order.get_absolute_url(),
            _("Manage my booking"),
            _(
                "The buyer's private link: anyone with it can change or cancel "
                "the booking, and anything done there is recorded as the buyer."
            ),
        )

    @admin.display(description=_("do something"))
    def order_actions(self, order):
        links = []
        if order.status == Order.Status.CONFIRMED:
            links.append(
                (
                    reverse("admin:tickets_order_cancel", args=[order.pk]),
                    _("Cancel and refund this booking…"),
                )
            )
        if (
            order.payment_method == Order.PaymentMethod.INVOICE
            and order.payment_status == Order.PaymentStatus.AWAITING
            and order.status == Order.Status.CONFIRMED
        ):
            links.append(
                (
                    reverse("admin:tickets_order_invoice_paid", args=[order.pk]),
                    _("Mark the invoice paid…"),
                )
            )
        if not links:
            return "-"
        return format_html_join(" | ", '<a href="{}">{}</a>', links)

    # -- actions --

    @admin.action(
        description=_("Cancel and refund selected orders"), permissions=["change"]
    )
    def cancel_orders(self, request, queryset):
        orders = list(queryset.select_related("event").order_by("pk"))
        if _confirmed(request):
            _cancel_and_report(
                self,
                request,
                [(order, None) for order in orders],
                reason=request.POST.get("reason", "").strip()[:150],
            )
            return None
        return _confirmation(
            self,
            request,
            title=_("Cancel and refund these bookings?"),
            intro=_("Every place in these bookings will be cancelled:"),
            rows=_cancel_rows([(order, None) for order in orders]),
            notes=CANCEL_NOTES,
            confirm_label=_("Yes, cancel and refund"),
            back_url=request.get_full_path(),
            action="cancel_orders",
            selected=[order.pk for order in orders],
            text_field=REASON_FIELD,
        )

    @admin.action(description=_("Mark invoices paid"), permissions=["change"])
    def mark_invoices_paid(self, request, queryset):
        actor = Actor.user(request.user)
        paid, skipped = [], []
        for order in queryset.order_by("pk"):
            if invoice_mark_paid(order_id=order.pk, actor=actor):
                paid.append(order.reference)
            else:
                skipped.append(order.reference)
        if paid:
            self.message_user(
                request,
                ngettext(
                    "Marked %(count)d invoice paid: %(orders)s.",
                    "Marked %(count)d invoices paid: %(orders)s.",
                    len(paid),
                )
                % {"count": len(paid), "orders": ", ".join(paid)},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "Skipped %(count)d order that is not a confirmed booking "
                    "with an unpaid invoice: %(orders)s.",
                    "Skipped %(count)d orders that are not confirmed bookings "
                    "with an unpaid invoice: %(orders)s.",
                    len(skipped),
                )
                % {"count": len(skipped), "orders": ", ".join(skipped)},
                messages.WARNING,
            )

    # -- the order's own pages: invoice PDF, cancel, mark the invoice paid --

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:object_id>/invoice/",
                view(self.invoice_view),
                name="tickets_order_invoice",
            ),
            path(
                "<int:object_id>/cancel/",
                view(self.cancel_view),
                name="tickets_order_cancel",
            ),
            path(
                "<int:object_id>/cancel/<int:ticket_id>/",
                view(self.cancel_view),
                name="tickets_order_cancel_place",
            ),
            path(
                "<int:object_id>/invoice-paid/",
                view(self.invoice_paid_view),
                name="tickets_order_invoice_paid",
            ),
            *super().get_urls(),
        ]

    def _order_or_404(self, request, object_id) -> Order:
        order = self.get_object(request, str(object_id))
        if order is None:
            raise Http404
        return order

    def invoice_view(self, request, object_id):
        order = self._order_or_404(request, object_id)
        if not self.has_view_permission(request, order):
            raise PermissionDenied
        invoice = Invoice.objects.filter(order=order).first()
        if invoice is None:
            raise Http404
        response = HttpResponse(invoice_pdf(invoice), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{invoice.number}.pdf"'
        return response

    def cancel_view(self, request, object_id, ticket_id=None):
        if not self.has_change_permission(request):
            raise PermissionDenied
        order = self._order_or_404(request, object_id)
        back = reverse("admin:tickets_order_change", args=[order.pk])
        tickets = None
        if ticket_id is not None:
            tickets = list(order.tickets.filter(pk=ticket_id))
            if not tickets:
                raise Http404
        if _confirmed(request):
            _cancel_and_report(
                self,
                request,
                [(order, None if tickets is None else [ticket_id])],
                reason=request.POST.get("reason", "").strip()[:150],
            )
            return HttpResponseRedirect(back)
        if tickets is None:
            title = _("Cancel and refund booking %(reference)s?")
            intro = _("Every place in this booking will be cancelled:")
        else:
            title = _("Cancel a place in booking %(reference)s?")
            intro = _("This place will be cancelled; the others stay booked:")
        return _confirmation(
            self,
            request,
            title=title % {"reference": order.reference},
            intro=intro,
            rows=_cancel_rows([(order, tickets)]),
            notes=CANCEL_NOTES,
            confirm_label=_("Yes, cancel and refund"),
            back_url=back,
            text_field=REASON_FIELD,
        )

    def invoice_paid_view(self, request, object_id):
        if not self.has_change_permission(request):
            raise PermissionDenied
        order = self._order_or_404(request, object_id)
        back = reverse("admin:tickets_order_change", args=[order.pk])
        if _confirmed(request):
            note = request.POST.get("note", "").strip()[:200]
            if invoice_mark_paid(
                order_id=order.pk, actor=Actor.user(request.user), note=note
            ):
                self.message_user(
                    request,
                    gettext("Marked the invoice for %(order)s paid.")
                    % {"order": order.reference},
                    messages.SUCCESS,
                )
            else:
                self.message_user(
                    request,
                    gettext(
                        "%(order)s was not marked paid: it is not a confirmed "
                        "booking with an unpaid invoice."
                    )
                    % {"order": order.reference},
                    messages.WARNING,
                )
            return HttpResponseRedirect(back)
        invoice = Invoice.objects.filter(order=order).first()
        return _confirmation(
            self,
            request,
            title=_("Mark the invoice for %(reference)s paid?")
            % {"reference": order.reference},
            intro=_("Only do this once the money is in the bank:"),
            rows=[
                {
                    "label": f"{invoice.number if invoice else '-'}: "
                    f"{invoice.organisation if invoice else order.buyer_name}",
                    "detail": gettext("%(amount)s to pay.")
                    % {
                        "amount": format_pence(
                            order_amount_due(order=order), order.currency
                        )
                    },
                    "warning": "",
                }
            ],
            confirm_label=_("Yes, it has been paid"),
            back_url=back,
            text_field={
                "name": "note",
                "label": _("Payment note (optional)"),
                "help": _("For example the bank transfer's reference."),
                "maxlength": 200,
            },
        )


# -- places -----------------------------------------------------------------


class OrderPaymentFilter(admin.ChoicesFieldListFilter):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.title = _("order's payment")


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = [
        "last_name",
        "first_name",
        "organisation",
        "sector",
        "ticket_type",
        "status",
        "order",
    ]
    list_filter = [
        "event",
        "ticket_type",
        "status",
        "sector",
        ("order__payment_status", OrderPaymentFilter),
    ]
    search_fields = [
        "first_name",
        "last_name",
        "email",
        "organisation",
        "order__reference",
    ]
    fields = [
        "order_link",
        "event",
        "ticket_type",
        "price",
        "status",
        "created_at",
        "cancelled_at",
        *ATTENDEE_FIELDS,
    ]
    readonly_fields = [
        "order_link",
        "event",
        "ticket_type",
        "price",
        "status",
        "created_at",
        "cancelled_at",
    ]
    list_select_related = ["order", "ticket_type__event"]
    actions = ["cancel_places"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # Only a confirmed place's attendee can be changed (the service says
        # so too); other places are shown read-only.
        if obj is not None and obj.status != Ticket.Status.CONFIRMED:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # cancel the place instead, which gives it back

    def has_change_order_permission(self, request):
        return self.has_change_permission(request) and _can(request, "change")

    @admin.display(description=_("order"))
    def order_link(self, ticket):
        return _order_link(ticket.order)

    @admin.display(description=_("price"))
    def price(self, ticket):
        return format_pence(ticket.price_pence, ticket.order.currency)

    def save_model(self, request, obj, form, change):
        """Attendee details change through the service, which records them
        in the order's history."""
        if not change:  # pragma: no cover - adding is not allowed
            raise PermissionDenied
        details = AttendeeDetails(
            **{name: form.cleaned_data.get(name, "") or "" for name in ATTENDEE_FIELDS}
        )
        ticket_attendee_change(
            order_id=obj.order_id,
            ticket_id=obj.pk,
            details=details,
            actor=Actor.user(request.user),
            by_organiser=True,
        )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:  # Django's changeform_view runs in a transaction of its own
            return super().changeform_view(request, object_id, form_url, extra_context)
        except BookingError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.path)

    @admin.action(
        description=_("Cancel and refund selected places"),
        permissions=["change_order"],
    )
    def cancel_places(self, request, queryset):
        groups: dict[int, tuple[Order, list[Ticket]]] = {}
        for ticket in queryset.select_related("order").order_by("order_id", "pk"):
            groups.setdefault(ticket.order_id, (ticket.order, []))[1].append(ticket)
        if _confirmed(request):
            _cancel_and_report(
                self,
                request,
                [
                    (order, [t.pk for t in tickets])
                    for order, tickets in groups.values()
                ],
                reason=request.POST.get("reason", "").strip()[:150],
            )
            return None
        return _confirmation(
            self,
            request,
            title=_("Cancel and refund these places?"),
            intro=_(
                "These places will be cancelled; others in the same bookings stay:"
            ),
            rows=_cancel_rows(list(groups.values())),
            notes=CANCEL_NOTES,
            confirm_label=_("Yes, cancel and refund"),
            back_url=request.get_full_path(),
            action="cancel_places",
            selected=[t.pk for _order, tickets in groups.values() for t in tickets],
            text_field=REASON_FIELD,
        )


# -- refunds ----------------------------------------------------------------


@admin.register(Refund)
class RefundAdmin(admin.ModelAdmin):
    list_display = [
        "order_link",
        "amount",
        "method",
        "status",
        "reason",
        "created_at",
        "completed_at",
        "failure_message",
    ]
    list_filter = ["status", "method"]
    search_fields = ["order__reference", "order__buyer_name", "stripe_refund_id"]
    list_select_related = ["order"]
    fields = [
        "order_link",
        "amount",
        "method",
        "status",
        "reason",
        "created_at",
        "completed_at",
        "attempts",
        "failure_message",
        "stripe_refund_id",
    ]
    readonly_fields = fields
    actions = ["mark_transfers_paid", "retry_card_refunds"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        if obj is not None:
            return False  # read-only; see the module doc
        return super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_order_permission(self, request):
        return self.has_change_permission(request) and _can(request, "change")

    @admin.display(description=_("order"), ordering="order__reference")
    def order_link(self, refund):
        return _order_link(refund.order)

    @admin.display(description=_("amount"), ordering="amount_pence")
    def amount(self, refund):
        return format_pence(refund.amount_pence, refund.order.currency)

    @staticmethod
    def _label(refund):
        return (
            f"{refund.order.reference} "
            f"({format_pence(refund.amount_pence, refund.order.currency)})"
        )

    @admin.action(
        description=_("Mark bank-transfer refunds as paid"),
        permissions=["change_order"],
    )
    def mark_transfers_paid(self, request, queryset):
        actor = Actor.user(request.user)
        done, skipped = [], []
        for refund in queryset.select_related("order").order_by("pk"):
            if refund_mark_done(refund_id=refund.pk, actor=actor):
                done.append(self._label(refund))
            else:
                skipped.append(self._label(refund))
        if done:
            self.message_user(
                request,
                ngettext(
                    "Marked %(count)d refund paid: %(refunds)s.",
                    "Marked %(count)d refunds paid: %(refunds)s.",
                    len(done),
                )
                % {"count": len(done), "refunds": ", ".join(done)},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "Skipped %(count)d refund that is not a bank transfer still "
                    "to do: %(refunds)s.",
                    "Skipped %(count)d refunds that are not bank transfers still "
                    "to do: %(refunds)s.",
                    len(skipped),
                )
                % {"count": len(skipped), "refunds": ", ".join(skipped)},
                messages.WARNING,
            )

    @admin.action(description=_("Retry card refunds now"), permissions=["change_order"])
    def retry_card_refunds(self, request, queryset):
        skipped = []
        for refund in queryset.select_related("order").order_by("pk"):
            if (
                refund.method != Refund.Method.CARD
                or refund.status != Refund.Status.PENDING
            ):
                skipped.append(self._label(refund))
                continue
            try:
                refund = refund_make(refund_id=refund.pk)
            except stripe_api.StripeError as exc:
                self.message_user(
                    request,
                    gettext(
                        "Stripe did not make the refund %(refund)s: %(error)s "
                        "It will be tried again automatically."
                    )
                    % {"refund": self._label(refund), "error": exc},
                    messages.ERROR,
                )
                continue
            _refund_report(self, request, refund)
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "Skipped %(count)d refund that is not a card refund still "
                    "to do: %(refunds)s.",
                    "Skipped %(count)d refunds that are not card refunds still "
                    "to do: %(refunds)s.",
                    len(skipped),
                )
                % {"count": len(skipped), "refunds": ", ".join(skipped)},
                messages.WARNING,
            )


# -- Stripe events ----------------------------------------------------------


@admin.register(StripeEvent)
class StripeEventAdmin(admin.ModelAdmin):
    list_display = ["event_id", "type", "order", "received_at"]
    list_filter = ["type"]
    search_fields = ["event_id", "order__reference"]
    list_select_related = ["order"]
    readonly_fields = ["event_id", "type", "order", "received_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
