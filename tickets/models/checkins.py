"""The door's log (one row for every scan, manual admission and undo) and
the door devices that scan with a token."""

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

    # Indexed by the (event, scanned_at) index below, which serves the same
    # lookups; one index fewer to write on every scan.
    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="+", db_index=False
    )
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
    device = models.ForeignKey(
        "DoorDevice",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("device"),
        help_text=_("The door device's token it came with (none: signed in)."),
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


class DoorDevice(models.Model):
    """A door device that calls the check-in API with a token instead of a
    signed-in session: a scanner app set up by the organiser, or the
    check-in page in a door volunteer's browser (one for each sign-in).

    It acts as `user` (their scans are logged as theirs, and they need the
    check-in permission). Only a digest of the token's secret is stored: the
    token is shown once, when the device is made.
    """

    class Kind(models.TextChoices):
        APP = "app", _("Scanner app (set up in admin)")
        PAGE = "page", _("Check-in page (a door volunteer's sign-in)")

    name = models.CharField(
        _("name"),
        max_length=SCAN_DOOR_MAX_LENGTH,
        help_text=_('Which device or entrance, e.g. "Main entrance, scanner 1".'),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("acts as"),
        help_text=_("A door staff account: the device scans as them."),
    )
    kind = models.CharField(
        _("kind"), max_length=10, choices=Kind.choices, default=Kind.APP
    )
    secret_digest = models.CharField(max_length=64, unique=True, editable=False)
    # A check-in page's device: the account's session hash when it was made
    # (as a session keeps it), so a new password ends it as it ends the
    # sign-in. Empty for a scanner app's.
    session_auth_hash = models.CharField(max_length=128, blank=True, editable=False)
    created_at = models.DateTimeField(_("made"), default=timezone.now)
    expires_at = models.DateTimeField(
        _("expires"),
        null=True,
        blank=True,
        help_text=_("Leave empty for a device that works until it is revoked."),
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("door device")
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__isnull=True)
                | Q(expires_at__gt=models.F("created_at")),
                name="door_device_expires_after_made",
            )
        ]

    def __str__(self):
        return self.name
