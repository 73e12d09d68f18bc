"""The door's log: one row for every scan, manual admission and undo."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from events.models import Event

from .orders import Ticket

SCAN_CODE_MAX_LENGTH = 100
SCAN_NONCE_MAX_LENGTH = 64
SCAN_DOOR_MAX_LENGTH = 100


class Scan(models.Model):
    """What a door device asked and what it was told, failed scans included.

    A device sends a nonce with each scan or admission; (user, nonce) is
    unique, so a retried request is answered from this log and counts once.
    Undos carry no nonce.
    """

    class Kind(models.TextChoices):
        SCAN = "scan", _("Badge scanned")
        MANUAL = "manual", _("Admitted from search")
        UNDO = "undo", _("Admission undone")

    class Result(models.TextChoices):
        ADMITTED = "admitted", _("Admitted")
        ALREADY_CHECKED_IN = "already_checked_in", _("Already checked in")
        INVALID = "invalid", _("Not valid")
        CANCELLED = "cancelled", _("Cancelled or refunded")
        UNPAID = "unpaid", _("Invoice not paid")
        WRONG_EVENT = "wrong_event", _("Another event")
        UNDONE = "undone", _("Undone")
        NOT_CHECKED_IN = "not_checked_in", _("Nothing to undo")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("door staff"),
    )
    door = models.CharField(_("door"), max_length=SCAN_DOOR_MAX_LENGTH, blank=True)
    scanned_at = models.DateTimeField(_("when"), default=timezone.now)
    kind = models.CharField(
        _("kind"), max_length=20, choices=Kind.choices, default=Kind.SCAN
    )
    # As received, shortened and without control characters.
    code = models.CharField(_("code"), max_length=SCAN_CODE_MAX_LENGTH, blank=True)
    nonce = models.CharField(max_length=SCAN_NONCE_MAX_LENGTH, null=True, blank=True)
    result = models.CharField(_("result"), max_length=30, choices=Result.choices)
    message = models.CharField(_("message"), max_length=300, blank=True)
    ticket = models.ForeignKey(
        Ticket,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="scans",
        verbose_name=_("place"),
    )

    class Meta:
        ordering = ["-scanned_at", "-id"]
        indexes = [models.Index(fields=["event", "scanned_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "nonce"],
                condition=Q(nonce__isnull=False),
                name="scan_nonce_unique_per_user",
            )
        ]

    def __str__(self):
        return f"{self.get_result_display()} ({self.scanned_at:%Y-%m-%d %H:%M:%S})"
