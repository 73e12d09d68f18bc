from django import forms
from django.contrib import admin
from django.db import models
from django.utils.html import format_html

from .models import Sponsor, SponsorTier


@admin.register(SponsorTier)
class SponsorTierAdmin(admin.ModelAdmin):
    list_display = ["name", "colour_swatch", "rank", "free_places"]
    list_editable = ["rank", "free_places"]
    search_fields = ["name"]
    fields = ["name", "rank", "colour", "free_places", "benefits"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "colour":
            # The browser's colour picker always sends #rrggbb.
            kwargs["widget"] = forms.TextInput(attrs={"type": "color"})
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description="colour", ordering="colour")
    def colour_swatch(self, tier):
        return format_html(
            '<span style="display:inline-block;padding:2px 8px;'
            'background:{};color:{}">{}</span>',
            tier.colour,
            tier.text_colour,
            tier.colour,
        )


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
