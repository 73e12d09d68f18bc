"""Door devices in admin: the organiser makes one and sees its token once,
renames it, revokes it; the scan log shows which device scanned."""

import hashlib
import re
from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from tickets.models import DoorDevice, Scan
from tickets.roles import DOOR_STAFF_GROUP
from tickets.services import door_devices

ADD = reverse("admin:tickets_doordevice_add")
LIST = reverse("admin:tickets_doordevice_changelist")
TOKEN = re.compile(r"psdmdoor\.[0-9]+\.[A-Za-z0-9_-]{43}")


@pytest.fixture
def door_staff(django_user_model):
    user = django_user_model.objects.create_user("door", password="pw")
    user.groups.add(Group.objects.get(name=DOOR_STAFF_GROUP))
    return user


def change_url(device) -> str:
    return reverse("admin:tickets_doordevice_change", args=[device.pk])


def texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def form_errors(response) -> dict:
    assert response.status_code == 200
    return response.context["adminform"].form.errors


def add(client, user, *, name="Main entrance, scanner 1", expires_at=None):
    data = {"name": name, "user": user.pk, "expires_at_0": "", "expires_at_1": ""}
    if expires_at is not None:
        local = timezone.localtime(expires_at)
        data["expires_at_0"] = local.strftime("%Y-%m-%d")
        data["expires_at_1"] = local.strftime("%H:%M:%S")
    return client.post(ADD, data)


def made(client, user, **kwargs) -> tuple[DoorDevice, str]:
    """Add a device through admin; return it and the token its message gave."""
    response = add(client, user, **kwargs)
    assert response.status_code == 302, response.content.decode()[:2000]
    [message] = texts(response)
    return DoorDevice.objects.get(), TOKEN.search(message)[0]


def revoke_action(client, devices):
    data = {
        "action": "revoke_devices",
        ACTION_CHECKBOX_NAME: [str(d.pk) for d in devices],
    }
    first = client.post(LIST, {**data, "index": "0"})
    assert first.status_code == 200  # "Are you sure?"
    return client.post(LIST, {**data, "post": "yes"}, follow=True)


# -- making a device ------------------------------------------------------------


def test_the_organiser_adds_a_device_and_sees_its_token_once(
    organiser_client, door_staff
):
    response = add(organiser_client, door_staff)
    device = DoorDevice.objects.get()
    assert response.status_code == 302
    assert response["Location"] == change_url(device)
    [message] = texts(response)
    assert message.startswith("Door device “Main entrance, scanner 1” made.")
    assert "Authorization: Bearer" in message
    token = TOKEN.search(message)[0]
    assert token.startswith(f"psdmdoor.{device.pk}.")

    page = organiser_client.get(response["Location"]).content.decode()
    assert page.count(token) == 1
    again = organiser_client.get(change_url(device)).content.decode()
    assert token not in again  # shown only once

    assert (device.name, device.user, device.kind) == (
        "Main entrance, scanner 1",
        door_staff,
        DoorDevice.Kind.APP,
    )
    assert device.expires_at is None and device.revoked_at is None


def test_the_token_authenticates_as_the_device_and_its_account(
    organiser_client, door_staff
):
    device, token = made(organiser_client, door_staff)
    identity = door_devices.authenticate(token)
    assert identity is not None
    assert (identity.device_id, identity.user_id) == (device.pk, door_staff.pk)
    assert identity.allowed


def test_only_the_digest_is_stored(organiser_client, door_staff):
    device, token = made(organiser_client, door_staff)
    secret = token.rsplit(".", 1)[1]
    assert device.secret_digest == hashlib.sha256(secret.encode()).hexdigest()
    row = DoorDevice.objects.filter(pk=device.pk).values().get()
    assert not any(secret in str(value) for value in row.values())
    history = LogEntry.objects.get(object_id=str(device.pk))
    assert secret not in history.change_message + history.object_repr


def test_the_accounts_offered_are_active_door_staff(
    organiser_client, organiser, door_staff, django_user_model
):
    direct = django_user_model.objects.create_user("direct", password="pw")
    direct.user_permissions.add(
        Permission.objects.get(content_type__app_label="tickets", codename="check_in")
    )
    gone = django_user_model.objects.create_user("gone", password="pw")
    gone.groups.add(Group.objects.get(name=DOOR_STAFF_GROUP))
    gone.is_active = False
    gone.save()
    django_user_model.objects.create_user("visitor", password="pw")

    page = organiser_client.get(ADD)
    assert page.status_code == 200
    offered = page.context["adminform"].form.fields["user"].queryset
    assert {u.username for u in offered} == {"organiser", "direct", "door"}
    assert 'id="add_id_user"' not in page.content.decode()  # it could not be chosen


def test_an_account_that_may_not_check_in_is_refused(
    organiser_client, django_user_model
):
    visitor = django_user_model.objects.create_user("visitor", password="pw")
    errors = form_errors(add(organiser_client, visitor))
    assert "may check people in" in str(errors["user"])
    assert not DoorDevice.objects.exists()


