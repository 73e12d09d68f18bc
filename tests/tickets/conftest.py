"""What the door's tests share: the Door staff group, a door volunteer, and
the check-in rate limits out of the way."""

import importlib

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.cache import cache

from tickets.roles import DOOR_STAFF_GROUP

DOOR_PASSWORD = "psdm-door-test"  # noqa: S105 - a test account's


def door_staff_group() -> Group:
    """The group as the migration leaves it (tests that flush the database
    remove the migration's rows, so it is made again here)."""
    migration = importlib.import_module("tickets.migrations.0007_door_staff_check_in")
    migration.door_staff_may_check_in(apps, None)
    return Group.objects.get(name=DOOR_STAFF_GROUP)


@pytest.fixture
def checkin_unlimited(settings):
    """No check-in rate limits to speak of, and nothing remembered from
    another test (a module uses it for all its tests)."""
    settings.PSDM_CHECKIN_RATE_PER_SECOND = 100_000
    settings.PSDM_CHECKIN_RATE_PER_MINUTE = 100_000
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def door(django_user_model):
    """A door volunteer in the Door staff group."""
    user = django_user_model.objects.create_user(
        "door", password=DOOR_PASSWORD, first_name="Dana", last_name="Door"
    )
    user.groups.add(door_staff_group())
    return user
