from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from .admin_mixins import CounterSafeAdminMixin
from .models import Event, Session, Speaker


class SpeakerInline(admin.TabularInline):
    model = Speaker
    extra = 0
    fields = ["name", "slug", "role", "organisation", "position"]
    prepopulated_fields = {"slug": ["name"]}
    show_change_link = True


@admin.register(Event)
class EventAdmin(CounterSafeAdminMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "starts_at",
        "venue_name",
        "capacity",
        "places_taken",
        "places_left",
        "is_published",
    ]
    list_filter = ["is_published", "starts_at"]
    search_fields = ["name", "slug", "venue_name"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["places_taken", "attendee_tools", "created_at", "updated_at"]
    date_hierarchy = "starts_at"
    inlines = [SpeakerInline]
    fieldsets = [
        (None, {"fields": ["name", "slug", "summary", "description", "aims"]}),
        (
            _("When and where"),
            {"fields": ["starts_at", "ends_at", "venue_name", "venue_address"]},
        ),
        (
            _("Places and booking"),
            {
                "fields": [
                    "capacity",
                    "places_taken",
                    "few_places_threshold",
                    "sales_open_at",
                    "sales_close_at",
                    "is_published",
                ]
            },
        ),
        (
            _("Changes and cancellations"),
            {"fields": ["changes_deadline", "cancellation_deadline"]},
        ),
        (_("At the door"), {"fields": ["entry_requires_payment"]}),
        (
            _("Attendees: e-mails and badges"),
            {"fields": ["reminder_days_before", "attendee_tools"]},
        ),
        (
            _("Invoices"),
            {
                "fields": [
                    "invoice_payment_enabled",
                    "invoice_payment_until",
                    "vat_rate_percent",
                    "vat_number",
                    "invoice_issuer",
                    "invoice_payment_details",
                ]
            },
        ),
        (
            _("Record"),
            {"fields": ["created_at", "updated_at"], "classes": ["collapse"]},
        ),
    ]

    @admin.display(description=_("tools"))
    def attendee_tools(self, event):
        if event.pk is None:
            return "-"
        tools = format_html(
            '<a href="{}?event={}">{}</a> · <a href="{}?event={}">{}</a>',
            reverse("admin:tickets_broadcast_add"),
            event.pk,
            _("Message everyone with a place"),
            reverse("admin:tickets_badgesheet_print"),
            event.pk,
            _("Print all badges"),
        )
        exports = format_html_join(
            " · ",
            '<a href="{}?{}">{}</a>',
            [
                (
                    reverse("admin:tickets_ticket_exports"),
                    f"event={event.pk}&list={kind}",
                    label,
                )
                for kind, label in [
                    ("attendees", _("Attendee list (CSV)")),
                    ("needs", _("Dietary and access needs (CSV)")),
                    ("sign-in", _("Sign-in sheet (CSV)")),
                ]
            ],
        )
        return format_html("{}<br>{}", tools, exports)

    @admin.display(description=_("places left"))
    def places_left(self, event):
        return event.capacity - event.places_taken


@admin.register(Speaker)
class SpeakerAdmin(admin.ModelAdmin):
    list_display = ["name", "role", "organisation", "event", "position"]
    list_editable = ["position"]
    list_filter = ["event"]
    search_fields = ["name", "organisation", "role"]
    prepopulated_fields = {"slug": ["name"]}
    list_select_related = ["event"]


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ["title", "starts_at", "ends_at", "room", "event"]
    list_filter = ["event", "room"]
    search_fields = ["title", "description", "speakers__name"]
    filter_horizontal = ["speakers"]
    list_select_related = ["event"]
    date_hierarchy = "starts_at"
