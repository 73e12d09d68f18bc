"""An admission at the door writes no index of tickets_ticket: the
checked-in-by column loses its index, and on PostgreSQL the table keeps 15%
of each page free, so the changed row fits beside the old one (a HOT
update). The scan log loses its event index, which its (event, scanned_at)
index covers."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

TICKET_FILLFACTOR = 85


def _fillfactor(value):
    def set_fillfactor(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        table = schema_editor.quote_name(
            apps.get_model("tickets", "Ticket")._meta.db_table
        )
        setting = f"SET (fillfactor = {value})" if value else "RESET (fillfactor)"
        schema_editor.execute(f"ALTER TABLE {table} {setting}")

    return set_fillfactor


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0006_session_speaker_order"),
        ("tickets", "0012_door_devices"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="scan",
            name="event",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="events.event",
            ),
        ),
        migrations.AlterField(
            model_name="ticket",
            name="checked_in_by",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="checked in by",
            ),
        ),
        migrations.RunPython(_fillfactor(TICKET_FILLFACTOR), _fillfactor(None)),
    ]
