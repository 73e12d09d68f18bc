"""The door in admin: the scan log (read-only, for organisers to look back)
and the door devices that scan with a token.

A door device is made through `door_devices.device_create`, which returns
its token once: the organiser sees it in the message after saving, and
nowhere else (only a digest of it is stored). Afterwards only its name may
change. Devices are revoked, never deleted, so the scan log keeps them.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import localize
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from events.admin_labels import LabelledInputsAdminMixin

from ..models import DoorDevice, Scan
from ..models.checkins import SCAN_DOOR_MAX_LENGTH
from ..services import door_devices
from ..services.checkin import printable
from .common import _confirmation, _confirmed


@admin.register(Scan)
class ScanAdmin(admin.ModelAdmin):
    list_display = [
        "scanned_at",
        "result",
        "kind",
        "ticket",
        "user",
        "door",
        "device",
        "event",
    ]
    list_filter = ["event", "result", "kind"]
    search_fields = [
        "ticket__first_name",
        "ticket__last_name",
        "ticket__order__reference",
        "code",
        "door",
        "user__username",
    ]
    list_select_related = ["event", "ticket__order", "user", "device"]
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
        "device",
        "code",
        "nonce",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# -- door devices -------------------------------------------------------------

NOT_DOOR_STAFF = _(
    "Choose an active account that may check people in (a member of the "
    "“Door staff” group, say): the device scans as them."
)
ACTIVE, EXPIRED, REVOKED = "active", "expired", "revoked"
STATUS_LABELS = {ACTIVE: _("Active"), EXPIRED: _("Expired"), REVOKED: _("Revoked")}


def door_staff_accounts():
    """Active accounts with the check-in permission, from a group, directly
    or as superusers: those a door device may act as."""
    app_label, codename = door_devices.PERMISSION.split(".")
    permission = Permission.objects.filter(
        content_type__app_label=app_label, codename=codename
    )
    User = get_user_model()
    return (
        User.objects.filter(is_active=True)
        .filter(
            Q(is_superuser=True)
            | Q(user_permissions__in=permission)
            | Q(groups__permissions__in=permission)
        )
        .distinct()
        .order_by(User.USERNAME_FIELD)
    )


def device_status(device: DoorDevice, now=None) -> str:
    """ACTIVE, EXPIRED or REVOKED, as `door_devices.authenticate` sees it."""
    if device.revoked_at is not None:
        return REVOKED
    if device.expires_at is not None and device.expires_at <= (now or timezone.now()):
        return EXPIRED
    return ACTIVE


class DoorDeviceStatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return list(STATUS_LABELS.items())

    def queryset(self, request, queryset):
        now = timezone.now()
        live = Q(revoked_at__isnull=True)
        if self.value() == REVOKED:
            return queryset.exclude(live)
        if self.value() == EXPIRED:
            return queryset.filter(live, expires_at__lte=now)
        if self.value() == ACTIVE:
            return queryset.filter(
                live, Q(expires_at__isnull=True) | Q(expires_at__gt=now)
            )
        return queryset


class DoorDeviceForm(forms.ModelForm):
    """Adding: name, account and expiry. Changing: the name only (the admin
    leaves the read-only fields out of the form)."""

    class Meta:
        model = DoorDevice
        fields = ["name", "user", "expires_at"]

    def clean_name(self):
        name = printable(self.cleaned_data.get("name") or "", SCAN_DOOR_MAX_LENGTH)
        if not name:
            raise ValidationError(_("Enter a name for the device."))
        return name

    def clean_user(self):
        # The choices are door staff already; this is the rule the API uses.
        user = self.cleaned_data["user"]
        if not (user.is_active and user.has_perm(door_devices.PERMISSION)):
            raise ValidationError(NOT_DOOR_STAFF)
        return user

    def clean_expires_at(self):
        expires_at = self.cleaned_data.get("expires_at")
        if expires_at is not None and expires_at <= timezone.now():
            raise ValidationError(_("Choose a time in the future, or leave it empty."))
        return expires_at


@admin.register(DoorDevice)
class DoorDeviceAdmin(LabelledInputsAdminMixin, admin.ModelAdmin):
    form = DoorDeviceForm
    list_display = [
        "name",
        "user",
        "kind",
        "created_at",
        "expires_at",
        "revoked_at",
        "status",
    ]
    list_filter = ["kind", DoorDeviceStatusFilter]
    search_fields = ["name", "user__username"]
    list_select_related = ["user"]
    ordering = ["-created_at", "-id"]
    actions = ["revoke_devices"]
    add_fields = ["name", "user", "expires_at"]
    change_fields = [
        "name",
        "user",
        "kind",
        "status",
        "created_at",
        "expires_at",
        "revoked_at",
        "device_actions",
    ]

    def get_fields(self, request, obj=None):
        if obj is None:
            return self.add_fields
        if not self.has_change_permission(request, obj):
            return [f for f in self.change_fields if f != "device_actions"]
        return self.change_fields

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [f for f in self.change_fields if f != "name"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = door_staff_accounts()
            kwargs["error_messages"] = {"invalid_choice": NOT_DOOR_STAFF}
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "user" and formfield is not None:
            # A new account would need the permission before it could be chosen.
            formfield.widget.can_add_related = False
        return formfield

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if object_id is None:  # one Save, then the device's page with its token
            extra_context = {
                **(extra_context or {}),
                "show_save_and_add_another": False,
                "show_save_and_continue": False,
            }
        return super().changeform_view(request, object_id, form_url, extra_context)

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the scan log keeps its device

    # -- saving --

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["name"])
            return
        device, token = door_devices.device_create(
            name=form.cleaned_data["name"],
            user=form.cleaned_data["user"],
            expires_at=form.cleaned_data.get("expires_at"),
        )
        # The admin goes on with `obj` (history, redirect): make it the device.
        for field in DoorDevice._meta.concrete_fields:
            setattr(obj, field.attname, getattr(device, field.attname))
        obj._state.adding, obj._state.db = False, device._state.db
        # The token's only copy: this message (it is not stored anywhere else).
        self.message_user(
            request,
            format_html(
                gettext(
                    "Door device “{name}” made. Its token, shown only now: "
                    "{token} — enter it in the scanner app (it is sent as "
                    "‘Authorization: Bearer &lt;token&gt;’)."
                ),
                name=device.name,
                token=format_html("<code>{}</code>", token),
            ),
            messages.SUCCESS,
        )

    def response_add(self, request, obj, post_url_continue=None):
        if IS_POPUP_VAR in request.POST:
            return super().response_add(request, obj, post_url_continue)
        # save_model said it was made; Django's own message would repeat it.
        return HttpResponseRedirect(
            reverse("admin:tickets_doordevice_change", args=[obj.pk])
        )

    # -- columns and fields --

    @admin.display(description=_("status"))
    def status(self, device):
        return STATUS_LABELS[device_status(device)]

    @admin.display(description=_("do something"))
    def device_actions(self, device):
        if device.revoked_at is not None:
            return "-"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:tickets_doordevice_revoke", args=[device.pk]),
            _("Revoke this device…"),
        )

    # -- revoking --

    @admin.action(description=_("Revoke selected door devices"), permissions=["change"])
    def revoke_devices(self, request, queryset):
        devices = list(queryset.select_related("user").order_by("pk"))
        if _confirmed(request):
            self._revoke_and_report(request, devices)
            return None
        return self._revoke_confirmation(
            request,
            devices,
            back_url=request.get_full_path(),
            action="revoke_devices",
        )

    def get_urls(self):
        return [
            path(
                "<int:object_id>/revoke/",
                self.admin_site.admin_view(self.revoke_view),
                name="tickets_doordevice_revoke",
            ),
            *super().get_urls(),
        ]

    def revoke_view(self, request, object_id):
        if not self.has_change_permission(request):
            raise PermissionDenied
        device = self.get_object(request, str(object_id))
        if device is None:
            raise Http404
        back = reverse("admin:tickets_doordevice_change", args=[device.pk])
        if _confirmed(request):
            self._revoke_and_report(request, [device])
            return HttpResponseRedirect(back)
        return self._revoke_confirmation(request, [device], back_url=back)

    def _revoke_confirmation(self, request, devices, *, back_url, action=""):
        now = timezone.now()
        rows = []
        for device in devices:
            detail = gettext("Acts as %(user)s; made %(made)s.") % {
                "user": device.user,
                "made": localize(timezone.localtime(device.created_at)),
            }
            state = device_status(device, now)
            rows.append(
                {
                    "label": device.name,
                    "detail": detail,
                    "warning": gettext("Already revoked.") if state == REVOKED else "",
                }
            )
        return _confirmation(
            self,
            request,
            title=ngettext(
                "Revoke this door device?", "Revoke these door devices?", len(devices)
            ),
            intro=ngettext(
                "This door device will be revoked:",
                "These door devices will be revoked:",
                len(devices),
            ),
            rows=rows,
            notes=[
                _(
                    "A revoked device's token stops working at once: its "
                    "scanner app is refused until it is given a new device's token."
                ),
                _("Its scans stay in the scan log. Revoking cannot be undone."),
            ],
            confirm_label=_("Yes, revoke"),
            back_url=back_url,
            action=action,
            selected=[device.pk for device in devices],
        )

    def _revoke_and_report(self, request, devices) -> None:
        revoked = door_devices.devices_revoke(device_ids=[d.pk for d in devices])
        if revoked:
            self.message_user(
                request,
                ngettext(
                    "Revoked %(count)d door device: its token no longer works.",
                    "Revoked %(count)d door devices: their tokens no longer work.",
                    revoked,
                )
                % {"count": revoked},
                messages.SUCCESS,
            )
        if len(devices) > revoked:
            skipped = len(devices) - revoked
            self.message_user(
                request,
                ngettext(
                    "%(count)d was revoked already.",
                    "%(count)d were revoked already.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )
