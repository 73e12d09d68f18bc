"""Formatting in the GOV.UK style: '9am', '5:30pm', '£45', 'Free'."""

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def govuk_time(value) -> str:
    if value is None:
        return ""
    value = timezone.localtime(value)
    if value.hour == 12 and value.minute == 0:
        return _("midday")
    suffix = "am" if value.hour < 12 else "pm"
    hour = value.hour % 12 or 12
    minutes = f":{value.minute:02d}" if value.minute else ""
    return f"{hour}{minutes}{suffix}"


@register.filter
def govuk_date(value) -> str:
    if value is None:
        return ""
    value = timezone.localtime(value)
    return f"{value:%A} {value.day} {value:%B %Y}"


@register.filter
def money(pence) -> str:
    if not pence:
        return _("Free")
    pounds, rest = divmod(int(pence), 100)
    return f"£{pounds:,}" if rest == 0 else f"£{pounds:,}.{rest:02d}"


@register.filter
def minutes_left(value) -> int:
    """Whole minutes from now until `value`, rounded up; 0 once it has passed."""
    if value is None:
        return 0
    seconds = (value - timezone.now()).total_seconds()
    return max(int(-(-seconds // 60)), 0)
