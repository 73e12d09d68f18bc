from django import forms
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from events.admin_labels import LabelledInputsAdminMixin
from tickets.admin.codes import codes_summary, sponsors_codes_create
from tickets.services.codes import sponsors_with_places_claimed

from . import exports, tasks
from .forms import SponsorAdminForm
from .models import Sponsor, SponsorTier


@admin.register(SponsorTier)
class SponsorTierAdmin(LabelledInputsAdminMixin, admin.ModelAdmin):
    class Media:
        # Tier colours and thumbnails as classes: the CSP refuses inline styles.
        css = {"all": ["css/admin.css", "/sponsors/tiers.css"]}

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
            '<span class="psdm-tier-swatch psdm-tier--{}">{}</span>',
            tier.pk,
            tier.colour,
        )


@admin.register(Sponsor)
class SponsorAdmin(LabelledInputsAdminMixin, admin.ModelAdmin):
    class Media:
        # Tier colours and thumbnails as classes: the CSP refuses inline styles.
        css = {"all": ["css/admin.css", "/sponsors/tiers.css"]}

    form = SponsorAdminForm
    list_display = [
        "name",
        "logo_preview",
        "tier",
        "position",
        "event",
        "is_visible",
        "logo_received",
        "free_places_claimed_of",
        "is_invoiced",
        "is_paid",
    ]
    list_editable = ["position", "is_visible"]
    list_filter = ["event", "tier", "is_visible", "is_invoiced", "is_paid"]
    search_fields = ["name", "description", "website", "contact_name", "contact_email"]
    list_select_related = ["tier", "event"]
    ordering = ["tier__rank", "tier__name", "position", "name"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = [
        (None, {"fields": ["event", "tier", "name", "position", "is_visible"]}),
        (_("On the public pages"), {"fields": ["logo", "website", "description"]}),
        (_("Contact"), {"fields": ["contact_name", "contact_email"]}),
        (
            _("Sponsorship and benefits"),
            {
                "fields": [
                    "is_invoiced",
                    "is_paid",
                    "logo_received",
                    "free_places_claimed_of",
                    "free_places_in_tier",
                    "free_place_codes",
                ]
            },
        ),
    ]
    readonly_fields = [
        "logo_received",
        "free_places_claimed_of",
        "free_places_in_tier",
        "free_place_codes",
    ]
    # Free places are claimed by booking with the sponsor's code.
    actions = [sponsors_codes_create]

    def get_queryset(self, request):
        return sponsors_with_places_claimed(super().get_queryset(request))

    def get_urls(self):
        return [
            path(
                "export/",
                self.admin_site.admin_view(never_cache(self.export_view)),
                name="sponsors_sponsor_export",
            ),
            *super().get_urls(),
        ]

    def export_view(self, request):
        """Download the sponsors listed (with the list's filters and search)
        and their benefits as CSV."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            changelist_url = reverse("admin:sponsors_sponsor_changelist")
            return HttpResponseRedirect(f"{changelist_url}?{ERROR_FLAG}=1")
        sponsors = changelist.get_queryset(request)
        response = HttpResponse(
            exports.sponsor_benefits_csv(sponsors),
            content_type="text/csv; charset=utf-8",
        )
        name = exports.sponsor_benefits_filename(sponsors)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if "logo" in form.changed_data:
            sponsor_id = obj.pk
            transaction.on_commit(
                lambda: tasks.sponsor_logo_renditions_make.delay(sponsor_id)
            )

    @admin.display(description=_("logo"))
    def logo_preview(self, sponsor):
        if not sponsor.logo:
            return "-"
        return format_html(
            '<img src="{}" alt="" class="psdm-logo-thumb">',
            sponsor.web_logo_url,
        )

    @admin.display(description=_("logo received"), boolean=True)
    def logo_received(self, sponsor):
        return sponsor.logo_received

    @admin.display(description=_("free places claimed"))
    def free_places_claimed_of(self, sponsor):
        """n of N: places booked with the sponsor's codes (not cancelled) of
        the tier's free places."""
        if sponsor.pk is None or sponsor.tier_id is None:
            return "-"
        return _("%(claimed)d of %(total)d") % {
            "claimed": getattr(sponsor, "places_claimed", 0),
            "total": sponsor.free_places,
        }

    @admin.display(description=_("free-place codes"))
    def free_place_codes(self, sponsor):
        if sponsor.pk is None:
            return "-"
        return codes_summary(sponsor.codes.order_by("pk"))

    @admin.display(description=_("free places in the tier"))
    def free_places_in_tier(self, sponsor):
        if sponsor.tier_id is None:
            return "-"
        return sponsor.free_places