def test_an_account_made_inactive_is_refused(organiser_client, door_staff):
    door_staff.is_active = False
    door_staff.save()
    errors = form_errors(add(organiser_client, door_staff))
    assert "may check people in" in str(errors["user"])
    assert not DoorDevice.objects.exists()


def test_an_expiry_in_the_past_is_refused(organiser_client, door_staff):
    yesterday = timezone.now() - timedelta(days=1)
    errors = form_errors(add(organiser_client, door_staff, expires_at=yesterday))
    assert "in the future" in str(errors["expires_at"])
    assert not DoorDevice.objects.exists()


def test_an_expiry_in_the_future_is_kept(organiser_client, door_staff):
    friday = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    device, token = made(organiser_client, door_staff, expires_at=friday)
    assert device.expires_at == friday
    assert door_devices.authenticate(token) is not None


# -- changing and revoking --------------------------------------------------------


def test_only_the_name_changes(organiser_client, door_staff, organiser):
    device, token = made(organiser_client, door_staff)
    response = organiser_client.post(
        change_url(device),
        {"name": "Side door", "user": organiser.pk, "kind": "page"},
    )
    assert response.status_code == 302
    device.refresh_from_db()
    assert (device.name, device.user, device.kind) == (
        "Side door",
        door_staff,
        DoorDevice.Kind.APP,
    )
    assert door_devices.authenticate(token).name == "Side door"


def test_the_revoke_action_stops_the_token(organiser_client, door_staff):
    device, token = made(organiser_client, door_staff)
    assert door_devices.authenticate(token) is not None  # now remembered

    final = revoke_action(organiser_client, [device])
    assert "Revoked 1 door device: its token no longer works." in texts(final)
    device.refresh_from_db()
    assert device.revoked_at is not None
    assert door_devices.authenticate(token) is None

    again = revoke_action(organiser_client, [device])
    assert "1 was revoked already." in texts(again)


def test_the_device_page_revokes_it_too(organiser_client, door_staff):
    device, token = made(organiser_client, door_staff)
    url = reverse("admin:tickets_doordevice_revoke", args=[device.pk])
    assert url in organiser_client.get(change_url(device)).content.decode()

    assert organiser_client.get(url).status_code == 200  # "Are you sure?"
    response = organiser_client.post(url, {"post": "yes"})
    assert response["Location"] == change_url(device)
    assert door_devices.authenticate(token) is None
    assert url not in organiser_client.get(change_url(device)).content.decode()


def test_the_list_and_pages_show_active_and_revoked_devices(
    organiser_client, door_staff
):
    active, _ = door_devices.device_create(name="Main entrance", user=door_staff)
    revoked, _ = door_devices.device_create(name="Side door", user=door_staff)
    door_devices.devices_revoke(device_ids=[revoked.pk])

    page = organiser_client.get(LIST)
    assert page.status_code == 200
    content = page.content.decode()
    assert "Main entrance" in content and "Side door" in content
    assert "Active" in content and "Revoked" in content
    for status, name in (("active", "Main entrance"), ("revoked", "Side door")):
        rows = organiser_client.get(LIST, {"status": status}).context["cl"].result_list
        assert [d.name for d in rows] == [name]
    searched = organiser_client.get(LIST, {"q": "door"}).context["cl"].result_list
    assert {d.name for d in searched} == {"Main entrance", "Side door"}  # username

    for device in (active, revoked):
        assert organiser_client.get(change_url(device)).status_code == 200


def test_an_expired_device_says_so(organiser_client, door_staff):
    device, _ = door_devices.device_create(
        name="Last year", user=door_staff, expires_at=timezone.now() + timedelta(1)
    )
    DoorDevice.objects.filter(pk=device.pk).update(
        created_at=timezone.now() - timedelta(days=3),
        expires_at=timezone.now() - timedelta(days=1),
    )
    rows = organiser_client.get(LIST, {"status": "expired"}).context["cl"].result_list
    assert [d.name for d in rows] == ["Last year"]
    assert "Expired" in organiser_client.get(LIST).content.decode()


def test_devices_are_never_deleted(organiser_client, door_staff):
    device, _ = door_devices.device_create(name="Main entrance", user=door_staff)
    delete = reverse("admin:tickets_doordevice_delete", args=[device.pk])
    assert organiser_client.get(delete).status_code == 403
    actions = organiser_client.get(LIST).context["action_form"].fields["action"]
    assert "delete_selected" not in dict(actions.choices)
    assert DoorDevice.objects.filter(pk=device.pk).exists()


def test_the_scan_log_shows_the_device(organiser_client, door_staff, event):
    device, _ = door_devices.device_create(name="Scanner 7", user=door_staff)
    scan = Scan.objects.create(
        event=event, user=door_staff, result=Scan.Result.INVALID, device=device
    )
    assert (
        "Scanner 7"
        in organiser_client.get(
            reverse("admin:tickets_scan_changelist")
        ).content.decode()
    )
    page = organiser_client.get(reverse("admin:tickets_scan_change", args=[scan.pk]))
    assert page.status_code == 200
    assert change_url(device) in page.content.decode()


def test_door_staff_get_no_admin(client, door_staff):
    client.force_login(door_staff)
    assert client.get(LIST).status_code == 302  # to the admin's sign-in
