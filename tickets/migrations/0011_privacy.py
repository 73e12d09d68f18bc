# Consents, retention marks and the personal data permission (privacy).

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0005_speaker_photo_web"),
        ("tickets", "0010_codes"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="order",
            options={
                "ordering": ["-created_at"],
                "permissions": [
                    (
                        "personal_data",
                        "Can export and erase the personal data held about one person",
                    )
                ],
            },
        ),
        migrations.AddField(
            model_name="order",
            name="anonymised_at",
            field=models.DateTimeField(
                blank=True, null=True, verbose_name="personal data removed"
            ),
        ),
        migrations.AddField(
            model_name="ticket",
            name="anonymised_at",
            field=models.DateTimeField(
                blank=True, null=True, verbose_name="personal data removed"
            ),
        ),
        migrations.AddField(
            model_name="ticket",
            name="attendee_list_consent_at",
            field=models.DateTimeField(
                blank=True, null=True, verbose_name="agreed to be on the attendee list"
            ),
        ),
        migrations.AddField(
            model_name="ticket",
            name="attendee_list_consent_version",
            field=models.CharField(
                blank=True, max_length=20, verbose_name="attendee list wording"
            ),
        ),
        migrations.AddField(
            model_name="ticket",
            name="future_events_consent_at",
            field=models.DateTimeField(
                blank=True,
                null=True,
                verbose_name="agreed to e-mails about future events",
            ),
        ),
        migrations.AddField(
            model_name="ticket",
            name="future_events_consent_version",
            field=models.CharField(
                blank=True, max_length=20, verbose_name="future events wording"
            ),
        ),
        migrations.CreateModel(
            name="EventAnonymisation",
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
                    "anonymised_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now,
                        verbose_name="personal data removed",
                    ),
                ),
                (
                    "orders",
                    models.PositiveIntegerField(default=0, verbose_name="orders"),
                ),
                (
                    "tickets",
                    models.PositiveIntegerField(default=0, verbose_name="places"),
                ),
                (
                    "emails",
                    models.PositiveIntegerField(default=0, verbose_name="e-mails"),
                ),
                (
                    "event",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="events.event",
                        verbose_name="event",
                    ),
                ),
            ],
            options={
                "verbose_name": "event with personal data removed",
                "verbose_name_plural": "events with personal data removed",
                "ordering": ["-anonymised_at"],
            },
        ),
    ]
