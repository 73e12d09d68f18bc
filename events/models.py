from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .validators import stored_places_taken, validate_image_upload


class EventQuerySet(models.QuerySet):
    def published(self):
        return self.filter(is_published=True)

    def upcoming(self):
        return self.published().filter(ends_at__gte=timezone.now())

    def past(self):
        return self.published().filter(ends_at__lt=timezone.now())


class Event(models.Model):
    """A day (or more) people book places for; its capacity is the pool."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("web address name"), max_length=100, unique=True)
    summary = models.CharField(
        _("summary"), max_length=300, help_text=_("One or two sentences.")
    )
    description = models.TextField(_("description"), blank=True)
    aims = models.TextField(
        _("aims of the day"), blank=True, help_text=_("One aim per line.")
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    venue_name = models.CharField(_("venue name"), max_length=200)
    venue_address = models.TextField(_("venue address"))
    capacity = models.PositiveIntegerField(
        _("capacity"),
        validators=[MinValueValidator(1)],
        help_text=_("The pool of places shared by every ticket type."),
    )
    # Places held or confirmed. Changed only by events.services, in the same
    # transaction as the tickets that use them; the database refuses a value
    # above capacity.
    places_taken = models.PositiveIntegerField(_("places taken"), default=0)
    few_places_threshold = models.PositiveIntegerField(
        _("'few places left' from"),
        default=20,
        help_text=_("Say plainly how many places are left when this many or fewer."),
    )
    sales_open_at = models.DateTimeField(_("booking opens"), null=True, blank=True)
    sales_close_at = models.DateTimeField(_("booking closes"), null=True, blank=True)
    is_published = models.BooleanField(_("published"), default=False)
    changes_deadline = models.DateTimeField(
        _("attendees can change details until"),
        null=True,
        blank=True,
        help_text=_(
            "After this, names and tickets are fixed so badges can be printed. "
            "Blank means until the event starts."
        ),
    )
    cancellation_deadline = models.DateTimeField(
        _("attendees can cancel until"),
        null=True,
        blank=True,
        help_text=_(
            "Cancelling before this refunds card payments in full. "
            "Blank means until the event starts."
        ),
    )
    invoice_payment_enabled = models.BooleanField(
        _("offer pay by invoice"),
        default=False,
        help_text=_("Let buyers book paid places against an invoice."),
    )
    invoice_payment_until = models.DateTimeField(
        _("pay by invoice offered until"),
        null=True,
        blank=True,
        help_text=_("Blank means for as long as booking is open."),
    )
    vat_rate_percent = models.DecimalField(
        _("VAT rate (%)"),
        max_digits=4,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("Prices include VAT at this rate. 0 if you do not charge VAT."),
    )
    vat_number = models.CharField(
        _("VAT registration number"), max_length=30, blank=True
    )
    invoice_issuer = models.TextField(
        _("invoices are from"),
        blank=True,
        help_text=_("The name and postal address printed at the top of invoices."),
    )
    invoice_payment_details = models.TextField(
        _("how to pay an invoice"),
        blank=True,
        help_text=_("Bank details and payment terms printed on invoices."),
    )
    entry_requires_payment = models.BooleanField(
        _("entry requires payment"),
        default=False,
        help_text=_("Unpaid invoices are refused at the door."),
    )
    reminder_days_before = models.PositiveSmallIntegerField(
        _("send a reminder this many days before"),
        default=2,
        validators=[MaxValueValidator(60)],
        help_text=_(
            "Each attendee is e-mailed a reminder with their badge. 0 means no "
            "reminder."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(places_taken__lte=F("capacity")),
                name="event_places_taken_within_capacity",
                violation_error_message=_(
                    "Capacity cannot be less than the places already taken."
                ),
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gte=F("starts_at")),
                name="event_ends_after_it_starts",
                violation_error_message=_("The event must end after it starts."),
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("events:detail", kwargs={"slug": self.slug})

    def clean(self):
        taken = stored_places_taken(self)
        if self.capacity is not None and self.capacity < taken:
            raise ValidationError(
                {
                    "capacity": _(
                        "Capacity cannot be less than the places already taken "
                        "(%(taken)d)."
                    )
                    % {"taken": taken}
                }
            )

    @property
    def aims_list(self) -> list[str]:
        return [line.strip() for line in self.aims.splitlines() if line.strip()]

    @property
    def has_ended(self) -> bool:
        return self.ends_at < timezone.now()

    @property
    def sales_not_open_yet(self) -> bool:
        return bool(self.sales_open_at and timezone.now() < self.sales_open_at)

    def offers_invoice_payment(self, now=None) -> bool:
        now = now or timezone.now()
        if not self.invoice_payment_enabled:
            return False
        return not (self.invoice_payment_until and now >= self.invoice_payment_until)

    def allows_changes(self, now=None) -> bool:
        now = now or timezone.now()
        return now < (self.changes_deadline or self.starts_at)

    def allows_cancellation(self, now=None) -> bool:
        now = now or timezone.now()
        return now < (self.cancellation_deadline or self.starts_at)

    def is_on_sale(self, now=None) -> bool:
        now = now or timezone.now()
        if not self.is_published or now >= self.ends_at:
            return False
        if self.sales_open_at and now < self.sales_open_at:
            return False
        if self.sales_close_at and now >= self.sales_close_at:
            return False
        return True


class Speaker(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="speakers")
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("web address name"), max_length=100)
    role = models.CharField(_("role"), max_length=200, blank=True)
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    bio = models.TextField(_("biography"), blank=True)
    photo = models.ImageField(
        _("photo"),
        upload_to="speakers/",
        blank=True,
        validators=[validate_image_upload],
        help_text=_(
            "PNG, JPEG, GIF or WebP, under 2 MB. The site shows a square crop "
            "from the middle."
        ),
    )
    # The square web rendition, made from `photo` by
    # services.speaker_photo_update; the original is kept beside it.
    photo_web = models.ImageField(
        _("photo for the web"), upload_to="speakers/web/", blank=True, editable=False
    )
    position = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "slug"], name="speaker_slug_unique_per_event"
            )
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse(
            "events:speaker", kwargs={"slug": self.event.slug, "speaker": self.slug}
        )

    @property
    def photo_url(self) -> str:
        """Return the web rendition's URL (the original's until one exists)."""
        if self.photo_web:
            return self.photo_web.url
        return self.photo.url if self.photo else ""


class Session(models.Model):
    """An item on the event's agenda."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="sessions")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    room = models.CharField(_("room"), max_length=100, blank=True)
    speakers = models.ManyToManyField(
        Speaker,
        blank=True,
        through="SessionSpeaker",
        related_name="sessions",
        verbose_name=_("speakers"),
    )

    class Meta:
        ordering = ["starts_at", "room"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gte=F("starts_at")),
                name="session_ends_after_it_starts",
                violation_error_message=_("The session must end after it starts."),
            )
        ]

    def __str__(self):
        return self.title


# Speakers in the order the organiser gave within a session: sort a Speaker
# queryset reached through Session.speakers by these (ties fall back to the
# speaker's own order, as before the organiser set one).
SPEAKERS_IN_SESSION_ORDER = ["session_links__position", "position", "name"]


class SessionSpeaker(models.Model):
    """A speaker at a session, in the organiser's order (1 speaks first)."""

    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="speaker_links"
    )
    speaker = models.ForeignKey(
        Speaker,
        on_delete=models.CASCADE,
        related_name="session_links",
        verbose_name=_("speaker"),
    )
    position = models.PositiveIntegerField(
        _("order"), default=0, help_text=_("1 speaks first.")
    )

    class Meta:
        ordering = ["position", "speaker__position", "speaker__name"]
        verbose_name = _("speaker")
        verbose_name_plural = _("speakers")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "speaker"], name="session_speaker_once"
            )
        ]

    def __str__(self):
        return f"{self.speaker} at {self.session}"
