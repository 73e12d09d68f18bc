from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from events.models import Event
from events.validators import stored_places_taken

MAX_PLACES_PER_ORDER = 20


class TicketType(models.Model):
    """A kind of place (free public sector, student, paid supplier...)."""

    event = models.ForeignKey(
        Event, on_delete=models.PROTECT, related_name="ticket_types"
    )
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    price_pence = models.PositiveIntegerField(
        _("price in pence"), default=0, help_text=_("0 means the place is free.")
    )
    currency = models.CharField(_("currency"), max_length=3, default="GBP")
    quota = models.PositiveIntegerField(
        _("places of this type"),
        null=True,
        blank=True,
        help_text=_(
            "Optional cap for this type inside the event's pool. "
            "Leave blank to share the whole pool."
        ),
    )
    # Places of this type held or confirmed; changed only by tickets.services.
    places_taken = models.PositiveIntegerField(_("places taken"), default=0)
    sales_open_at = models.DateTimeField(_("on sale from"), null=True, blank=True)
    sales_close_at = models.DateTimeField(_("on sale until"), null=True, blank=True)
    max_per_order = models.PositiveIntegerField(
        _("most per order"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_PLACES_PER_ORDER)],
    )
    is_visible = models.BooleanField(
        _("visible"),
        default=True,
        help_text=_("Hidden ticket types cannot be booked on the public site."),
    )
    position = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["event", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quota__isnull=True) | Q(places_taken__lte=F("quota")),
                name="ticket_type_places_taken_within_quota",
                violation_error_message=_(
                    "The cap cannot be less than the places already taken."
                ),
            ),
            models.CheckConstraint(
                condition=Q(max_per_order__gte=1)
                & Q(max_per_order__lte=MAX_PLACES_PER_ORDER),
                name="ticket_type_max_per_order_in_range",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.event})"

    def clean(self):
        taken = stored_places_taken(self)
        if self.quota is not None and self.quota < taken:
            raise ValidationError(
                {
                    "quota": _(
                        "The cap cannot be less than the places already taken "
                        "(%(taken)d)."
                    )
                    % {"taken": taken}
                }
            )

    @property
    def is_free(self) -> bool:
        return self.price_pence == 0

    def is_on_sale(self, now=None) -> bool:
        now = now or timezone.now()
        if not self.is_visible:
            return False
        if self.sales_open_at and now < self.sales_open_at:
            return False
        if self.sales_close_at and now >= self.sales_close_at:
            return False
        return True


class Order(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        CONFIRMED = "confirmed", _("Confirmed")
        CANCELLED = "cancelled", _("Cancelled")

    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="orders")
    reference = models.CharField(_("reference"), max_length=16, unique=True)
    buyer_name = models.CharField(_("buyer's name"), max_length=200)
    buyer_email = models.EmailField(_("buyer's e-mail"), max_length=254)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    total_pence = models.PositiveIntegerField(_("total in pence"), default=0)
    currency = models.CharField(_("currency"), max_length=3, default="GBP")
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["event", "status"])]

    def __str__(self):
        return self.reference


class Ticket(models.Model):
    class Status(models.TextChoices):
        HELD = "held", _("Held while the buyer pays")
        CONFIRMED = "confirmed", _("Confirmed")
        CANCELLED = "cancelled", _("Cancelled")

    class Sector(models.TextChoices):
        CENTRAL_GOVERNMENT = "central_government", _("Central government")
        LOCAL_GOVERNMENT = "local_government", _("Local government")
        NHS_AND_HEALTH = "nhs_health", _("NHS and health")
        POLICE_AND_EMERGENCY = "police_emergency", _("Police and emergency services")
        EDUCATION = "education", _("Education")
        SUPPLIER = "supplier", _("Supplier or private sector")
        VOLUNTARY = "voluntary", _("Voluntary sector")
        STUDENT = "student", _("Student")
        OTHER = "other", _("Other")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="tickets")
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="tickets")
    ticket_type = models.ForeignKey(
        TicketType, on_delete=models.PROTECT, related_name="tickets"
    )
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    email = models.EmailField(_("e-mail"), max_length=254)
    organisation = models.CharField(_("organisation"), max_length=200)
    job_title = models.CharField(_("job title"), max_length=200, blank=True)
    sector = models.CharField(_("sector"), max_length=30, choices=Sector.choices)
    access_needs = models.TextField(_("access needs"), max_length=1000, blank=True)
    dietary_needs = models.TextField(_("dietary needs"), max_length=1000, blank=True)
    price_pence = models.PositiveIntegerField(_("price in pence"), default=0)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.CONFIRMED
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["order", "id"]
        indexes = [
            models.Index(fields=["event", "status"]),
            models.Index(fields=["ticket_type", "status"]),
        ]

    def __str__(self):
        return f"{self.full_name} ({self.order.reference})"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()
