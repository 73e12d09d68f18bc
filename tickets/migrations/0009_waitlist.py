# Generated for the waiting list

import django.db.models.deletion
import django.db.models.functions.text
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import tickets.models.orders


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0005_speaker_photo_web"),
        ("tickets", "0008_organiser_group"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="email",
            name="kind",
            field=models.CharField(
                choices=[
                    ("confirmation", "Booking confirmed (to the buyer)"),
                    ("attendee_ticket", "Your place (to an attendee)"),
                    ("cancellation", "Places cancelled"),
                    ("refund", "Refund made"),
                    ("transfer_new", "Place passed on (to the new attendee)"),
                    ("transfer_old", "Place passed on (to the old attendee)"),
                    ("invoice", "Invoice issued"),
                    ("reminder", "Reminder before the event"),
                    ("broadcast", "Message to attendees"),
                    ("waitlist_offer", "A place offered (waiting list)"),
                    ("waitlist_expired", "Offer passed on (waiting list)"),
                ],
                max_length=20,
                verbose_name="kind",
            ),
        ),
        migrations.CreateModel(
            name="WaitlistEntry",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                ("name", models.CharField(max_length=200, verbose_name="full name")),
                (
                    "email",
                    models.EmailField(max_length=254, verbose_name="email address"),
                ),
                (
                    "organisation",
                    models.CharField(max_length=200, verbose_name="organisation"),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("waiting", "Waiting"),
                            ("offered", "Offered a place"),
                            ("booked", "Booked"),
                            ("expired", "Offer not taken"),
                            ("removed", "Removed"),
                        ],
                        default="waiting",
                        max_length=20,
                        verbose_name="status",
                    ),
                ),
                (
                    "joined_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="joined"
                    ),
                ),
                (
                    "updated_at",
                    models.DateTimeField(auto_now=True, verbose_name="updated"),
                ),
                (
                    "event",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="waitlist_entries",
                        to="events.event",
                    ),
                ),
            ],
            options={
                "verbose_name": "waiting list entry",
                "verbose_name_plural": "waiting list",
                "ordering": ["joined_at", "id"],
            },
        ),
        migrations.CreateModel(
            name="WaitlistOffer",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                (
                    "token",
                    models.CharField(
                        default=tickets.models.orders.new_secret,
                        max_length=64,
                        unique=True,
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("offered", "Offered"),
                            ("used", "Booked"),
                            ("expired", "Expired"),
                            ("withdrawn", "Withdrawn"),
                        ],
                        default="offered",
                        max_length=20,
                        verbose_name="status",
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="offered"
                    ),
                ),
                ("expires_at", models.DateTimeField(verbose_name="book by")),
                (
                    "ended_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="ended"),
                ),
                (
                    "entry",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="offers",
                        to="tickets.waitlistentry",
                    ),
                ),
                (
                    "event",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="waitlist_offers",
                        to="events.event",
                    ),
                ),
                (
                    "order",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="waitlist_offers",
                        to="tickets.order",
                        verbose_name="booking",
                    ),
                ),
                (
                    "sent_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="sent by hand by",
                    ),
                ),
            ],
            options={
                "verbose_name": "waiting list offer",
                "ordering": ["-created_at", "-id"],
            },
        ),
        migrations.AddField(
            model_name="email",
            name="waitlist_offer",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="emails",
                to="tickets.waitlistoffer",
            ),
        ),
        migrations.AddIndex(
            model_name="waitlistentry",
            index=models.Index(
                fields=["event", "status", "joined_at"],
                name="tickets_wai_event_i_77f37d_idx",
            ),
        ),
        migrations.AddConstraint(
            model_name="waitlistentry",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("email"),
                models.F("event"),
                condition=models.Q(("status__in", ["waiting", "offered"])),
                name="waitlist_entry_live_unique_per_email",
                violation_error_message="This email address is already on the waiting list.",
            ),
        ),
        migrations.AddIndex(
            model_name="waitlistoffer",
            index=models.Index(
                fields=["status", "expires_at"], name="tickets_wai_status_b48258_idx"
            ),
        ),
        migrations.AddConstraint(
            model_name="waitlistoffer",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "offered")),
                fields=("entry",),
                name="waitlist_offer_one_live_per_entry",
            ),
        ),
        migrations.AddConstraint(
            model_name="waitlistoffer",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("status", "offered"), ("ended_at__isnull", False), _connector="OR"
                ),
                name="waitlist_offer_ended_has_ended_at",
            ),
        ),
    ]
