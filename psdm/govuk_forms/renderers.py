"""Django's form renderer, with its commonest widget templates drawn by
Python: <input> (text, email, number, checkbox...) and <textarea>.

Django draws each widget with two or three templates (text.html includes
input.html, which includes attrs.html and loops over the attributes): about
0.1 ms of CPU a widget, more than the rest of a GOV.UK field. This renderer
writes the same HTML itself for templates whose source is exactly Django's
own (checked once per template name, so an override anywhere is still
used), and hands every other template to Django's renderer. (Django's renderer
strips what a template draws, so the files' last line ends are not drawn.) Set as
FORM_RENDERER, it draws every form of the site, the admin's too.
"""

from django.forms.renderers import DjangoTemplates
from django.template.base import render_value_in_context
from django.template.context import Context
from django.template.defaultfilters import stringformat
from django.utils.html import conditional_escape

INCLUDE_INPUT = '{% include "django/forms/widgets/input.html" %}\n'
SOURCES = {
    "django/forms/widgets/attrs.html": (
        "{% for name, value in widget.attrs.items %}{% if value is not False %}"
        " {{ name }}{% if value is not True %}=\"{{ value|stringformat:'s' }}\""
        "{% endif %}{% endif %}{% endfor %}"
    ),
    "django/forms/widgets/input.html": (
        '<input type="{{ widget.type }}" name="{{ widget.name }}"'
        "{% if widget.value != None %} value=\"{{ widget.value|stringformat:'s' }}\""
        '{% endif %}{% include "django/forms/widgets/attrs.html" %}>\n'
    ),
    "django/forms/widgets/textarea.html": (
        '<textarea name="{{ widget.name }}"'
        '{% include "django/forms/widgets/attrs.html" %}>\n'
        "{% if widget.value %}{{ widget.value }}{% endif %}</textarea>\n"
    ),
}
INPUTS = [
    "checkbox",
    "color",
    "date",
    "datetime",
    "email",
    "hidden",
    "number",
    "password",
    "search",
    "tel",
    "text",
    "time",
    "url",
]
SOURCES.update({f"django/forms/widgets/{name}.html": INCLUDE_INPUT for name in INPUTS})
# Widget templates rendered with an autoescaping context, as Django's are.
_CONTEXT = Context(autoescape=True)


def _attrs(attrs: dict) -> str:
    """attrs.html."""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        out.append(f" {conditional_escape(name)}")
        if value is not True:
            out.append(f'="{conditional_escape(stringformat(value, "s"))}"')
    return "".join(out)


def _input(widget: dict) -> str:
    """input.html (and the templates that only include it)."""
    value = ""
    if widget["value"] is not None:
        value = f' value="{conditional_escape(stringformat(widget["value"], "s"))}"'
    return (
        f'<input type="{conditional_escape(widget["type"])}" '
        f'name="{conditional_escape(widget["name"])}"{value}{_attrs(widget["attrs"])}>'
    )


def _textarea(widget: dict) -> str:
    """textarea.html."""
    value = widget["value"]
    text = render_value_in_context(value, _CONTEXT) if value else ""
    return (
        f'<textarea name="{conditional_escape(widget["name"])}"'
        f"{_attrs(widget['attrs'])}>\n{text}</textarea>"
    )


class FastWidgetRenderer(DjangoTemplates):
    """DjangoTemplates, drawing <input> and <textarea> widgets in Python."""

    def __init__(self):
        super().__init__()
        self._drawn = {}  # template name -> function, or None

    def _drawer(self, template_name: str):
        if template_name not in self._drawn:
            self._drawn[template_name] = self._find_drawer(template_name)
        return self._drawn[template_name]

    def _find_drawer(self, template_name: str):
        if template_name == "django/forms/widgets/textarea.html":
            needed = [template_name, "django/forms/widgets/attrs.html"]
            drawer = _textarea
        elif SOURCES.get(template_name) == INCLUDE_INPUT:
            needed = [
                template_name,
                "django/forms/widgets/input.html",
                "django/forms/widgets/attrs.html",
            ]
            drawer = _input
        else:
            return None
        for name in needed:
            if self.get_template(name).template.source != SOURCES[name]:
                return None  # overridden somewhere: Django draws it
        return drawer

    def render(self, template_name, context, request=None):
        drawer = self._drawer(template_name)
        if drawer is not None and request is None:
            widget = context.get("widget")
            if isinstance(widget, dict) and isinstance(widget.get("attrs"), dict):
                return drawer(widget)
        return super().render(template_name, context, request)
