"""The e-mail outbox: a row is written in the same transaction as the change
that causes the e-mail, and Celery sends it. See tickets/services/emails."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from events.models import Event

from .orders import Order, Ticket
from .waitlist import WaitlistOffer


class Broadcast(models.Model):
    """A message the organiser sends to everyone with a confirmed place."""

    event = models.ForeignKey(
        Event, on_delete=models.PROTECT, related_name="broadcasts"
    )
    subject = models.CharField(_("subject"), max_length=150)
    body = models.TextField(_("message"), max_length=10000)
    created_at = models.DateTimeField(_("sent"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent by"),
    )
    recipient_count = models.PositiveIntegerField(_("recipients"), default=0)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("message to attendees")
        verbose_name_plural = _("messages to attendees")

    def __str__(self):
        return self.subject


class Email(models.Model):
    class Kind(models.TextChoices):
        CONFIRMATION = "confirmation", _("Booking confirmed (to the buyer)")
        ATTENDEE_TICKET = "attendee_ticket", _("Your place (to an attendee)")
        CANCELLATION = "cancellation", _("Places cancelled")
        REFUND = "refund", _("Refund made")
        TRANSFER_NEW = "transfer_new", _("Place passed on (to the new attendee)")
        TRANSFER_OLD = "transfer_old", _("Place passed on (to the old attendee)")
        INVOICE = "invoice", _("Invoice issued")
        REMINDER = "reminder", _("Reminder before the event")
        BROADCAST = "broadcast", _("Message to attendees")
        WAITLIST_OFFER = "waitlist_offer", _("A place offered (waiting list)")
        WAITLIST_EXPIRED = "waitlist_expired", _("Offer passed on (waiting list)")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    # The Message-ID is made from this, so a resend after a crash is
    # recognised by mail clients as the same message.
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # One e-mail per cause: writing the same key twice is refused.
    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    to_email = models.EmailField(_("to"), max_length=254)
    to_name = models.CharField(_("name"), max_length=200, blank=True)
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, null=True, blank=True, related_name="emails"
    )
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, null=True, blank=True, related_name="emails"
    )
    broadcast = models.ForeignKey(
        Broadcast,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="emails",
    )
    waitlist_offer = models.ForeignKey(
        WaitlistOffer,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="emails",
    )
    # What the message needs that may have changed by the time it is sent
    # (the old attendee's name, the amount refunded...).
    data = models.JSONField(default=dict, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    # A sender owns the row until then; after it, the sweeper may try again.
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("queued"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("e-mail")
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
                name="email_sent_has_sent_at",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} to {self.to_email}"

    @property
    def message_id(self) -> str:
        return f"<{self.uuid}@{settings.PSDM_EMAIL_DOMAIN}>"
