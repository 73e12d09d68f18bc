"""crispy-forms-gds' field template (gds/field.html), drawn by Python.

crispy-forms renders each field of a form as a template of its own: the
pack's gds/field.html, which includes help_text_and_errors.html, which
includes help_text.html and field_errors_block.html, then the widget's own
templates (input.html, which includes attrs.html), and for radios one
radio_item.html per choice. Each is a fresh top-level render of a copy of
the whole page context, and every {% if field|is_checkbox %} and
{{ field.auto_id }} is a variable lookup by Django's template engine: about
0.4 ms of CPU for one text field, 6 ms for the attendee form's ten (three
quarters of that page). This draws the same HTML in Python from the same
context, for every crispy form on the site: templates/gds/field.html calls
it. It covers the widgets the pack styles (inputs, textareas, selects, a
single checkbox, radios); checkboxes and multi-value widgets still go to
the pack's own template, as does anything on a context it does not expect.

The markup, classes, ids, aria-describedby, error messages and character
count are the pack's (crispy-forms-gds 2.0.1); tests/test_govuk_forms.py
compares the two for every form of the site, blank and with errors.
"""

from crispy_forms_gds.templatetags.crispy_forms_gds import (
    CrispyGDSFieldNode,
    is_checkbox,
    is_checkboxes,
    is_multivalue,
    is_radios,
)
from django.template.base import render_value_in_context
from django.template.defaultfilters import stringformat
from django.utils import formats, translation
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString

# The pack's {% crispy_gds_field field %}: sets the widget's GOV.UK class,
# aria-describedby and required, then draws the widget. One node for every
# field, as the tag keeps its per-render state in the render context.
WIDGET_NODE = CrispyGDSFieldNode("field", {})
# The pack's {% blocktrans %} messages, as gettext knows them.
MAX_CHARACTERS = (
    "\n              You can enter up to %(max_characters)s characters\n              "
)
MAX_WORDS = "\n              You can enter up to %(max_words)s words\n              "


def drawable(field) -> bool:
    """Whether field_html() draws `field` (else the pack's template does)."""
    return not (is_checkboxes(field) or is_multivalue(field))


def _lookup(obj, name):
    """{{ obj.name }}'s lookup for a choice's optional hint and divider: a
    key, then an attribute; "" when there is none."""
    try:
        return obj[name]
    except (TypeError, KeyError, IndexError, AttributeError, ValueError):
        return getattr(obj, name, "")


def field_html(context) -> str:
    """gds/field.html for context["field"], from the same context."""
    field = context["field"]
    value = context.get
    if field.is_hidden:
        return str(field)

    def text(x) -> str:  # {{ x }}
        return render_value_in_context(x, context)

    out = []
    count = value("max_characters") or value("max_words")
    if count:
        out.append(
            '<div class="govuk-character-count" data-module="govuk-character-count"'
        )
        if value("max_characters"):
            out.append(f' data-maxlength="{text(value("max_characters"))}"')
        else:
            out.append(f' data-maxwords="{text(value("max_words"))}"')
        if value("threshold"):
            out.append(f' data-threshold="{text(value("threshold"))}"')
        out.append(">")
    tag = text(value("tag")) if value("tag") else "div"
    classes = "govuk-form-group"
    if value("form_show_errors") and field.errors:
        classes += " govuk-form-group--error"
    if value("wrapper_class"):
        classes += f" {text(value('wrapper_class'))}"
    if field.css_classes():
        classes += f" {text(field.css_classes())}"
    out.append(f'<{tag} id="div_{text(field.auto_id)}" class="{classes}">')
    checkbox = is_checkbox(field)
    show_labels = value("form_show_labels")
    if is_radios(field):
        out.append(_radios(context, field, text))
    else:
        if field.label and not checkbox and show_labels:
            label_tag = value("label_tag")
            if label_tag:
                out.append(f'<{text(label_tag)} class="govuk-label-wrapper">')
            size = f" {text(value('label_size'))}" if value("label_size") else ""
            out.append(
                f'<label for="{text(field.id_for_label)}" class="govuk-label{size}">'
                f"{field.label}</label>"
            )
            if label_tag:
                out.append(f"</{text(label_tag)}>")
        out.append(_help_text_and_errors(context, field, text))
        if checkbox and show_labels:
            small = " govuk-checkboxes--small" if value("checkboxes_small") else ""
            out.append(
                f'<div class="govuk-checkboxes{small}">'
                '<div class="govuk-checkboxes__item">'
                f"{WIDGET_NODE.render(context)}"
                '<label class="govuk-label govuk-checkboxes__label" '
                f'for="{text(field.id_for_label)}">{field.label}</label>'
                "</div></div>"
            )
        else:
            out.append(WIDGET_NODE.render(context))
            if count:
                out.append(
                    f'<span id="{text(field.id_for_label)}-info" '
                    'class="govuk-hint govuk-character-count__message" '
                    f'aria-live="polite">{_count_message(context, text)}</span>'
                )
    out.append(f"</{tag}>")
    if count:
        out.append("</div>")
    return SafeString("".join(out))


