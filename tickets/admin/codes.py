"""Codes in admin: discount codes, and the free-place codes of sponsors and
speakers (made by an action on their lists, shown on their pages)."""

from django import forms
from django.contrib import admin, messages
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from events.admin import SpeakerAdmin
from events.admin_labels import LabelledInputsAdminMixin
from events.admin_mixins import CounterSafeAdminMixin
from events.models import Speaker

from ..models import Code, TicketType, code_normalise
from ..money import format_pence
from ..services.codes import (
    code_describe,
    code_generate_text,
    speaker_code_create,
    sponsor_code_create,
)


class CodeAdminForm(forms.ModelForm):
    class Meta:
        model = Code
        fields = [
            "event",
            "code",
            "kind",
            "description",
            "ticket_types",
            "discount_type",
            "discount_percent",
            "discount_amount_pence",
            "max_uses",
            "valid_from",
            "valid_until",
            "is_active",
            "sponsor",
            "speaker",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].required = False
        self.fields["code"].help_text = _(
            "Letters, numbers and hyphens, in any case (stored in capitals). "
            "Leave empty to make an unguessable one."
        )
        if "ticket_types" in self.fields:
            self.fields["ticket_types"].queryset = TicketType.objects.select_related(
                "event"
            )

    def clean_code(self):
        code = code_normalise(self.cleaned_data.get("code") or "")
        return code or code_generate_text()

    def clean(self):
        cleaned = super().clean()
        event = cleaned.get("event")
        types = cleaned.get("ticket_types")
        if event is not None and types:
            others = [tt.name for tt in types if tt.event_id != event.pk]
            if others:
                self.add_error(
                    "ticket_types",
                    _("Choose ticket types of %(event)s only (not %(names)s).")
                    % {"event": event, "names": ", ".join(others)},
                )
        for field, label in (("sponsor", _("sponsor")), ("speaker", _("speaker"))):
            owner = cleaned.get(field)
            if event is not None and owner is not None and owner.event_id != event.pk:
                self.add_error(
                    field,
                    _("Choose a %(what)s of %(event)s.")
                    % {"what": label, "event": event},
                )
        return cleaned


class ValidNowFilter(admin.SimpleListFilter):
    """Codes a buyer could use now (active, in their dates, uses left)."""

    title = _("usable now")
    parameter_name = "usable"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() not in ("yes", "no"):
            return queryset
        now = timezone.now()
        usable = (
            Q(is_active=True)
            & (Q(valid_from__isnull=True) | Q(valid_from__lte=now))
            & (Q(valid_until__isnull=True) | Q(valid_until__gt=now))
            & Q(uses__lt=F("max_uses"))
        )
        return queryset.filter(usable if self.value() == "yes" else ~usable)


@admin.register(Code)
class CodeAdmin(CounterSafeAdminMixin, LabelledInputsAdminMixin, admin.ModelAdmin):
    counter_fields = ("uses",)
    form = CodeAdminForm
    list_display = [
        "code",
        "event",
        "kind",
        "discount",
        "uses_of",
        "valid_from",
        "valid_until",
        "is_active",
        "owner",
    ]
    list_filter = ["kind", "event", ValidNowFilter, "is_active", "discount_type"]
    search_fields = ["code", "description", "sponsor__name", "speaker__name"]
    list_select_related = ["event", "sponsor", "speaker"]
    # A plain multiple select: Django's filter_horizontal widget puts an
    # aria-label on a bare <span>, which axe-core reports.
    readonly_fields = ["uses", "created_at"]
    fieldsets = [
        (None, {"fields": ["event", "code", "kind", "description", "is_active"]}),
        (
            _("What it does"),
            {
                "fields": [
                    "ticket_types",
                    "discount_type",
                    "discount_percent",
                    "discount_amount_pence",
                ]
            },
        ),
        (
            _("How many and when"),
            {"fields": ["max_uses", "uses", "valid_from", "valid_until"]},
        ),
        (_("Given to"), {"fields": ["sponsor", "speaker", "created_at"]}),
    ]

    @admin.display(description=_("discount"))
    def discount(self, code):
        if code.discount_type == Code.DiscountType.FIXED:
            return _("%(amount)s off each place") % {
                "amount": format_pence(code.discount_amount_pence)
            }
        return code_describe(code)

    @admin.display(description=_("places used"), ordering="uses")
    def uses_of(self, code):
        return _("%(uses)d of %(max)d") % {"uses": code.uses, "max": code.max_uses}

    @admin.display(description=_("given to"))
    def owner(self, code):
        if code.sponsor_id:
            return code.sponsor.name
        if code.speaker_id:
            return code.speaker.name
        return code.description or "-"


# -- sponsors' and speakers' pages ---------------------------------------------


def codes_summary(codes) -> str:
    """The codes given to a sponsor or speaker, for their admin page: each
    linked to its own page, with its places used of its places."""
    items = [
        format_html(
            '<li><a href="{}"><code>{}</code></a>: {}{}</li>',
            reverse("admin:tickets_code_change", args=[code.pk]),
            code.code,
            _("%(uses)d of %(max)d places used")
            % {
                "uses": code.uses,
                "max": code.max_uses,
            },
            "" if code.is_active else format_html(" ({})", _("switched off")),
        )
        for code in codes
    ]
    if not items:
        return _(
            "None yet: choose “Create free-place codes” from the actions on the list."
        )
    return format_html(
        '<ul class="psdm-codes">{}</ul>',
        format_html_join("", "{}", ((item,) for item in items)),
    )


def _report(model_admin, request, results) -> None:
    for result in results:
        level = (
            messages.SUCCESS
            if result.created
            else (messages.INFO if result.code else messages.WARNING)
        )
        model_admin.message_user(request, result.message, level)


def _can_add_codes(request) -> bool:
    return request.user.has_perm("tickets.add_code")


@admin.action(description=_("Create free-place codes"))
def sponsors_codes_create(model_admin, request, queryset):
    """Give each selected sponsor a code for its tier's free places."""
    if not _can_add_codes(request):
        model_admin.message_user(
            request, _("You may not create codes."), messages.ERROR
        )
        return
    sponsors = queryset.select_related("tier", "event")
    _report(model_admin, request, [sponsor_code_create(sponsor=s) for s in sponsors])


@admin.action(description=_("Create free-place codes"))
def speakers_codes_create(model_admin, request, queryset):
    """Give each selected speaker a code for one free place."""
    if not _can_add_codes(request):
        model_admin.message_user(
            request, _("You may not create codes."), messages.ERROR
        )
        return
    speakers = queryset.select_related("event")
    _report(model_admin, request, [speaker_code_create(speaker=s) for s in speakers])


# events never imports tickets, so the speakers' admin gains its codes here.
admin.site.unregister(Speaker)


@admin.register(Speaker)
class SpeakerWithCodesAdmin(SpeakerAdmin):
    fields = [*SpeakerAdmin.fields, "free_place_codes"]
    readonly_fields = [*SpeakerAdmin.readonly_fields, "free_place_codes"]
    actions = [*(SpeakerAdmin.actions or []), speakers_codes_create]

    @admin.display(description=_("free-place codes"))
    def free_place_codes(self, speaker):
        if speaker.pk is None:
            return "-"
        return codes_summary(speaker.codes.order_by("pk"))
