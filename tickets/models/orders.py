import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from events.models import Event
from events.validators import stored_places_taken
from psdm.ops.logs import redact

MAX_PLACES_PER_ORDER = 20


class BadgeRole(models.TextChoices):
    """The coloured band across a lanyard badge."""

    ATTENDEE = "attendee", _("Attendee")
    SPEAKER = "speaker", _("Speaker")
    SPONSOR = "sponsor", _("Sponsor")
    ORGANISER = "organiser", _("Organiser")
    STAFF = "staff", _("Staff")
    STUDENT = "student", _("Student")


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
    badge_role = models.CharField(
        _("badge role"),
        max_length=20,
        choices=BadgeRole.choices,
        default=BadgeRole.ATTENDEE,
        help_text=_("The coloured band printed on this ticket's badges."),
    )

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

    def is_on_sale(self, now=None, *, unlocked: bool = False) -> bool:
        """Return whether it can be booked now; `unlocked`: a code that names
        this type lets it be booked even when it is hidden."""
        now = now or timezone.now()
        if not (self.is_visible or unlocked):
            return False
        if self.sales_open_at and now < self.sales_open_at:
            return False
        if self.sales_close_at and now >= self.sales_close_at:
            return False
        return True


def new_secret() -> str:
    """An unguessable token (192 bits) for links that need no log-in."""
    return _maskable(lambda: secrets.token_urlsafe(24))


def new_ticket_secret() -> str:
    """What a badge's QR code carries: 160 random bits, 27 characters, so the
    code stays small enough to scan at arm's length."""
    return _maskable(lambda: secrets.token_urlsafe(20))


def _maskable(draw) -> str:
    """A secret the logs' safety net masks (psdm.ops.logs.redact). About one
    in 25,000 draws begins like a Stripe id ("ch_", "pi_"...), which the
    logs leave readable; such a draw is thrown away."""
    while True:
        secret = draw()
        if redact(secret) == "[secret]":
            return secret


class Order(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for card payment")
        CONFIRMED = "confirmed", _("Confirmed")
        CANCELLED = "cancelled", _("Cancelled")
        EXPIRED = "expired", _("Expired before payment")

    class PaymentMethod(models.TextChoices):
        FREE = "free", _("Free")
        CARD = "card", _("Card")
        INVOICE = "invoice", _("Invoice")

    class PaymentStatus(models.TextChoices):
        NOT_REQUIRED = "not_required", _("Nothing to pay")
        AWAITING = "awaiting", _("Awaiting payment")
        PAID = "paid", _("Paid")
        REFUNDED = "refunded", _("Refunded")
        VOID = "void", _("Not paid (cancelled)")

    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="orders")
    reference = models.CharField(_("reference"), max_length=16, unique=True)
    # The key in the buyer's manage-my-booking link.
    secret = models.CharField(max_length=64, unique=True, default=new_secret)
    buyer_name = models.CharField(_("buyer's name"), max_length=200)
    buyer_email = models.EmailField(_("buyer's e-mail"), max_length=254)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    payment_method = models.CharField(
        _("payment method"),
        max_length=20,
        choices=PaymentMethod.choices,
        default=PaymentMethod.FREE,
    )
    payment_status = models.CharField(
        _("payment"),
        max_length=20,
        choices=PaymentStatus.choices,
        default=PaymentStatus.NOT_REQUIRED,
    )
    total_pence = models.PositiveIntegerField(_("total in pence"), default=0)
    paid_pence = models.PositiveIntegerField(_("paid in pence"), default=0)
    refunded_pence = models.PositiveIntegerField(_("refunded in pence"), default=0)
    currency = models.CharField(_("currency"), max_length=3, default="GBP")
    # While pending, the places are held until this moment and no longer.
    hold_expires_at = models.DateTimeField(
        _("places held until"), null=True, blank=True
    )
    stripe_session_id = models.CharField(
        _("Stripe Checkout session"), max_length=255, null=True, blank=True, unique=True
    )
    stripe_payment_intent_id = models.CharField(
        _("Stripe payment"), max_length=255, blank=True
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Set by tickets.services.retention when the buyer's (and the invoice
    # contact's) personal data was replaced; the amounts stay.
    anonymised_at = models.DateTimeField(
        _("personal data removed"), null=True, blank=True
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["event", "status"]),
            models.Index(fields=["status", "hold_expires_at"]),
        ]
        permissions = [
            (
                "personal_data",
                "Can export and erase the personal data held about one person",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(refunded_pence__lte=F("paid_pence")),
                name="order_refund_within_payment",
            ),
            models.CheckConstraint(
                condition=~Q(status="pending") | Q(hold_expires_at__isnull=False),
                name="order_pending_has_hold_expiry",
            ),
        ]

    def __str__(self):
        return self.reference

    def get_absolute_url(self):
        return reverse(
            "tickets:manage",
            kwargs={"reference": self.reference, "secret": self.secret},
        )

    @property
    def is_held(self) -> bool:
        return self.status == self.Status.PENDING

    @property
    def hold_has_expired(self) -> bool:
        return self.is_held and self.hold_expires_at <= timezone.now()


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
    # Carried by the badge's QR code. Replaced (and the old one recorded as
    # revoked) when the ticket is cancelled or passed to someone else.
    secret = models.CharField(
        _("badge code"), max_length=64, unique=True, default=new_ticket_secret
    )
    price_pence = models.PositiveIntegerField(_("price in pence"), default=0)
    # The code the place was booked with (tickets.models.codes) and what it
    # took off the ticket type's price; price_pence is what was charged.
    code = models.ForeignKey(
        "tickets.Code",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("code"),
    )
    discount_pence = models.PositiveIntegerField(_("discount in pence"), default=0)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.CONFIRMED
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    # Set and cleared only by tickets.services.checkin, under the row's lock.
    checked_in_at = models.DateTimeField(_("checked in"), null=True, blank=True)
    # Not indexed: then an admission changes no indexed column and PostgreSQL
    # updates the row in place (HOT, with the table's fillfactor leaving
    # room; migration 0013), touching none of the table's indexes.
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("checked in by"),
        db_index=False,
    )
    checked_in_door = models.CharField(
        _("checked in at door"), max_length=100, blank=True
    )
    # Optional consents (tickets.consents): when given (empty: not given) and
    # the version of the wording the attendee saw.
    attendee_list_consent_at = models.DateTimeField(
        _("agreed to be on the attendee list"), null=True, blank=True
    )
    attendee_list_consent_version = models.CharField(
        _("attendee list wording"), max_length=20, blank=True
    )
    future_events_consent_at = models.DateTimeField(
        _("agreed to e-mails about future events"), null=True, blank=True
    )
    future_events_consent_version = models.CharField(
        _("future events wording"), max_length=20, blank=True
    )
    # Set by tickets.services.retention when the attendee's personal data was
    # replaced; ticket type, sector, price, status and check-in time stay.
    anonymised_at = models.DateTimeField(
        _("personal data removed"), null=True, blank=True
    )

    class Meta:
        ordering = ["order", "id"]
        indexes = [
            models.Index(fields=["event", "status"]),
            models.Index(fields=["ticket_type", "status"]),
        ]
        permissions = [("check_in", "Can check attendees in at the door")]

    def __str__(self):
        return f"{self.full_name} ({self.order.reference})"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class RevokedSecret(models.Model):
    """A badge code that no longer admits anyone, kept so the door can say
    why ("cancelled", "replaced") rather than just "unknown"."""

    class Reason(models.TextChoices):
        CANCELLED = "cancelled", _("Place cancelled")
        TRANSFERRED = "transferred", _("Place passed to someone else")

    secret = models.CharField(max_length=64, unique=True)
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="revoked_secrets"
    )
    reason = models.CharField(max_length=20, choices=Reason.choices)
    revoked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("revoked badge code")

    def __str__(self):
        return f"{self.get_reason_display()} ({self.revoked_at:%Y-%m-%d %H:%M})"


