"""Speakers within a session get an order: the plain many-to-many table is
replaced by SessionSpeaker (with a position), keeping every existing link.

Existing links are numbered 1, 2, ... in the order the site showed them
(the speaker's own order, then name).
"""

import django.db.models.deletion
from django.db import migrations, models


def copy_links_forward(apps, schema_editor):
    Session = apps.get_model("events", "Session")
    SessionSpeaker = apps.get_model("events", "SessionSpeaker")
    links = []
    for session in Session.objects.all():
        speakers = session.speakers.order_by("position", "name")
        for number, speaker in enumerate(speakers, start=1):
            links.append(
                SessionSpeaker(session=session, speaker=speaker, position=number)
            )
    SessionSpeaker.objects.bulk_create(links)


def copy_links_back(apps, schema_editor):
    Session = apps.get_model("events", "Session")
    SessionSpeaker = apps.get_model("events", "SessionSpeaker")
    for session in Session.objects.all():
        links = SessionSpeaker.objects.filter(session=session)
        session.speakers.set([link.speaker_id for link in links])


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0005_speaker_photo_web"),
    ]

    operations = [
        migrations.CreateModel(
            name="SessionSpeaker",
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
                    "position",
                    models.PositiveIntegerField(
                        default=0, help_text="1 speaks first.", verbose_name="order"
                    ),
                ),
                (
                    "session",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="speaker_links",
                        to="events.session",
                    ),
                ),
                (
                    "speaker",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="session_links",
                        to="events.speaker",
                        verbose_name="speaker",
                    ),
                ),
            ],
            options={
                "verbose_name": "speaker",
                "verbose_name_plural": "speakers",
                "ordering": ["position", "speaker__position", "speaker__name"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("session", "speaker"), name="session_speaker_once"
                    )
                ],
            },
        ),
        migrations.RunPython(copy_links_forward, copy_links_back),
        migrations.RemoveField(model_name="session", name="speakers"),
        migrations.AddField(
            model_name="session",
            name="speakers",
            field=models.ManyToManyField(
                blank=True,
                related_name="sessions",
                through="events.SessionSpeaker",
                to="events.speaker",
                verbose_name="speakers",
            ),
        ),
    ]
