"""Refunds and Stripe events in admin."""

from django.contrib import admin, messages
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from .. import stripe_api
from ..models import (
    Refund,
    StripeEvent,
)
from ..money import format_pence
from ..services import (
    Actor,
    refund_make,
    refund_mark_done,
)
from .common import (
    _can,
    _order_link,
    _refund_report,
)


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
