from django import forms

from .validators import validate_image_upload


class CheckedImageField(forms.ImageField):
    """An image upload checked by validate_image_upload before Django's own
    check, so an SVG or a pixel bomb gets our clear message, not the generic
    "not an image or a corrupted image"."""

    def to_python(self, data):
        if data is not None and hasattr(data, "read"):
            validate_image_upload(data)
        return super().to_python(data)
