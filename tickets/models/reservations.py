"""Places reserved at the first step of a booking, while the buyer types.

Why a model of its own rather than an order in a "reserved" state: an order
and its tickets are the booking people are sent, badged and admitted with;
their fields (names, e-mails, sectors) are required and every report, export
and door check reads them. A reservation has none of that yet, only places
and the answers typed so far, and it becomes an order exactly once.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from events.models import Event

from .codes import Code
from .orders import Order, TicketType, new_secret
from .waitlist import WaitlistOffer


class Reservation(models.Model):
    """Places taken from the pool (and each ticket type's cap) for a limited
    time. While active and unexpired they count as taken; confirming turns
    them into an order's places; releasing or running out gives them back."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Holding places")
        CONFIRMED = "confirmed", _("Booked")
        RELEASED = "released", _("Released by the buyer")
        EXPIRED = "expired", _("Time ran out")

    # Reservations go with their event (an event with orders cannot be
    # deleted anyway): one that never became a booking is no reason to keep it.
    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="reservations"
    )
    # Kept in the buyer's session with the id: only that browser may use it.
    secret = models.CharField(max_length=64, unique=True, default=new_secret)
    # A digest of the browser's CSRF secret: one browser holds at most one
    # active reservation per event, so a double-clicked first step reserves
    # once. Blank when made other than from a browser.
    browser = models.CharField(max_length=64, blank=True, editable=False)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE
    )
    places = models.PositiveIntegerField(_("places"))
    code = models.ForeignKey(
        Code,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reservations",
        verbose_name=_("code"),
    )
    # Uses of `code` this reservation holds (given back if it lapses).
    code_uses = models.PositiveIntegerField(_("code uses"), default=0)
    offer = models.OneToOneField(
        WaitlistOffer,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reservation",
        verbose_name=_("waiting list offer"),
    )
    # What the buyer has typed so far (tickets.booking.BookingDraft).
    answers = models.JSONField(_("answers so far"), default=dict, blank=True)
    created_at = models.DateTimeField(_("reserved"), default=timezone.now)
    expires_at = models.DateTimeField(_("held until"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    order = models.OneToOneField(
        Order,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reservation",
        verbose_name=_("booking"),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("reservation")
        indexes = [
            models.Index(fields=["event", "status", "expires_at"]),
            models.Index(fields=["status", "expires_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(places__gte=1), name="reservation_places_positive"
            ),
            models.CheckConstraint(
                condition=Q(code_uses__lte=models.F("places")),
                name="reservation_code_uses_within_places",
            ),
            models.UniqueConstraint(
                fields=["event", "browser"],
                condition=Q(status="active") & ~Q(browser=""),
                name="reservation_one_active_per_browser",
            ),
            # Confirmed once, into exactly one order (order is unique too).
            models.CheckConstraint(
                condition=~Q(status="confirmed") | Q(order__isnull=False),
                name="reservation_confirmed_has_order",
            ),
            models.CheckConstraint(
                condition=Q(status="active") | Q(ended_at__isnull=False),
                name="reservation_ended_has_ended_at",
            ),
        ]

    def __str__(self):
        return _("%(places)d places for %(event)s (%(status)s)") % {
            "places": self.places,
            "event": self.event,
            "status": self.get_status_display(),
        }

    def is_live(self, now=None) -> bool:
        now = now or timezone.now()
        return self.status == self.Status.ACTIVE and now < self.expires_at


class ReservationLine(models.Model):
    """How many places of one ticket type a reservation holds."""

    reservation = models.ForeignKey(
        Reservation, on_delete=models.CASCADE, related_name="lines"
    )
    ticket_type = models.ForeignKey(
        TicketType, on_delete=models.CASCADE, related_name="reservation_lines"
    )
    quantity = models.PositiveIntegerField(_("places"))

    class Meta:
        ordering = ["reservation", "ticket_type_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["reservation", "ticket_type"],
                name="reservation_line_one_per_type",
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="reservation_line_quantity_positive"
            ),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.ticket_type.name}"
