"""The two staff roles, as auth groups.

- "Organiser": every permission of the events, tickets and sponsors apps
  (the admin, the dashboard, exports, badges, check-in). Members also need
  "staff status" to sign in to the admin.
- "Door staff": only tickets.check_in, for the /checkin/ pages.

Migrations 0007 and 0008 create them. Models added later bring new
permissions, so after every migrate `organiser_group_sync` gives the
Organiser group whatever the three apps have gained since.
"""

ORGANISER_GROUP = "Organiser"
DOOR_STAFF_GROUP = "Door staff"
ORGANISER_APPS = ("events", "tickets", "sponsors")


def organiser_group_sync(*, group_model, permission_model) -> None:
    """Give the Organiser group every permission of ORGANISER_APPS.

    Takes the models so a migration can pass its historical ones.
    """
    group, _ = group_model.objects.get_or_create(name=ORGANISER_GROUP)
    group.permissions.add(
        *permission_model.objects.filter(content_type__app_label__in=ORGANISER_APPS)
    )


def organiser_group_sync_after_migrate(sender, **kwargs) -> None:
    """post_migrate receiver, connected after auth's own, so the app's new
    permissions exist by the time this runs."""
    if sender.label not in ORGANISER_APPS:
        return
    from django.contrib.auth.models import Group, Permission

    organiser_group_sync(group_model=Group, permission_model=Permission)
