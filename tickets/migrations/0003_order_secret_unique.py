import secrets

from django.db import migrations, models

import tickets.models


def fill_secrets(apps, schema_editor):
    Order = apps.get_model("tickets", "Order")
    for order in Order.objects.filter(secret__isnull=True).only("pk"):
        order.secret = secrets.token_urlsafe(24)
        order.save(update_fields=["secret"])


class Migration(migrations.Migration):
    dependencies = [("tickets", "0002_payments")]

    operations = [
        migrations.RunPython(fill_secrets, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="order",
            name="secret",
            field=models.CharField(
                default=tickets.models.new_secret, max_length=64, unique=True
            ),
        ),
    ]
