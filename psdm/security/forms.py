"""Log-in and two-factor set-up forms."""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

CODE_WIDGET = forms.TextInput(
    attrs={
        "autocomplete": "one-time-code",
        "inputmode": "numeric",
        "pattern": "[0-9]*",
        "spellcheck": "false",
        "class": "psdm-otp-code",
    }
)


def confirmed_totp_device(user) -> TOTPDevice | None:
    """Return the user's confirmed authenticator app, if they have set one up."""
    if not user or not user.pk:
        return None
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def _clean_code(value: str) -> str:
    return "".join(value.split())


def verify_code(device: TOTPDevice, code: str) -> str | None:
    """Check a code against the device; return an error message or None."""
    allowed, extra = device.verify_is_allowed()
    if not allowed:
        return str(
            _("Too many wrong codes. Wait a minute, then try again with a new code.")
        )
    if not code.isdigit() or not device.verify_token(code):
        return str(_("The code is wrong or has expired. Enter the code shown now."))
    return None


class AdminLoginForm(AdminAuthenticationForm):
    """The admin's log-in: username and password, and the code from their
    authenticator app for those who have turned two-factor on."""

    otp_token = forms.CharField(
        label=_("Code from your authenticator app"),
        help_text=_("Only if you have turned on two-factor authentication."),
        required=False,
        max_length=16,
        widget=CODE_WIDGET,
    )

    def clean(self):
        cleaned = super().clean()
        user = self.get_user()
        device = confirmed_totp_device(user)
        if device is None:
            return cleaned
        code = _clean_code(cleaned.get("otp_token", ""))
        if not code:
            raise forms.ValidationError(
                _("Enter the 6-digit code from your authenticator app."),
                code="otp_required",
            )
        error = verify_code(device, code)
        if error:
            raise forms.ValidationError(error, code="otp_invalid")
        # django_otp marks the session verified when the user logs in.
        user.otp_device = device
        return cleaned


class TOTPConfirmForm(forms.Form):
    """The first code from a newly added authenticator app, to prove it works."""

    otp_token = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=16,
        widget=CODE_WIDGET,
    )

    def __init__(self, *args, device: TOTPDevice, **kwargs):
        super().__init__(*args, **kwargs)
        self.device = device

    def clean_otp_token(self):
        code = _clean_code(self.cleaned_data["otp_token"])
        error = verify_code(self.device, code)
        if error:
            raise forms.ValidationError(error)
        return code
