"""List filters shared by the lists of orders and of places."""

from django.contrib import admin
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from ..models import Ticket


class CheckedInFilter(admin.SimpleListFilter):
    """Places checked in at the door, or not yet."""

    title = _("checked in")
    parameter_name = "checked_in"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(checked_in_at__isnull=self.value() == "no")
        return queryset


class OrderCheckedInFilter(CheckedInFilter):
    """Orders with at least one place checked in, or none."""

    title = _("anyone checked in")

    def queryset(self, request, queryset):
        if self.value() not in ("yes", "no"):
            return queryset
        arrived = Exists(
            Ticket.objects.filter(order=OuterRef("pk"), checked_in_at__isnull=False)
        )
        return queryset.filter(arrived if self.value() == "yes" else ~arrived)
