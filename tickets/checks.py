"""Deployment checks (`manage.py check --deploy`) for tickets' settings."""

from django.conf import settings
from django.core.checks import Warning, register


@register(deploy=True)
def email_claim_outlasts_a_send(app_configs=None, **kwargs):
    """A worker owns an e-mail for PSDM_EMAIL_CLAIM_SECONDS. If one send
    (connect, then each SMTP step, each up to EMAIL_TIMEOUT) can take longer,
    the sweeper may hand the e-mail to a second worker while the first is
    still sending it, and it could go out twice."""
    longest_send = 6 * settings.EMAIL_TIMEOUT + 30
    if settings.PSDM_EMAIL_CLAIM_SECONDS >= longest_send:
        return []
    return [
        Warning(
            f"PSDM_EMAIL_CLAIM_SECONDS ({settings.PSDM_EMAIL_CLAIM_SECONDS}) is "
            f"shorter than the longest an e-mail can take to send "
            f"(about {longest_send} s with EMAIL_TIMEOUT={settings.EMAIL_TIMEOUT}).",
            hint=f"Set PSDM_EMAIL_CLAIM_SECONDS to at least {longest_send}.",
            id="tickets.W001",
        )
    ]