class Invoice(models.Model):
    """The invoice for an order paid by invoice: a snapshot taken at booking,
    so later changes to the event's settings never rewrite an issued invoice."""

    order = models.OneToOneField(
        Order, on_delete=models.PROTECT, related_name="invoice"
    )
    number = models.CharField(_("invoice number"), max_length=20, unique=True)
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    organisation = models.CharField(_("paying organisation"), max_length=200)
    contact_name = models.CharField(_("billing contact"), max_length=200)
    contact_email = models.EmailField(_("billing e-mail"), max_length=254)
    address = models.TextField(_("billing address"), max_length=1000)
    po_number = models.CharField(_("purchase order number"), max_length=100, blank=True)
    vat_rate_percent = models.DecimalField(
        _("VAT rate (%)"), max_digits=4, decimal_places=2, default=0
    )
    vat_number = models.CharField(
        _("VAT registration number"), max_length=30, blank=True
    )
    issuer = models.TextField(_("from"), blank=True)
    payment_details = models.TextField(_("how to pay"), blank=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    payment_note = models.CharField(
        _("payment note"),
        max_length=200,
        blank=True,
        help_text=_("For example the bank transfer's reference."),
    )

    class Meta:
        ordering = ["-issued_at"]

    def __str__(self):
        return self.number


class Refund(models.Model):
    """Money going back to a buyer. Card refunds are made through Stripe by a
    task; the row exists first, so a refund is never forgotten or made twice."""

    class Method(models.TextChoices):
        CARD = "card", _("Card, through Stripe")
        MANUAL = "manual", _("By bank transfer (organiser)")

    class Status(models.TextChoices):
        PENDING = "pending", _("To do")
        SUCCEEDED = "succeeded", _("Done")
        FAILED = "failed", _("Failed")

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds")
    amount_pence = models.PositiveIntegerField(_("amount in pence"))
    method = models.CharField(_("method"), max_length=20, choices=Method.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    reason = models.CharField(_("reason"), max_length=200)
    stripe_refund_id = models.CharField(
        _("Stripe refund"), max_length=255, null=True, blank=True, unique=True
    )
    failure_message = models.CharField(_("why it failed"), max_length=500, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_pence__gt=0), name="refund_amount_positive"
            )
        ]

    def __str__(self):
        return f"{self.order.reference}: {self.amount_pence}p"


class StripeEvent(models.Model):
    """A Stripe webhook event already handled: each is processed once."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    order = models.ForeignKey(
        Order, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self):
        return f"{self.type} {self.event_id}"


class OrderChange(models.Model):
    """One line of an order's history: who did what, and when."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="changes")
    ticket = models.ForeignKey(
        Ticket, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("when"), default=timezone.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    actor = models.CharField(_("who"), max_length=200)
    action = models.CharField(_("action"), max_length=50)
    message = models.TextField(_("what happened"))

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["order", "created_at"])]

    def __str__(self):
        return f"{self.order.reference}: {self.action}"
