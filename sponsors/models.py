from django.db import models
from django.utils.translation import gettext_lazy as _

from events.models import Event
from events.validators import validate_image_upload

from .colours import HEX_COLOUR, text_colour_on, validate_hex_colour


class SponsorTier(models.Model):
    """A level of sponsorship: Headline, Gold, Silver, Supporter..."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    rank = models.PositiveIntegerField(
        _("rank"), default=0, help_text=_("1 is the top tier; shown first.")
    )
    colour = models.CharField(
        _("colour"),
        max_length=7,
        default="#2f1a5c",
        validators=[validate_hex_colour],
        help_text=_(
            "Used for the tier's label on the public pages, such as #2f1a5c. "
            "The text on it is chosen automatically to stay readable."
        ),
    )
    benefits = models.TextField(
        _("benefits"),
        blank=True,
        help_text=_("What sponsors at this level receive, one benefit a line."),
    )
    free_places = models.PositiveIntegerField(
        _("free places"),
        default=0,
        help_text=_("How many free event places each sponsor at this tier gets."),
    )

    class Meta:
        ordering = ["rank", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(colour__regex=HEX_COLOUR),
                name="sponsor_tier_colour_is_hex",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def text_colour(self) -> str:
        """Return the text colour that is readable on the tier's colour."""
        return text_colour_on(self.colour)

    def benefit_lines(self) -> list[str]:
        return [line.strip() for line in self.benefits.splitlines() if line.strip()]


class Sponsor(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="sponsors")
    tier = models.ForeignKey(
        SponsorTier, on_delete=models.PROTECT, related_name="sponsors"
    )
    name = models.CharField(_("name"), max_length=200)
    logo = models.ImageField(
        _("logo"),
        upload_to="sponsors/",
        blank=True,
        validators=[validate_image_upload],
        help_text=_("PNG, JPEG, GIF or WebP, under 2 MB."),
    )
    website = models.URLField(_("website"), blank=True)
    description = models.CharField(_("short description"), max_length=500, blank=True)
    position = models.PositiveIntegerField(_("order"), default=0)
    is_visible = models.BooleanField(_("visible"), default=True)

    class Meta:
        ordering = ["tier__rank", "position", "name"]

    def __str__(self):
        return self.name
