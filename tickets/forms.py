"""Forms for the booking flow. They parse input; the service decides."""

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Fluid, Layout, Size
from django import forms
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from events.templatetags.psdm import money

from .consents import ATTENDEE_LIST, CONSENTS, FUTURE_EVENTS
from .models import Order, Ticket
from .selectors import Availability

QUANTITY_PREFIX = "qty_"
# A TextInput rendered as type=email, so crispy-forms-gds gives it the GOV.UK
# input and error styles (it only styles TextInput, Select and Textarea).
EMAIL_WIDGET = forms.TextInput(
    attrs={"input_type": "email", "autocomplete": "email", "spellcheck": "false"}
)
INVALID_EMAIL = gettext_lazy(
    "Enter an email address in the correct format, like name@example.gov.uk"
)


def too_long_messages(form, names: dict | None = None) -> None:
    """Say which field is too long, GOV.UK style ("First name must be 100
    characters or fewer"), for each text field with a maximum length.
    `names`: how to call a field when its label will not do."""
    names = names or {}
    for name, field in form.fields.items():
        most = getattr(field, "max_length", None)
        if not most:
            continue
        label = str(names.get(name) or field.label or name).replace(" (optional)", "")
        field.error_messages["max_length"] = _(
            "%(field)s must be %(count)d characters or fewer"
        ) % {"field": label[:1].upper() + label[1:], "count": most}


def _helper(*layout, submit: str) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.layout = Layout(*layout, Button.primary("continue", submit))
    return helper


class ChoosePlacesForm(forms.Form):
    """A quantity for each free ticket type that can be booked now."""

    def __init__(
        self,
        *args,
        availability: Availability,
        prices: dict[int, int] | None = None,
        **kwargs,
    ):
        """`prices`: ticket type id -> price each with the buyer's code, for
        the types it takes money off."""
        super().__init__(*args, **kwargs)
        self.availability = availability
        prices = prices or {}
        self.bookable = {
            item.ticket_type.pk: item
            for item in availability.ticket_types
            if item.bookable
        }
        names = []
        for pk, item in self.bookable.items():
            name = f"{QUANTITY_PREFIX}{pk}"
            most = min(item.ticket_type.max_per_order, item.remaining)
            label = item.ticket_type.name
            if pk in prices and prices[pk] < item.ticket_type.price_pence:
                label = (
                    _("%(name)s, %(price)s each with your code (usually %(was)s)")
                    if prices[pk]
                    else _("%(name)s, free with your code (usually %(was)s)")
                ) % {
                    "name": label,
                    "price": money(prices[pk]),
                    "was": money(item.ticket_type.price_pence),
                }
            elif not item.ticket_type.is_free:
                label = _("%(name)s, %(price)s each") % {
                    "name": label,
                    "price": money(item.ticket_type.price_pence),
                }
            self.fields[name] = forms.IntegerField(
                label=escape(label),
                required=False,
                min_value=0,
                initial=0,
                help_text=escape(
                    _("Up to %(count)d in one booking.") % {"count": most}
                ),
                error_messages={
                    "invalid": _(
                        "Enter the number of %(name)s places as a number, like 1"
                    )
                    % {"name": item.ticket_type.name},
                    "min_value": _("The number of %(name)s places cannot be negative")
                    % {"name": item.ticket_type.name},
                },
                # GOV.UK asks for text with a numeric keyboard, not type=number.
                widget=forms.TextInput(
                    attrs={"inputmode": "numeric", "autocomplete": "off"}
                ),
            )
            names.append(Field.text(name, field_width=Fluid.ONE_QUARTER))
        self.helper = _helper(*names, submit=_("Continue"))

    def clean(self):
        cleaned = super().clean()
        unknown = [
            key
            for key in self.data
            if key.startswith(QUANTITY_PREFIX) and key not in self.fields
        ]
        if unknown:
            raise forms.ValidationError(
                _("One of the places you chose is no longer available. Choose again.")
            )
        total = 0
        for pk, item in self.bookable.items():
            name = f"{QUANTITY_PREFIX}{pk}"
            quantity = cleaned.get(name) or 0
            if name in self.errors:
                continue
            ticket_type = item.ticket_type
            if quantity > ticket_type.max_per_order:
                self.add_error(
                    name,
                    _("You can book up to %(count)d %(name)s places in one booking")
                    % {"count": ticket_type.max_per_order, "name": ticket_type.name},
                )
            elif quantity > item.remaining:
                self.add_error(
                    name,
                    _("Only %(count)d %(name)s places are left")
                    % {"count": item.remaining, "name": ticket_type.name},
                )
            total += quantity
        if not self.errors and total == 0:
            raise forms.ValidationError(_("Choose how many places you want to book"))
        return cleaned

    def quantities(self) -> dict[int, int]:
        return {
            pk: self.cleaned_data.get(f"{QUANTITY_PREFIX}{pk}") or 0
            for pk in self.bookable
            if self.cleaned_data.get(f"{QUANTITY_PREFIX}{pk}")
        }


