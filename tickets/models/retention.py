"""A record of each event whose attendees' personal data has been removed."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from events.models import Event


class EventAnonymisation(models.Model):
    """One row per event, written in the same transaction as the removal: an
    event with a row is done and is never processed twice."""

    event = models.OneToOneField(
        Event,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("event"),
    )
    anonymised_at = models.DateTimeField(
        _("personal data removed"), default=timezone.now
    )
    orders = models.PositiveIntegerField(_("orders"), default=0)
    tickets = models.PositiveIntegerField(_("places"), default=0)
    emails = models.PositiveIntegerField(_("e-mails"), default=0)

    class Meta:
        ordering = ["-anonymised_at"]
        verbose_name = _("event with personal data removed")
        verbose_name_plural = _("events with personal data removed")

    def __str__(self):
        return f"{self.event} ({self.anonymised_at:%Y-%m-%d})"
