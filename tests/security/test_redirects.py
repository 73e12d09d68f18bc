"""No open redirects: every page that takes a place to go back to (`next`)
keeps people on this site, and no URL of ours bounces them elsewhere."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

from tests.tickets.flow import fill_up_to_check, url
from tickets.models import Order
from tickets.roles import DOOR_STAFF_GROUP, ORGANISER_GROUP

OFF_SITE = [
    "//evil.com",
    "//evil.com/admin/",
    "https://evil.com",
    "http://evil.com/checkin/",
    "/\\evil.com",
    "\\\\evil.com",
    "/\\/evil.com",
    "https:/\\evil.com",
    "http:evil.com",
    " //evil.com",
    "\t//evil.com",
    "javascript:alert(1)",
    "JavaScript:alert(document.domain)",
    "data:text/html,<script>alert(1)</script>",
    "https://testserver@evil.com",
    "https://evil.com\\@testserver/",
    "//testserver.evil.com",
]


@pytest.fixture(autouse=True)
def fast(settings):
    settings.PSDM_RATE_LIMITS_ENABLED = False  # tests/security/test_ratelimit.py
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def stays_here(location: str) -> bool:
    return url_has_allowed_host_and_scheme(
        location, allowed_hosts={"testserver"}, require_https=False
    ) and not location.lstrip().lower().startswith(("javascript:", "data:"))


@pytest.fixture
def organiser(django_user_model):
    user = django_user_model.objects.create_user(
        "organiser", password="a long password", is_staff=True
    )
    user.groups.add(Group.objects.get(name=ORGANISER_GROUP))
    return user


@pytest.fixture
def door(django_user_model):
    user = django_user_model.objects.create_user("door", password="a long password")
    user.groups.add(Group.objects.get(name=DOOR_STAFF_GROUP))
    return user


LOGINS = {
    # An unsafe `next` at the admin's log-in falls back to Django's
    # LOGIN_REDIRECT_URL (a page this site does not have, but on this site).
    "admin": ("/admin/login/", "organiser", "/admin/tickets/order/", "/"),
    "checkin": ("/checkin/login/", "door", "/checkin/test-conference/", "/checkin/"),
}


@pytest.mark.parametrize("which", LOGINS)
def test_signing_in_follows_next_on_this_site(client, event, organiser, door, which):
    """The control: a `next` on this site is followed, so the tests below
    would notice if `next` were ignored altogether."""
    path, username, inside, _ = LOGINS[which]
    response = client.post(
        f"{path}?next={inside}",
        {"username": username, "password": "a long password", "next": inside},
    )
    assert response.status_code == 302
    assert response["Location"] == inside


@pytest.mark.parametrize("which", LOGINS)
def test_signing_in_never_goes_off_site(event, organiser, door, which):
    path, username, _, home = LOGINS[which]
    for target in OFF_SITE:
        client = Client()
        page = client.get(path, {"next": target})
        assert page.status_code == 200
        response = client.post(
            path + "?" + urlencode({"next": target}),
            {"username": username, "password": "a long password", "next": target},
        )
        assert response.status_code == 302, target
        location = response["Location"]
        assert stays_here(location) and location.startswith(home), (target, location)


@pytest.mark.parametrize("path", ["/admin/logout/", "/checkin/logout/"])
def test_signing_out_never_goes_off_site(organiser, path):
    client = Client()
    client.force_login(organiser)
    control = client.post(path, {"next": "/privacy/"})
    assert (control.status_code, control["Location"]) == (302, "/privacy/")
    for target in OFF_SITE:
        client = Client()
        client.force_login(organiser)
        response = client.post(path, {"next": target})
        if response.status_code == 302:
            assert stays_here(response["Location"]), (target, response["Location"])
        else:
            assert response.status_code == 200, target  # the "signed out" page
            assert target not in response.content.decode()
        assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    "path", ["//evil.com", "//evil.com/", "/\\evil.com", "///evil.com", "/%5Cevil.com"]
)
def test_paths_that_look_like_other_sites_are_not_bounced_there(client, db, path):
    """Adding the missing slash (CommonMiddleware) must not turn a path into
    a link to another site."""
    # The test client would read "//evil.com" as a host: send the raw path.
    response = client.request(PATH_INFO=path, REQUEST_METHOD="GET")
    if response.status_code in (301, 302):
        assert stays_here(response["Location"]), response["Location"]
    else:
        assert response.status_code == 404


def test_the_booking_steps_change_parameter_only_goes_to_our_own_step(
    client, event, free_type
):
    fill_up_to_check(client, event, free_type)
    response = client.post(
        url("buyer", event) + "?change=https://evil.com&next=//evil.com",
        {"buyer_name": "Grace Hopper", "buyer_email": "grace@example.gov.uk"},
    )
    assert response.status_code == 302
    assert response["Location"] == url("check", event)


def test_stripe_is_never_told_to_send_buyers_to_another_host(
    client, event, paid_type, fake_stripe
):
    """Stripe's return addresses are built from the request's host: a forged
    Host header is refused before anything is booked."""
    fill_up_to_check(client, event, paid_type)
    client.post(url("payment", event), {"method": "card"})
    response = client.post(url("check", event), HTTP_HOST="evil.com")
    assert response.status_code == 400
    assert Order.objects.count() == 0
    assert not fake_stripe.sessions
