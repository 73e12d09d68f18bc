from django.db import models
from django.utils.translation import gettext_lazy as _

from events.models import Event

from .colours import HEX_COLOUR, text_colour_on, validate_hex_colour
from .validators import validate_logo_upload


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
        validators=[validate_logo_upload],
        help_text=_(
            "PNG, JPEG, GIF or WebP, under 2 MB (not SVG). Web and print sizes "
            "are made from it automatically."
        ),
    )
    # Made from `logo` by services.sponsor_logo_renditions_make; never edited.
    logo_web = models.ImageField(
        _("logo for the web"), upload_to="sponsors/", blank=True, editable=False
    )
    logo_print = models.ImageField(
        _("logo for print"), upload_to="sponsors/", blank=True, editable=False
    )
    logo_renditions_of = models.CharField(
        _("renditions made from"), max_length=255, blank=True, editable=False
    )
    website = models.URLField(_("website"), blank=True)
    description = models.CharField(_("short description"), max_length=500, blank=True)
    contact_name = models.CharField(_("contact name"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    is_invoiced = models.BooleanField(_("invoiced"), default=False)
    is_paid = models.BooleanField(_("paid"), default=False)
    position = models.PositiveIntegerField(
        _("order"), default=0, help_text=_("Lower numbers come first in the tier.")
    )
    is_visible = models.BooleanField(_("visible"), default=True)

    class Meta:
        ordering = ["tier__rank", "position", "name"]

    def __str__(self):
        return self.name

    @property
    def logo_received(self) -> bool:
        return bool(self.logo)

    @property
    def free_places(self) -> int:
        """Return N in "n of N": the free places the sponsor's tier includes."""
        return self.tier.free_places

    @property
    def web_logo_url(self) -> str:
        """Return the web rendition's URL (the original until it is made)."""
        if self.logo_web and self.logo_renditions_of == self.logo.name:
            return self.logo_web.url
        return self.logo.url if self.logo else ""
