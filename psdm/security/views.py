"""Two-factor set-up for staff, and the server error page."""

import base64
import math

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import admin, messages
from django.http import HttpResponseServerError
from django.shortcuts import redirect, render
from django.template import loader
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import requires_csrf_token
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from .forms import TOTPConfirmForm, confirmed_totp_device

DEVICE_NAME = "Authenticator app"


def qr_svg(text: str, label: str) -> str:
    """Return an inline SVG QR code of `text` (no styles: CSP allows it)."""
    image = qrcode.make(
        text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=4
    )
    svg = image.to_string(encoding="unicode")
    return svg.replace(
        "<svg ", f'<svg role="img" aria-label="{label}" class="psdm-otp-qr" ', 1
    )


def _unconfirmed_device(user) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(
        user=user, name=DEVICE_NAME, confirmed=False
    )


@never_cache
def two_factor(request):
    """Turn two-factor authentication on (scan a QR code, type a code) or off."""
    user = request.user
    device = confirmed_totp_device(user)
    if device is not None:
        form = TOTPConfirmForm(request.POST or None, device=device)
        if request.method == "POST" and form.is_valid():
            TOTPDevice.objects.filter(user=user).delete()
            messages.success(request, _("Two-factor authentication is now off."))
            return redirect("security:two_factor")
        context = {"enabled": True, "form": form}
    else:
        device = _unconfirmed_device(user)
        form = TOTPConfirmForm(request.POST or None, device=device)
        if request.method == "POST" and form.is_valid():
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            otp_login(request, device)
            messages.success(
                request,
                _(
                    "Two-factor authentication is on. From now on the admin "
                    "asks for a code from your app when you log in."
                ),
            )
            return redirect("security:two_factor")
        context = {
            "enabled": False,
            "form": form,
            "qr": qr_svg(device.config_url, _("QR code to add this site to your app")),
            "secret": base64.b32encode(device.bin_key).decode(),
        }
    context.update(
        admin.site.each_context(request),
        title=_("Two-factor authentication"),
    )
    return render(request, "security/two_factor.html", context)


@requires_csrf_token
def server_error(request, template_name="500.html"):
    """The 500 page, rendered without the database or context processors
    (whatever failed may be one of them)."""
    try:
        html = loader.render_to_string(
            template_name, {"site_name": settings.PSDM_SITE_NAME}
        )
    except Exception:  # noqa: BLE001 - the error page must never fail
        html = "<h1>Sorry, there is a problem with the service</h1>"
    return HttpResponseServerError(html)


def lockout(request, credentials=None, *args, **kwargs):
    """django-axes' answer to a locked-out log-in: a page saying how long."""
    from axes.helpers import get_cool_off

    cool_off = get_cool_off(request)
    minutes = math.ceil(cool_off.total_seconds() / 60) if cool_off else None
    return render(
        request,
        "security/lockout.html",
        {"minutes": minutes},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
