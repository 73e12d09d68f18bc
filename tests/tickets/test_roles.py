"""Each role reaches exactly its part of the site: Organiser everything the
organiser's admin offers, Door staff the check-in pages, strangers neither."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from tickets.demo import seed_demo
from tickets.roles import DOOR_STAFF_GROUP, ORGANISER_GROUP

ORGANISER_PAGES = [
    reverse("admin:index"),
    reverse("admin:events_event_changelist"),
    reverse("admin:events_speaker_changelist"),
    reverse("admin:events_session_changelist"),
    reverse("admin:tickets_tickettype_changelist"),
    reverse("admin:tickets_order_changelist"),
    reverse("admin:tickets_ticket_changelist"),
    reverse("admin:sponsors_sponsor_changelist"),
    reverse("admin:sponsors_sponsortier_changelist"),
    "/admin/dashboard/",
]
CHECKIN = "/checkin/"
CHECKIN_EVENT = "/checkin/test-conference/"


def reaches_check_in(client) -> bool:
    """The door's page for the event opens (/checkin/ leads to it)."""
    response = client.get(CHECKIN, follow=True)
    return response.status_code == 200 and response.redirect_chain == [
        (CHECKIN_EVENT, 302)
    ]


def member(django_user_model, group_name: str, *, is_staff: bool):
    user = django_user_model.objects.create_user(
        f"{group_name.lower().replace(' ', '-')}-user", password="pw"
    )
    user.is_staff = is_staff
    user.save()
    user.groups.add(Group.objects.get(name=group_name))
    return user


def test_organiser_group_has_every_permission_of_the_three_apps(db):
    group = Group.objects.get(name=ORGANISER_GROUP)
    expected = Permission.objects.filter(
        content_type__app_label__in=["events", "tickets", "sponsors"]
    )
    assert expected.count() > 30
    assert set(group.permissions.all()) == set(expected)
    assert group.permissions.filter(codename="check_in").exists()


def test_door_staff_group_may_only_check_in(db):
    group = Group.objects.get(name=DOOR_STAFF_GROUP)
    codenames = list(
        group.permissions.values_list("content_type__app_label", "codename")
    )
    assert codenames == [("tickets", "check_in")]


@pytest.mark.parametrize("path", ORGANISER_PAGES)
def test_an_organiser_reaches_the_admin_and_dashboard(
    client, django_user_model, event, path
):
    client.force_login(member(django_user_model, ORGANISER_GROUP, is_staff=True))
    assert client.get(path).status_code == 200


def test_an_organiser_reaches_check_in(client, django_user_model, event):
    client.force_login(member(django_user_model, ORGANISER_GROUP, is_staff=True))
    assert reaches_check_in(client)


def test_an_organiser_does_not_manage_user_accounts(client, django_user_model, db):
    client.force_login(member(django_user_model, ORGANISER_GROUP, is_staff=True))
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 403


def test_door_staff_reach_check_in(client, django_user_model, event):
    client.force_login(member(django_user_model, DOOR_STAFF_GROUP, is_staff=False))
    assert reaches_check_in(client)


@pytest.mark.parametrize("path", ORGANISER_PAGES)
def test_door_staff_are_refused_the_admin(client, django_user_model, event, path):
    client.force_login(member(django_user_model, DOOR_STAFF_GROUP, is_staff=False))
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize("path", ORGANISER_PAGES[1:])
def test_door_staff_with_staff_status_still_see_nothing_in_the_admin(
    client, django_user_model, event, path
):
    """Staff status alone opens no part of the admin: the group decides."""
    client.force_login(member(django_user_model, DOOR_STAFF_GROUP, is_staff=True))
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", ORGANISER_PAGES)
def test_strangers_are_sent_to_sign_in_for_the_admin(client, event, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize("path", [CHECKIN, CHECKIN_EVENT])
def test_strangers_are_sent_to_sign_in_for_check_in(client, event, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("checkin:login"))


def test_a_signed_in_user_without_a_role_is_refused_check_in(
    client, django_user_model, event
):
    client.force_login(django_user_model.objects.create_user("nobody", password="pw"))
    assert client.get(CHECKIN_EVENT).status_code == 403


def test_seeded_organiser_is_in_the_organiser_group(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    seed_demo()
    organiser = Group.objects.get(name=ORGANISER_GROUP).user_set.get()
    assert organiser.username == "organiser" and organiser.is_staff
