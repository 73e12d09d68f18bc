"""The door's scan log in admin: read-only, for organisers to look back."""

from django.contrib import admin

from ..models import Scan


@admin.register(Scan)
class ScanAdmin(admin.ModelAdmin):
    list_display = ["scanned_at", "result", "kind", "ticket", "user", "door", "event"]
    list_filter = ["event", "result", "kind"]
    search_fields = [
        "ticket__first_name",
        "ticket__last_name",
        "ticket__order__reference",
        "code",
        "door",
        "user__username",
    ]
    list_select_related = ["event", "ticket__order", "user"]
    date_hierarchy = "scanned_at"
    fields = [
        "scanned_at",
        "event",
        "kind",
        "result",
        "message",
        "ticket",
        "user",
        "door",
        "code",
        "nonce",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
