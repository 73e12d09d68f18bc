from django.db import models
from django.utils.translation import gettext_lazy as _

from events.models import Event
from events.validators import validate_image_upload


class SponsorTier(models.Model):
    """A level of sponsorship: Headline, Gold, Silver, Supporter..."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    rank = models.PositiveIntegerField(
        _("rank"), default=0, help_text=_("1 is the top tier; shown first.")
    )

    class Meta:
        ordering = ["rank", "name"]

    def __str__(self):
        return self.name


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
