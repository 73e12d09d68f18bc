"""Give the "Door staff" group the check-in permission, and nothing else.

Permissions are normally created after all migrations have run, so this
creates the one it needs (the later step finds it and leaves it alone).
"""

from django.db import migrations

GROUP = "Door staff"
CODENAME = "check_in"
NAME = "Can check attendees in at the door"


def door_staff_may_check_in(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    content_type, _ = ContentType.objects.get_or_create(
        app_label="tickets", model="ticket"
    )
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type, codename=CODENAME, defaults={"name": NAME}
    )
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(permission)


def door_staff_may_not_check_in(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    group = Group.objects.filter(name=GROUP).first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="tickets", codename=CODENAME
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("tickets", "0006_checkin"),
    ]

    operations = [
        migrations.RunPython(door_staff_may_check_in, door_staff_may_not_check_in),
    ]
