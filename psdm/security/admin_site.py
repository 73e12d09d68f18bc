"""The admin site: an organiser who has turned on two-factor authentication
must give a code from their authenticator app to get in."""

from django.contrib import admin
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from psdm.ops.remembered import forget, remembered

from .forms import AdminLoginForm

ENROLLED_CACHE_SECONDS = 300


def _enrolled_key(user) -> str:
    # date_joined too, so a new user who gets an old one's id (SQLite reuses
    # them) never inherits its answer.
    return f"otp-enrolled:{user.pk}:{user.date_joined.timestamp()}"


def user_is_enrolled(user) -> bool:
    """Whether the user has a confirmed authenticator app; remembered in the
    cache (every admin page asks), forgotten whenever a device changes."""
    return remembered(
        _enrolled_key(user),
        ENROLLED_CACHE_SECONDS,
        lambda: user_has_device(user),
        what="two-factor",
    )


@receiver([post_save, post_delete], sender=TOTPDevice)
def _forget_enrolment(sender, instance, **kwargs):
    forget([_enrolled_key(instance.user)], what="two-factor")


class AdminSite(admin.AdminSite):
    login_form = AdminLoginForm
    login_template = "security/admin_login.html"

    def has_permission(self, request):
        """Staff as usual; staff with an authenticator app only once this
        session has been verified with a code from it (a log-in at /checkin/
        alone does not open the admin to them)."""
        if not super().has_permission(request):
            return False
        user = request.user
        return user.is_verified() or not user_is_enrolled(user)
