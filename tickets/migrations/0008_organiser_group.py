"""Create the "Organiser" group with every permission of the events, tickets
and sponsors apps (see tickets.roles).

Permissions are normally created after all migrations have run, so this
makes those of the three apps first; models added later are given to the
group after each migrate by tickets.roles.organiser_group_sync_after_migrate.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Organiser"
APPS = ("events", "tickets", "sponsors")


def organiser_may_do_everything(apps, schema_editor):
    for label in APPS:
        app_config = apps.get_app_config(label)
        # create_permissions skips an app without a models module; the
        # historical app configs have none, so lend them one for the call.
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(*Permission.objects.filter(content_type__app_label__in=APPS))


def no_organiser_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("events", "0005_speaker_photo_web"),
        ("sponsors", "0002_tier_colour_benefits_free_places"),
        ("tickets", "0007_door_staff_check_in"),
    ]

    operations = [
        migrations.RunPython(organiser_may_do_everything, no_organiser_group),
    ]
