"""Print sheets of lanyard badges, built by Celery for the organiser."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from events.models import Event


class BadgeSheet(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to start")
        BUILDING = "building", _("Building")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    # Ticket ids to print; empty means every confirmed place.
    ticket_ids = models.JSONField(default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.QUEUED
    )
    total = models.PositiveIntegerField(_("badges"), default=0)
    done = models.PositiveIntegerField(_("badges drawn"), default=0)
    pdf = models.BinaryField(null=True, blank=True, editable=False)
    error = models.CharField(_("error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("badge print sheet")
        constraints = [
            models.CheckConstraint(
                condition=Q(done__lte=F("total")), name="badgesheet_done_within_total"
            ),
        ]

    def __str__(self):
        return f"{self.event} badges ({self.created_at:%Y-%m-%d %H:%M})"

    @property
    def percent(self) -> int:
        return 100 if not self.total else round(100 * self.done / self.total)
