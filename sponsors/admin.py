from django.contrib import admin
from django.db import models
from django.utils.html import format_html

from .models import Sponsor, SponsorTier


@admin.register(SponsorTier)
class SponsorTierAdmin(admin.ModelAdmin):
    list_display = ["name", "rank"]
    list_editable = ["rank"]
    search_fields = ["name"]


@admin.register(Sponsor)
class SponsorAdmin(admin.ModelAdmin):
    list_display = ["name", "logo_preview", "tier", "event", "position", "is_visible"]
    list_editable = ["position", "is_visible"]
    list_filter = ["event", "tier", "is_visible"]
    search_fields = ["name", "description", "website"]
    list_select_related = ["tier", "event"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    @admin.display(description="logo")
    def logo_preview(self, sponsor):
        if not sponsor.logo:
            return "-"
        return format_html(
            '<img src="{}" alt="" style="max-height:32px;max-width:120px">',
            sponsor.logo.url,
        )
