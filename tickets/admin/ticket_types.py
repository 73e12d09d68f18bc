"""Ticket types in admin."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from events.admin_mixins import CounterSafeAdminMixin

from ..models import (
    TicketType,
)
from ..money import format_pence


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
