"""Names for admin inputs that have no <label> of their own.

Django's admin shows some inputs with nothing but a column heading or a
bare word beside them: the editable columns of a change list, the cells of
a tabular inline, and the date and time halves of a date-time field. Screen
readers then announce only "edit text", and axe-core reports them. These
helpers give each such input an aria-label; inputs with a real <label> are
left alone.
"""

from django import forms
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.utils.text import capfirst
from django.utils.translation import gettext as _


def name_inputs(field: forms.Field, name: str) -> None:
    """Name the field's input(s): `name`, or "`name`: date" and ": time"."""
    widget = field.widget
    if isinstance(widget, RelatedFieldWidgetWrapper):
        widget = widget.widget  # its attrs are what the inner input renders
    if widget.is_hidden:
        return
    if isinstance(widget, forms.MultiWidget):
        if isinstance(widget, forms.SplitDateTimeWidget):
            parts = [_("date"), _("time")]
        else:
            parts = [str(n) for n in range(1, len(widget.widgets) + 1)]
        for subwidget, part in zip(widget.widgets, parts, strict=False):
            subwidget.attrs["aria-label"] = f"{name}: {part}"
    else:
        widget.attrs["aria-label"] = name


class RowLabelledForm(forms.ModelForm):
    """A form shown as one table row: each input is named "<label>: <row>"."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        row = str(self.instance) if self.instance.pk else _("new")
        for field in self.fields.values():
            name_inputs(field, f"{capfirst(field.label)}: {row}")


class LabelledInputsAdminMixin:
    """For a ModelAdmin: the date and time halves of date-time fields, and the
    change list's editable columns, get names a screen reader can read."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if formfield is not None and isinstance(
            formfield.widget, forms.SplitDateTimeWidget
        ):
            name_inputs(formfield, capfirst(formfield.label))
        return formfield

    def get_changelist_form(self, request, **kwargs):
        kwargs.setdefault("form", RowLabelledForm)
        return super().get_changelist_form(request, **kwargs)
