"""Log-in lockout (django-axes) on the admin's and the door's log-in pages."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Permission, User

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def organiser(db):
    return User.objects.create_user(
        "organiser1", password=PASSWORD, is_staff=True, is_superuser=True
    )


@pytest.fixture
def door(db):
    user = User.objects.create_user("door1", password=PASSWORD)
    user.user_permissions.add(Permission.objects.get(codename="check_in"))
    return user


def admin_login(client, username, password, **extra):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password, "next": "/admin/"},
        **extra,
    )


def door_login(client, username, password, **extra):
    return client.post(
        "/checkin/login/", {"username": username, "password": password}, **extra
    )


@pytest.mark.parametrize("login", [admin_login, door_login])
def test_five_wrong_passwords_lock_the_username_out_even_with_the_right_one(
    client, organiser, door, login, settings
):
    settings.AXES_FAILURE_LIMIT = 5
    username = "organiser1" if login is admin_login else "door1"
    for _ in range(4):
        assert login(client, username, "wrong").status_code == 200
    locked = login(client, username, "wrong")
    assert locked.status_code == 429
    assert "Sorry, you cannot sign in at the moment" in locked.content.decode()
    assert "Wait 15 minutes, then try again." in locked.content.decode()
    again = login(client, username, PASSWORD)
    assert again.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_good_log_in_before_the_limit_clears_the_count(client, organiser):
    for _ in range(4):
        admin_login(client, "organiser1", "wrong")
    assert admin_login(client, "organiser1", PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        assert admin_login(client, "organiser1", "wrong").status_code == 200
    assert admin_login(client, "organiser1", PASSWORD).status_code == 302


def test_the_lockout_is_per_username_and_address(client, organiser, door):
    for _ in range(5):
        admin_login(client, "organiser1", "wrong", REMOTE_ADDR="198.51.100.1")
    assert (
        admin_login(client, "organiser1", PASSWORD, REMOTE_ADDR="198.51.100.1")
    ).status_code == 429
    # Someone else on that network, and the organiser elsewhere, still get in.
    assert (
        door_login(client, "door1", PASSWORD, REMOTE_ADDR="198.51.100.1").status_code
        == 302
    )
    client.logout()
    assert (
        admin_login(client, "organiser1", PASSWORD, REMOTE_ADDR="198.51.100.2")
    ).status_code == 302


def test_the_lockout_ends_after_the_cool_off(client, organiser):
    for _ in range(5):
        admin_login(client, "organiser1", "wrong")
    assert admin_login(client, "organiser1", PASSWORD).status_code == 429
    attempt = AccessAttempt.objects.get()
    attempt.attempt_time -= timedelta(minutes=16)
    attempt.save()
    assert admin_login(client, "organiser1", PASSWORD).status_code == 302


def test_behind_the_proxy_the_forwarded_address_is_locked_not_the_proxy(
    client, organiser, settings
):
    settings.PSDM_TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.5"}
    for n in range(5):
        # The leftmost entries are the client's own word: they change nothing.
        admin_login(
            client,
            "organiser1",
            "wrong",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 198.51.100.9",
            **proxy,
        )
    assert AccessAttempt.objects.get().ip_address == "198.51.100.9"
    locked = admin_login(
        client, "organiser1", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.9", **proxy
    )
    assert locked.status_code == 429
    other = admin_login(
        client, "organiser1", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.10", **proxy
    )
    assert other.status_code == 302


def test_lockouts_log_no_username_or_address(client, organiser, caplog):
    with caplog.at_level("DEBUG", logger="axes"):
        for _ in range(6):
            admin_login(client, "organiser1", "wrong", REMOTE_ADDR="198.51.100.77")
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "AXES" in text  # it did log
    assert "organiser1" not in text and "198.51.100.77" not in text
