"""Forms for sponsors."""

from django import forms
from django.db import models

from .models import Sponsor
from .validators import validate_logo_upload


class LogoFormField(forms.ImageField):
    """An image field that explains why a logo is refused (an SVG, a pixel
    bomb) instead of Django's general "Upload a valid image"."""

    def to_python(self, data):
        if data not in self.empty_values:
            validate_logo_upload(data)
        return super().to_python(data)


def _formfield(db_field, **kwargs):
    if isinstance(db_field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return db_field.formfield(**kwargs)


class SponsorAdminForm(forms.ModelForm):
    class Meta:
        formfield_callback = _formfield
        model = Sponsor
        # The admin's fieldsets choose what is shown.
        fields = [
            "event",
            "tier",
            "name",
            "position",
            "is_visible",
            "logo",
            "website",
            "description",
            "contact_name",
            "contact_email",
            "is_invoiced",
            "is_paid",
        ]
        field_classes = {"logo": LogoFormField}
