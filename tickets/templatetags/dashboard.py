from django import template

from ..money import format_pence

register = template.Library()


@register.filter
def pounds(pence) -> str:
    """Return '£1,234.50', and '£0.00' for nothing (where `money` says 'Free')."""
    return format_pence(pence or 0)
