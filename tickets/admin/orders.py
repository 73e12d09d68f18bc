"""Orders in admin: read-only, changed only through actions that call services."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from ..invoice_pdf import invoice_pdf
from ..models import (
    Email,
    Invoice,
    Order,
    OrderChange,
    Refund,
    Ticket,
)
from ..money import format_pence
from ..services import (
    Actor,
    invoice_mark_paid,
    order_amount_due,
)
from ..services.notify import order_confirmation_resend
from .badges import PrintBadgesAction
from .common import (
    CANCEL_NOTES,
    REASON_FIELD,
    _can,
    _can_see_orders,
    _cancel_and_report,
    _cancel_rows,
    _code_used,
    _confirmation,
    _confirmed,
)
from .filters import OrderCheckedInFilter


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
    fields = [
        "attendee",
        "email",
        "organisation",
        "type",
        "price",
        "code_used",
        "status",
    ]
    readonly_fields = [*fields, "cancel_link"]
    show_change_link = True
    verbose_name_plural = _("places")

    def get_fields(self, request, obj=None):
        if _can(request, "change"):  # to cancel one place needs change_order
            return [*self.fields, "cancel_link"]
        return self.fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("ticket_type", "code")

    @admin.display(description=_("attendee"))
    def attendee(self, ticket):
        return ticket.full_name

    @admin.display(description=_("ticket type"))
    def type(self, ticket):
        return ticket.ticket_type.name

    @admin.display(description=_("price"))
    def price(self, ticket):
        return format_pence(ticket.price_pence, ticket.ticket_type.currency)

    @admin.display(description=_("code used"))
    def code_used(self, ticket):
        return _code_used(ticket, ticket.ticket_type.currency)

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


class EmailInline(ReadOnlyInline, admin.TabularInline):
    model = Email
    fk_name = "order"
    fields = ["created_at", "kind", "to_email", "status", "attempts", "sent_at"]
    readonly_fields = fields
    show_change_link = True
    verbose_name_plural = _("e-mails")
    ordering = ["created_at", "id"]


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
class OrderAdmin(PrintBadgesAction, admin.ModelAdmin):
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
    list_filter = [
        "status",
        "payment_method",
        "payment_status",
        "event",
        "tickets__ticket_type",
        "tickets__sector",
        OrderCheckedInFilter,
    ]
    search_fields = [
        "reference",
        "buyer_name",
        "buyer_email",
        "tickets__first_name",
        "tickets__last_name",
        "tickets__email",
        "tickets__organisation",
        "invoice__organisation",
        "invoice__number",
        "invoice__po_number",
    ]
    date_hierarchy = "created_at"
    list_select_related = ["event"]
    view_on_site = False  # the buyer's link is on the page, with a warning
    actions = [
        "cancel_orders",
        "mark_invoices_paid",
        "resend_confirmations",
        "print_order_badges",
    ]
    inlines = [TicketInline, InvoiceInline, RefundInline, EmailInline, HistoryInline]
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
    # Everything is read-only: orders change only through the actions.
    readonly_fields = [name for _title, opts in fieldsets for name in opts["fields"]]

    def get_queryset(self, request):
        # A subquery, not Count("tickets"): searching and filtering through
        # the places joins them again, which would multiply a joined count.
        live = (
            Ticket.objects.filter(order=OuterRef("pk"))
            .exclude(status=Ticket.Status.CANCELLED)
            .order_by()
            .values("order")
            .annotate(count=Count("pk"))
            .values("count")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(_place_count=Coalesce(Subquery(live), 0))
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

    @admin.action(
        description=_("Print badges for the selected orders"),
        permissions=["print_badges"],
    )
    def print_order_badges(self, request, queryset):
        return self.print_badges(request, Ticket.objects.filter(order__in=queryset))

    @admin.action(
        description=_("Send the confirmation e-mail again"), permissions=["change"]
    )
    def resend_confirmations(self, request, queryset):
        actor = Actor.user(request.user)
        sent, skipped = [], []
        for order in queryset.order_by("pk"):
            done = order_confirmation_resend(order_id=order.pk, actor=actor)
            (sent if done else skipped).append(order.reference)
        if sent:
            self.message_user(
                request,
                ngettext(
                    "The confirmation will be sent again for %(count)d booking: "
                    "%(orders)s.",
                    "The confirmation will be sent again for %(count)d bookings: "
                    "%(orders)s.",
                    len(sent),
                )
                % {"count": len(sent), "orders": ", ".join(sent)},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                gettext("Skipped bookings that are not confirmed: %(orders)s.")
                % {"orders": ", ".join(skipped)},
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