def _count_message(context, text) -> str:
    if context.get("max_characters"):
        message, key = MAX_CHARACTERS, "max_characters"
    else:
        message, key = MAX_WORDS, "max_words"
    data = {key: text(context.get(key))}
    try:
        return translation.gettext(message) % data
    except (KeyError, ValueError):  # a broken translation: as {% blocktrans %}
        return message % data


def _help_text_and_errors(context, field, text) -> str:
    """gds/layout/help_text_and_errors.html."""
    inline_help = context.get("help_text_inline")
    inline_errors = context.get("error_text_inline")
    out = []
    if (inline_help and not inline_errors) or not inline_help:
        out.append(_help_text(context, field, text))
    if context.get("form_show_errors") and field.errors:
        # field_errors.html and field_errors_block.html draw the same.
        for number, error in enumerate(field.errors, start=1):
            out.append(
                f'<span id="{text(field.auto_id)}_{number}_error" '
                'class="govuk-error-message">'
                '<span class="govuk-visually-hidden">Error:</span> '
                f"{text(error)}</span>"
            )
    return "".join(out)


def _help_text(context, field, text) -> str:
    """gds/layout/help_text.html."""
    if not field.help_text:
        return ""
    element = "span" if context.get("help_text_inline") else "div"
    return (
        f'<{element} id="{text(field.auto_id)}_hint" class="govuk-hint">'
        f"{field.help_text}</{element}>"
    )


def _radios(context, field, text) -> str:
    """gds/layout/radios.html, with radio_item.html for each choice."""
    value = context.get
    auto_id = text(field.auto_id)
    out = ['<fieldset class="govuk-fieldset"']
    if field.help_text or field.errors:
        described = f"{auto_id}_hint" if field.help_text else ""
        for number, _error in enumerate(field.errors, start=1):
            described += f" {auto_id}_{number}_error"
        out.append(f' aria-describedby="{described}"')
    out.append(">")
    if field.label:
        size = f" {text(value('legend_size'))}" if value("legend_size") else ""
        out.append(f'<legend class="govuk-fieldset__legend{size}">')
        legend_tag = text(value("legend_tag")) if value("legend_tag") else ""
        if legend_tag:
            out.append(f'<{legend_tag} class="govuk-fieldset__heading">')
        out.append(str(field.label))
        if legend_tag:
            out.append(f"</{legend_tag}>")
        out.append("</legend>")
    out.append(_help_text_and_errors(context, field, text))
    inline = "--inline" if value("radios_inline") else ""
    small = " govuk-radios--small" if value("radios_small") else ""
    out.append(f'<div class="govuk-radios{inline}{small}">')
    name = text(field.html_name)
    current = stringformat(field.value(), "s")
    for position, choice in enumerate(field.field.choices, start=1):
        item_id = f"id_{name}_{position}"
        checked = (
            ' checked="checked"' if stringformat(choice[0], "s") == current else ""
        )
        hint = _lookup(choice, "hint")
        described = f' aria-describedby="{item_id}_hint"' if hint else ""
        out.append(
            '<div class="govuk-radios__item">'
            f'<input type="radio" name="{name}" class="govuk-radios__input" '
            f'id="{item_id}" value="{_unlocalize(choice[0])}"{checked}{described}>'
            f'<label class="govuk-label govuk-radios__label" for="{item_id}">'
            f"{_unlocalize(choice[1])}</label>"
        )
        if hint:
            out.append(
                f'<span id="{item_id}_hint" class="govuk-hint govuk-radios__hint">'
                f"{text(hint)}</span>"
            )
        out.append("</div>")
        divider = _lookup(choice, "divider")
        if divider:
            out.append(f'<div class="govuk-radios__divider">{text(divider)}</div>')
    out.append("</div></fieldset>")
    return "".join(out)


def _unlocalize(value) -> str:  # {{ value|unlocalize }}
    return conditional_escape(str(formats.localize(value, use_l10n=False)))
