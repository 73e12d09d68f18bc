"""Codes a buyer types in: discounts, and free places for sponsors and
speakers (like pretix's vouchers).

A code belongs to one event. It can unlock hidden ticket types (only a code
that names a hidden type lets anyone book it) and take money off each place
it is used for. `uses` counts the places booked with it that still hold a
place; the booking service raises it with a conditional update under the
pool's lock, and the database refuses `uses > max_uses` whatever happens.
"""

from django.core.exceptions import ValidationError
from django.core.validators import (
    MaxValueValidator,
    MinValueValidator,
    RegexValidator,
)
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from events.models import Event

from .orders import TicketType

CODE_MAX_LENGTH = 32
CODE_CHARACTERS = RegexValidator(
    r"^[A-Za-z0-9-]+\Z",
    _("A code can only have letters, numbers and hyphens."),
)


def code_normalise(text: str) -> str:
    """Return the code as stored: no surrounding or inner spaces, upper case."""
    return "".join(str(text).split()).upper()


class Code(models.Model):
    class Kind(models.TextChoices):
        DISCOUNT = "discount", _("Discount")
        SPONSOR = "sponsor", _("Sponsor's free places")
        SPEAKER = "speaker", _("Speaker's free place")
        OTHER = "other", _("Other (organisers, volunteers...)")

    class DiscountType(models.TextChoices):
        NONE = "none", _("No discount: it only unlocks ticket types")
        PERCENT = "percent", _("A percentage off each place")
        FIXED = "fixed", _("An amount off each place")

    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="codes")
    code = models.CharField(
        _("code"),
        max_length=CODE_MAX_LENGTH,
        validators=[CODE_CHARACTERS],
        help_text=_(
            "Letters, numbers and hyphens. Buyers can type it in any case; it "
            "is stored in capitals."
        ),
    )
    kind = models.CharField(
        _("kind"), max_length=20, choices=Kind.choices, default=Kind.DISCOUNT
    )
    description = models.CharField(
        _("note"),
        max_length=200,
        blank=True,
        help_text=_("For you only, for example who it was given to."),
    )
    ticket_types = models.ManyToManyField(
        TicketType,
        blank=True,
        related_name="codes",
        verbose_name=_("ticket types"),
        help_text=_(
            "The ticket types the code can be used for. Leave empty for every "
            "visible type. A hidden type can only be booked with a code that "
            "names it here."
        ),
    )
    discount_type = models.CharField(
        _("discount"),
        max_length=20,
        choices=DiscountType.choices,
        default=DiscountType.PERCENT,
    )
    discount_percent = models.PositiveSmallIntegerField(
        _("percentage off"),
        default=0,
        validators=[MaxValueValidator(100)],
        help_text=_("1 to 100; 100 makes the places free."),
    )
    discount_amount_pence = models.PositiveIntegerField(
        _("amount off in pence"),
        default=0,
        help_text=_("Taken off each place's price; a place never costs less than 0."),
    )
    max_uses = models.PositiveIntegerField(
        _("places it can be used for"),
        default=1,
        validators=[MinValueValidator(1)],
        help_text=_("Each place booked with the code uses it once."),
    )
    # Places booked with the code that still hold a place; changed only by
    # tickets.services (taken at booking, given back when a place is
    # cancelled or its hold runs out).
    uses = models.PositiveIntegerField(_("used"), default=0)
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Untick to stop the code working.")
    )
    sponsor = models.ForeignKey(
        "sponsors.Sponsor",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="codes",
        verbose_name=_("sponsor"),
    )
    speaker = models.ForeignKey(
        "events.Speaker",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="codes",
        verbose_name=_("speaker"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["event", "kind", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "code"],
                name="code_unique_per_event",
                violation_error_message=_("This event already has that code."),
            ),
            models.CheckConstraint(
                condition=Q(uses__lte=F("max_uses")),
                name="code_uses_within_max_uses",
                violation_error_message=_(
                    "A code cannot be used for more places than it allows."
                ),
            ),
            models.CheckConstraint(
                condition=Q(max_uses__gte=1), name="code_max_uses_positive"
            ),
            models.CheckConstraint(
                condition=Q(discount_percent__lte=100),
                name="code_discount_percent_at_most_100",
            ),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_until__isnull=True)
                | Q(valid_until__gt=F("valid_from")),
                name="code_valid_until_after_valid_from",
                violation_error_message=_("“Valid until” must be after “valid from”."),
            ),
        ]

    def __str__(self):
        return self.code

    def clean(self):
        super().clean()
        self.code = code_normalise(self.code)
        errors = {}
        if self.discount_type == self.DiscountType.PERCENT and not (
            1 <= (self.discount_percent or 0) <= 100
        ):
            errors["discount_percent"] = _("Enter a percentage from 1 to 100.")
        if self.discount_type == self.DiscountType.FIXED and not (
            self.discount_amount_pence or 0
        ):
            errors["discount_amount_pence"] = _(
                "Enter the amount to take off each place, in pence, like 1000 for £10."
            )
        if self.pk is not None and self.max_uses is not None:
            uses = Code.objects.filter(pk=self.pk).values_list("uses", flat=True)
            used = uses.first() or 0
            if self.max_uses < used:
                errors["max_uses"] = _(
                    "It has already been used for %(count)d places; it cannot "
                    "allow fewer."
                ) % {"count": used}
        if errors:
            raise ValidationError(errors)

    @property
    def uses_left(self) -> int:
        return max(self.max_uses - self.uses, 0)

    def discount_for(self, price_pence: int) -> int:
        """Return the pence taken off one place of this price.

        A percentage is rounded to the nearest penny (halves up); a fixed
        amount never takes a place below nothing."""
        if self.discount_type == self.DiscountType.PERCENT:
            return min((price_pence * self.discount_percent + 50) // 100, price_pence)
        if self.discount_type == self.DiscountType.FIXED:
            return min(self.discount_amount_pence, price_pence)
        return 0
