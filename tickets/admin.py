from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from events.admin_mixins import CounterSafeAdminMixin

from .models import Order, Ticket, TicketType


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
        return f"£{ticket_type.price_pence / 100:,.2f}"


class TicketInline(admin.TabularInline):
    model = Ticket
    extra = 0
    can_delete = False
    fields = [
        "first_name",
        "last_name",
        "email",
        "organisation",
        "ticket_type",
        "status",
    ]
    readonly_fields = ["ticket_type", "status"]
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        # Places are only taken through the booking service.
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = [
        "reference",
        "buyer_name",
        "buyer_email",
        "event",
        "status",
        "place_count",
        "total",
        "created_at",
    ]
    list_filter = ["status", "event", "created_at"]
    search_fields = ["reference", "buyer_name", "buyer_email", "tickets__last_name"]
    readonly_fields = ["reference", "event", "total_pence", "currency", "created_at"]
    date_hierarchy = "created_at"
    inlines = [TicketInline]
    list_select_related = ["event"]

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).annotate(_place_count=Count("tickets"))

    def has_add_permission(self, request):
        # Orders are created by the booking flow, which takes the places.
        return False

    @admin.display(description=_("places"), ordering="_place_count")
    def place_count(self, order):
        return order._place_count

    @admin.display(description=_("total"), ordering="total_pence")
    def total(self, order):
        return f"£{order.total_pence / 100:,.2f}"


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
    list_filter = ["event", "ticket_type", "status", "sector"]
    search_fields = [
        "first_name",
        "last_name",
        "email",
        "organisation",
        "order__reference",
    ]
    readonly_fields = [
        "order",
        "event",
        "ticket_type",
        "price_pence",
        "status",
        "created_at",
    ]
    list_select_related = ["order", "ticket_type"]

    def has_add_permission(self, request):
        return False
