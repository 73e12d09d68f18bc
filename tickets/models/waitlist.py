"""The waiting list: people who would like a place at a sold-out event, and
the offers of a free place made to them in turn."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from events.models import Event

from .orders import Order, new_secret


class WaitlistEntry(models.Model):
    """One person waiting for a place at one event, in the order they joined."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        OFFERED = "offered", _("Offered a place")
        BOOKED = "booked", _("Booked")
        EXPIRED = "expired", _("Offer not taken")
        REMOVED = "removed", _("Removed")

    LIVE = (Status.WAITING, Status.OFFERED)

    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="waitlist_entries"
    )
    name = models.CharField(_("full name"), max_length=200)
    email = models.EmailField(_("email address"), max_length=254)
    organisation = models.CharField(_("organisation"), max_length=200)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.WAITING
    )
    joined_at = models.DateTimeField(_("joined"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["joined_at", "id"]
        verbose_name = _("waiting list entry")
        verbose_name_plural = _("waiting list")
        indexes = [models.Index(fields=["event", "status", "joined_at"])]
        constraints = [
            # One live place in the queue per address per event; after an
            # offer passes on (or a removal) the person may join again.
            models.UniqueConstraint(
                Lower("email"),
                "event",
                condition=Q(status__in=["waiting", "offered"]),
                name="waitlist_entry_live_unique_per_email",
                violation_error_message=_(
                    "This email address is already on the waiting list."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.name} <{self.email}>"


class WaitlistOffer(models.Model):
    """A free place offered to a person on the waiting list.

    While an offer is live it holds one place in the event's pool (the
    counter `Event.places_taken`), so offers never push held, confirmed and
    offered places beyond capacity. Booking with the offer's link gives that
    place to the booking; an offer not taken in time passes it on.
    """

    class Status(models.TextChoices):
        OFFERED = "offered", _("Offered")
        USED = "used", _("Booked")
        EXPIRED = "expired", _("Expired")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    entry = models.ForeignKey(
        WaitlistEntry, on_delete=models.CASCADE, related_name="offers"
    )
    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="waitlist_offers"
    )
    token = models.CharField(max_length=64, unique=True, default=new_secret)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OFFERED
    )
    created_at = models.DateTimeField(_("offered"), default=timezone.now)
    expires_at = models.DateTimeField(_("book by"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    order = models.ForeignKey(
        Order,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="waitlist_offers",
        verbose_name=_("booking"),
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent by hand by"),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("waiting list offer")
        indexes = [models.Index(fields=["status", "expires_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["entry"],
                condition=Q(status="offered"),
                name="waitlist_offer_one_live_per_entry",
            ),
            models.CheckConstraint(
                condition=Q(status="offered") | Q(ended_at__isnull=False),
                name="waitlist_offer_ended_has_ended_at",
            ),
        ]

    def __str__(self):
        return f"{self.entry} ({self.get_status_display()})"

    def is_live(self, now=None) -> bool:
        now = now or timezone.now()
        return self.status == self.Status.OFFERED and now < self.expires_at