class BuyerForm(forms.Form):
    buyer_name = forms.CharField(
        label=gettext_lazy("Full name"),
        max_length=200,
        error_messages={"required": gettext_lazy("Enter your full name")},
        widget=forms.TextInput(attrs={"autocomplete": "name", "spellcheck": "false"}),
    )
    buyer_email = forms.EmailField(
        label=gettext_lazy("Email address"),
        max_length=254,
        help_text=gettext_lazy("We will send the booking confirmation here."),
        error_messages={
            "required": gettext_lazy("Enter your email address"),
            "invalid": INVALID_EMAIL,
        },
        widget=EMAIL_WIDGET,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        too_long_messages(self)
        self.helper = _helper(
            Field.text("buyer_name", field_width=Fluid.TWO_THIRDS),
            Field.text("buyer_email", field_width=Fluid.TWO_THIRDS),
            submit=_("Continue"),
        )


class AttendeeForm(forms.ModelForm):
    # Optional consents (tickets.consents), unticked unless given before.
    attendee_list_consent = forms.BooleanField(
        label=ATTENDEE_LIST.wording, help_text=ATTENDEE_LIST.hint, required=False
    )
    future_events_consent = forms.BooleanField(
        label=FUTURE_EVENTS.wording, help_text=FUTURE_EVENTS.hint, required=False
    )

    class Meta:
        model = Ticket
        fields = [
            "first_name",
            "last_name",
            "email",
            "organisation",
            "job_title",
            "sector",
            "access_needs",
            "dietary_needs",
        ]
        labels = {
            "email": gettext_lazy("Email address"),
            "job_title": gettext_lazy("Job title (optional)"),
            "sector": gettext_lazy("Which sector do they work in?"),
            "access_needs": gettext_lazy("Access needs (optional)"),
            "dietary_needs": gettext_lazy("Dietary needs (optional)"),
        }
        help_texts = {
            "email": gettext_lazy("Their badge and joining details are sent here."),
            "organisation": gettext_lazy("Printed on their badge."),
            "access_needs": gettext_lazy(
                "Tell us anything that would help them take part, such as step-free "
                "access, a hearing loop or a quiet room."
            ),
            "dietary_needs": gettext_lazy(
                "For example vegetarian, halal or nut allergy."
            ),
        }
        error_messages = {
            "first_name": {"required": gettext_lazy("Enter their first name")},
            "last_name": {"required": gettext_lazy("Enter their last name")},
            "email": {
                "required": gettext_lazy("Enter their email address"),
                "invalid": INVALID_EMAIL,
            },
            "organisation": {"required": gettext_lazy("Enter their organisation")},
            "sector": {"required": gettext_lazy("Select the sector they work in")},
        }
        widgets = {
            "email": EMAIL_WIDGET,
            "sector": forms.RadioSelect,
            "access_needs": forms.Textarea(attrs={"rows": 3}),
            "dietary_needs": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sector"].choices = Ticket.Sector.choices
        too_long_messages(self, {"email": _("Email address")})
        for name in ("first_name", "last_name", "email", "organisation", "job_title"):
            self.fields[name].widget.attrs.setdefault("spellcheck", "false")
        self.fields["first_name"].widget.attrs["autocomplete"] = "given-name"
        self.fields["last_name"].widget.attrs["autocomplete"] = "family-name"
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["organisation"].widget.attrs["autocomplete"] = "organization"
        self.fields["job_title"].widget.attrs["autocomplete"] = "organization-title"
        self.helper = _helper(
            Field.text("first_name", field_width=Fluid.ONE_HALF),
            Field.text("last_name", field_width=Fluid.ONE_HALF),
            Field.text("email", field_width=Fluid.TWO_THIRDS),
            Field.text("organisation", field_width=Fluid.TWO_THIRDS),
            Field.text("job_title", field_width=Fluid.TWO_THIRDS),
            Field.radios("sector", legend_size=Size.SMALL, small=True),
            Field.textarea("access_needs", max_characters=1000),
            Field.textarea("dietary_needs", max_characters=1000),
            Field.checkbox("attendee_list_consent", small=True),
            Field.checkbox("future_events_consent", small=True),
            submit=_("Continue"),
        )

    def consent_values(self) -> dict:
        """Return the consents as AttendeeDetails takes them: the version of
        the wording ticked, or ""."""
        given = self.cleaned_data
        return {c.field: c.version if given.get(c.field) else "" for c in CONSENTS}

    def clean(self):
        cleaned = super().clean()
        for name in ("access_needs", "dietary_needs"):
            value = cleaned.get(name) or ""
            if len(value) > 1000:
                self.add_error(name, _("Use 1000 characters or fewer"))
        return cleaned


class PaymentMethodForm(forms.Form):
    method = forms.ChoiceField(
        label=gettext_lazy("How will you pay?"),
        widget=forms.RadioSelect,
        error_messages={
            "required": gettext_lazy("Select how you will pay"),
            "invalid_choice": gettext_lazy("Select how you will pay"),
        },
    )

    def __init__(self, *args, card: bool, invoice: bool, **kwargs):
        super().__init__(*args, **kwargs)
        choices = []
        if card:
            choices.append((Order.PaymentMethod.CARD, _("By debit or credit card now")))
        if invoice:
            choices.append(
                (
                    Order.PaymentMethod.INVOICE,
                    _("By invoice, with a purchase order if you need one"),
                )
            )
        self.fields["method"].choices = choices
        self.helper = _helper(
            Field.radios("method", legend_size=Size.LARGE, legend_tag="h1"),
            submit=_("Continue"),
        )


class InvoiceDetailsForm(forms.Form):
    organisation = forms.CharField(
        label=gettext_lazy("Organisation paying the invoice"),
        max_length=200,
        error_messages={"required": gettext_lazy("Enter the organisation paying")},
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    contact_name = forms.CharField(
        label=gettext_lazy("Name of the person or team who pays invoices"),
        max_length=200,
        error_messages={"required": gettext_lazy("Enter who pays invoices")},
    )
    contact_email = forms.EmailField(
        label=gettext_lazy("Email address for the invoice"),
        max_length=254,
        help_text=gettext_lazy("Often your accounts payable team."),
        error_messages={
            "required": gettext_lazy("Enter the email address for the invoice"),
            "invalid": INVALID_EMAIL,
        },
        widget=EMAIL_WIDGET,
    )
    address = forms.CharField(
        label=gettext_lazy("Billing address"),
        max_length=1000,
        error_messages={"required": gettext_lazy("Enter the billing address")},
        widget=forms.Textarea(attrs={"rows": 4, "autocomplete": "street-address"}),
    )
    po_number = forms.CharField(
        label=gettext_lazy("Purchase order number (optional)"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("We print it on the invoice."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        too_long_messages(self)
        self.helper = _helper(
            Field.text("organisation", field_width=Fluid.TWO_THIRDS),
            Field.text("contact_name", field_width=Fluid.TWO_THIRDS),
            Field.text("contact_email", field_width=Fluid.TWO_THIRDS),
            Field.textarea("address"),
            Field.text("po_number", field_width=Fluid.ONE_THIRD),
            submit=_("Continue"),
        )


class WaitlistJoinForm(forms.Form):
    """Join a sold-out event's waiting list."""

    name = forms.CharField(
        label=gettext_lazy("Full name"),
        max_length=200,
        error_messages={"required": gettext_lazy("Enter your full name")},
        widget=forms.TextInput(attrs={"autocomplete": "name", "spellcheck": "false"}),
    )
    email = forms.EmailField(
        label=gettext_lazy("Email address"),
        max_length=254,
        help_text=gettext_lazy(
            "We will only use it to offer you a place at this event, or to "
            "tell you an offer has passed on."
        ),
        error_messages={
            "required": gettext_lazy("Enter your email address"),
            "invalid": INVALID_EMAIL,
        },
        widget=EMAIL_WIDGET,
    )
    organisation = forms.CharField(
        label=gettext_lazy("Organisation"),
        max_length=200,
        error_messages={"required": gettext_lazy("Enter your organisation")},
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.text("name", field_width=Fluid.TWO_THIRDS),
            Field.text("email", field_width=Fluid.TWO_THIRDS),
            Field.text("organisation", field_width=Fluid.TWO_THIRDS),
            submit=_("Join the waiting list"),
        )


class CodeForm(forms.Form):
    """A code for a discount or for free places; the service checks it."""

    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=64,
        help_text=gettext_lazy(
            "A discount code, or the code a sponsor or speaker was sent. "
            "Capital letters or not, it does not matter."
        ),
        error_messages={
            "required": gettext_lazy("Enter a code"),
            "max_length": gettext_lazy(
                "We do not recognise that code. Check it and enter it again"
            ),
        },
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
            }
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        # The template's <form> has its own token: one is enough.
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Field.text("code", field_width=Fluid.ONE_HALF),
            Button.secondary("use_code", _("Use code")),
        )


class SelfAttendeeForm(AttendeeForm):
    """A one-place booking's details when the buyer is the attendee ("I'm
    booking for myself"): one page instead of two, worded to the reader."""

    YOUR = {
        "first_name": gettext_lazy("Enter your first name"),
        "last_name": gettext_lazy("Enter your last name"),
        "email": gettext_lazy("Enter your email address"),
        "organisation": gettext_lazy("Enter your organisation"),
        "sector": gettext_lazy("Select the sector you work in"),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, message in self.YOUR.items():
            self.fields[name].error_messages["required"] = message
        self.fields["email"].help_text = gettext_lazy(
            "We will send your booking confirmation and badge here."
        )
        self.fields["organisation"].help_text = gettext_lazy("Printed on your badge.")
        self.fields["sector"].label = gettext_lazy("Which sector do you work in?")
        self.fields["access_needs"].help_text = gettext_lazy(
            "Tell us anything that would help you take part, such as step-free "
            "access, a hearing loop or a quiet room."
        )

    def buyer(self) -> dict:
        data = self.cleaned_data
        return {
            "buyer_name": f"{data['first_name']} {data['last_name']}".strip()[:200],
            "buyer_email": data["email"],
        }
