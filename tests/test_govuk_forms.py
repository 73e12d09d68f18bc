"""crispy-forms-gds' field template drawn by Python (psdm.govuk_forms) draws
what the pack's own templates draw, and Django's <input> and <textarea>
templates drawn by Python what Django's draw: the same elements, attributes
and text (whitespace between elements aside), for the site's forms and for
every option of the pack's fields, blank and with errors."""

import re
from html.parser import HTMLParser

import pytest
from crispy_forms.utils import render_crispy_form
from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Fixed, Fluid, Layout, Size
from django import forms
from django.conf import settings
from django.forms.renderers import get_default_renderer
from django.test import override_settings

from tickets.forms import AttendeeForm, BuyerForm, CodeForm, WaitlistJoinForm

# The pack's templates and Django's widget templates, as they come.
PACK_ONLY = {
    "TEMPLATES": [{**settings.TEMPLATES[0], "DIRS": []}],
    "FORM_RENDERER": "django.forms.renderers.DjangoTemplates",
}


class _Parsed(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.items = []

    def handle_starttag(self, tag, attrs):
        self.items.append(("start", tag, attrs))

    def handle_endtag(self, tag):
        self.items.append(("end", tag))

    def handle_data(self, data):
        if " ".join(data.split()):
            self.items.append(("text", " ".join(data.split())))


def parsed(html: str) -> list:
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)
    parser = _Parsed()
    parser.feed(html)
    return parser.items


def both(make_form) -> tuple[list, list]:
    """(ours, the pack's) for a new form from make_form() each time."""
    ours = render_crispy_form(make_form())
    with override_settings(**PACK_ONLY):
        get_default_renderer.cache_clear()
        try:
            pack = render_crispy_form(make_form())
        finally:
            get_default_renderer.cache_clear()
    return parsed(ours), parsed(pack)


class EveryOption(forms.Form):
    text = forms.CharField(label="Name", help_text="As on <b>your</b> badge")
    number = forms.IntegerField(min_value=1, widget=forms.NumberInput)
    email = forms.EmailField(help_text="We write to you here.")
    secret = forms.CharField(required=False, widget=forms.PasswordInput)
    hidden = forms.CharField(required=False, widget=forms.HiddenInput)
    short = forms.CharField(max_length=10, required=False)
    story = forms.CharField(widget=forms.Textarea, max_length=500, help_text="Tell us.")
    # (The pack fails on a counted textarea without a hint.)
    words = forms.CharField(
        widget=forms.Textarea, required=False, help_text="Up to 50."
    )
    colour = forms.ChoiceField(
        choices=[("", "Choose"), ("red", "Red & <pink>"), ("blue", "Blue")]
    )
    sector = forms.ChoiceField(
        choices=[("a", "Local government"), ("b", "NHS"), ("c", "Other")],
        widget=forms.RadioSelect,
        help_text="Pick the nearest.",
    )
    size = forms.TypedChoiceField(
        choices=[(1, "One"), (2, "Two")], coerce=int, widget=forms.RadioSelect
    )
    agree = forms.BooleanField(help_text="You must agree.")
    news = forms.BooleanField(required=False, label="E-mail me")
    days = forms.MultipleChoiceField(
        choices=[("mon", "Monday"), ("tue", "Tuesday")],
        widget=forms.CheckboxSelectMultiple,
    )
    when = forms.SplitDateTimeField(required=False)

    def __init__(self, *args, layout=None, **helper_options):
        super().__init__(*args)
        self.helper = FormHelper()
        for name, value in helper_options.items():
            setattr(self.helper, name, value)
        self.helper.layout = layout or Layout(
            Field.text("text", label_size=Size.LARGE, label_tag="h1"),
            Field.text("number", field_width=Fixed.TWO),
            Field.text("email", field_width=Fluid.TWO_THIRDS, autocomplete="email"),
            Field.text("secret"),
            "hidden",
            Field("short", css_class="extra", wrapper_class="wrapped"),
            Field.textarea("story", max_characters=500, threshold=75, rows=3),
            Field.textarea("words", max_words=50),
            Field.select("colour"),
            Field.radios("sector", legend_size=Size.MEDIUM, legend_tag="h2"),
            Field.radios("size", inline=True, small=True),
            Field.checkbox("agree"),
            Field.checkbox("news", small=True),
            Field.checkboxes("days", legend_size=Size.SMALL),
            "when",
        )


ERRORS = {
    "number": "0",
    "email": "not-an-email",
    "short": "far too long for this",
    "story": "x" * 501,
    "colour": "green",
    "sector": "z",
    "size": "2",
    "days": ["sun"],
    "when_0": "not a date",
    "hidden": "<kept>",
    "words": "Some\n<words> & more",
}


def bound(form_class, data, **kwargs):
    def make():
        form = form_class(data, **kwargs)
        form.is_valid()
        return form

    return make


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"help_text_inline": True},
        {"help_text_inline": True, "error_text_inline": True},
        {"error_text_inline": True},
        {"form_show_labels": False},
        {"form_show_errors": False},
    ],
)
def test_every_option_of_the_pack_draws_the_same(options):
    """Every kind of field, blank and with errors, under each helper option."""
    ours, pack = both(lambda: EveryOption(None, **options))
    assert ours == pack
    ours, pack = both(bound(EveryOption, ERRORS, **options))
    assert ours == pack
    shown = options.get("form_show_errors", True)
    assert (("text", "Error:") in ours) == shown


def test_a_radio_choice_with_a_value_shows_checked():
    ours, pack = both(bound(EveryOption, {"sector": "b", "size": "2"}))
    assert ours == pack
    assert ("checked", "checked") in [a for i in ours if i[0] == "start" for a in i[2]]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "make_form",
    [
        AttendeeForm,
        bound(AttendeeForm, {"email": "nope", "sector": "x", "job_title": "<b>"}),
        BuyerForm,
        bound(BuyerForm, {"buyer_email": "@"}),
        CodeForm,
        bound(CodeForm, {"code": ""}),
        WaitlistJoinForm,
        bound(WaitlistJoinForm, {"email": "x"}),
    ],
)
def test_the_sites_forms_draw_the_same(make_form):
    ours, pack = both(make_form)
    assert ours == pack


def test_a_widget_template_overridden_is_drawn_by_its_template(tmp_path):
    """The renderer draws a widget itself only while its templates are
    Django's own."""
    from psdm.govuk_forms.renderers import FastWidgetRenderer

    renderer = FastWidgetRenderer()
    assert renderer._drawer("django/forms/widgets/text.html") is not None
    assert renderer._drawer("django/forms/widgets/select.html") is None
    override = tmp_path / "django" / "forms" / "widgets"
    override.mkdir(parents=True)
    (override / "attrs.html").write_text(
        "{% for n in widget.attrs %} {{ n }}{% endfor %}"
    )
    renderer = FastWidgetRenderer()
    renderer.engine.engine.dirs = [str(tmp_path)] + list(renderer.engine.engine.dirs)
    renderer.engine.engine.template_loaders[0].reset()
    assert renderer._drawer("django/forms/widgets/text.html") is None
    html = forms.CharField().widget.render("a", "b", {"class": "c"}, renderer)
    assert html == '<input type="text" name="a" value="b" class>'
