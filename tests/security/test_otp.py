"""Two-factor authentication for the admin (django-otp, TOTP)."""

import base64
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

PASSWORD = "correct-horse-battery-staple"


def code_for(device: TOTPDevice, drift: int = 0) -> str:
    code = totp(
        device.bin_key,
        step=device.step,
        t0=device.t0,
        digits=device.digits,
        drift=drift,
    )
    return f"{code:06d}"


@pytest.fixture
def organiser(db):
    return User.objects.create_user(
        "organiser1", password=PASSWORD, is_staff=True, is_superuser=True
    )


@pytest.fixture
def device(organiser):
    return TOTPDevice.objects.create(user=organiser, name="phone", confirmed=True)


def log_in(client, code=""):
    return client.post(
        "/admin/login/?next=/admin/",
        {
            "username": "organiser1",
            "password": PASSWORD,
            "otp_token": code,
            "next": "/admin/",
        },
    )


def test_without_an_authenticator_app_the_password_is_enough(client, organiser):
    response = log_in(client)
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_the_log_in_page_offers_the_code_field(client, db):
    page = client.get("/admin/login/").content.decode()
    assert 'name="otp_token"' in page
    assert 'autocomplete="one-time-code"' in page


def test_with_an_app_the_password_alone_is_refused(client, device):
    response = log_in(client)
    assert response.status_code == 200
    assert "Enter the 6-digit code from your authenticator app." in (
        response.content.decode()
    )
    assert "_auth_user_id" not in client.session


def test_with_an_app_a_wrong_code_is_refused(client, device):
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"
    response = log_in(client, wrong)
    assert response.status_code == 200
    assert "The code is wrong or has expired" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_with_an_app_the_right_code_lets_them_in(client, device):
    response = log_in(client, code_for(device))
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
    assert client.session["otp_device_id"] == device.persistent_id


def test_a_code_cannot_be_used_twice(client, device):
    code = code_for(device)
    assert log_in(client, code).status_code == 302
    client.logout()
    assert log_in(client, code).status_code == 200


def test_a_session_from_the_door_log_in_does_not_open_the_admin(client, device):
    """The door's log-in asks for no code; the admin still does."""
    client.force_login(device.user)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert client.get("/admin/dashboard/").status_code == 302


def test_an_organiser_turns_two_factor_on_and_off(client, organiser):
    client.force_login(organiser)
    response = client.get("/admin/two-factor/")
    assert response.status_code == 200, response
    page = response.content.decode()
    assert "Two-factor authentication is off" in page
    assert re.search(r'<svg role="img" aria-label="QR code[^"]*"', page)
    assert "style=" not in page.split("<svg", 1)[1].split("</svg>", 1)[0]
    device = TOTPDevice.objects.get(user=organiser, confirmed=False)
    secret = re.search(r'<code class="psdm-otp-secret">([A-Z2-7=]+)</code>', page)[1]
    assert base64.b32decode(secret) == device.bin_key

    refused = client.post("/admin/two-factor/", {"otp_token": "000000"})
    if code_for(device) != "000000":
        assert "The code is wrong" in refused.content.decode()
        assert not TOTPDevice.objects.filter(confirmed=True).exists()
        # django-otp makes the next try wait after a wrong code: let it pass.
        assert (
            "Too many wrong codes"
            in client.post(
                "/admin/two-factor/", {"otp_token": code_for(device)}
            ).content.decode()
        )
        TOTPDevice.objects.filter(pk=device.pk).update(
            throttling_failure_timestamp=timezone.now() - timedelta(seconds=10)
        )

    response = client.post("/admin/two-factor/", {"otp_token": code_for(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    # This session was verified by that code: the admin stays open.
    assert client.get("/admin/").status_code == 200
    assert (
        "Two-factor authentication is on"
        in client.get("/admin/two-factor/").content.decode()
    )

    # Turning it off takes a current code (a new one: each works once).
    off = client.post("/admin/two-factor/", {"otp_token": code_for(device, drift=1)})
    assert off.status_code == 302
    assert not TOTPDevice.objects.filter(user=organiser).exists()


def test_turning_on_then_logging_in_again_needs_the_code(client, organiser):
    client.force_login(organiser)
    client.get("/admin/two-factor/")
    device = TOTPDevice.objects.get(user=organiser)
    client.post("/admin/two-factor/", {"otp_token": code_for(device)})
    client.logout()
    assert log_in(client).status_code == 200
    assert log_in(client, code_for(device, drift=1)).status_code == 302


def test_door_staff_cannot_reach_the_set_up_page(client, db):
    door = User.objects.create_user("door1", password=PASSWORD)
    client.force_login(door)
    response = client.get("/admin/two-factor/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
