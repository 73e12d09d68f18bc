"""The Content Security Policy in a real browser: nothing on our pages is
refused (the conftest fails any test whose pages break it), and the
detector itself notices a refusal."""

import re

import pytest
from django.conf import settings
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from sponsors.models import Sponsor, SponsorTier

from .conftest import ADMIN_STYLESHEET, check_a11y, visit

pytestmark = pytest.mark.browser


def sign_in_as_organiser(page: Page, live_server, django_user_model):
    user = django_user_model.objects.create_superuser(
        "csp-organiser", "csp@example.gov.uk", "pw"
    )
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": cookie.key, "value": cookie.value, "url": live_server.url}]
    )
    return user


def test_an_inline_style_or_script_would_be_refused_and_noticed(page: Page, event):
    """The policy is really enforced, and the conftest's detector sees it."""
    visit(page, event.get_absolute_url())
    page.evaluate(
        """() => {
          document.body.insertAdjacentHTML("beforeend", '<p style="color: red">x</p>');
          const script = document.createElement("script");
          script.textContent = "window.inlineRan = true";
          document.body.append(script);
        }"""
    )
    expect(page.locator("p[style]")).to_have_count(1)
    assert page.evaluate("window.inlineRan") is None
    page.wait_for_timeout(200)
    seen = page.psdm_log.csp_violations
    assert any("style-src" in text for text in seen), seen
    assert any("script-src" in text for text in seen), seen
    page.psdm_log.csp_violations.clear()  # expected here, and only here


def test_public_pages_with_tier_colours_keep_to_the_policy(page: Page, event):
    tier = SponsorTier.objects.create(name="Headline", rank=1, colour="#ffdd00")
    Sponsor.objects.create(event=event, tier=tier, name="Curium Solutions")
    visit(page, event.get_absolute_url())
    label = page.locator(".psdm-tier", has_text="Headline").first
    expect(label).to_have_css("background-color", "rgb(255, 221, 0)")
    # GOV.UK Frontend's JavaScript ran (from a file, not inline).
    expect(page.locator("body")).to_have_class(re.compile("govuk-frontend-supported"))
    visit(page, f"/events/{event.slug}/sponsors/")
    visit(page, f"/events/{event.slug}/book/")


def test_turning_on_two_factor_keeps_to_the_policy(
    page: Page, live_server, django_user_model
):
    user = sign_in_as_organiser(page, live_server, django_user_model)
    page.goto("/admin/")
    check_a11y(page, stylesheet=ADMIN_STYLESHEET)
    with page.expect_navigation():
        page.get_by_role("link", name="Two-factor authentication").click()
    check_a11y(page, stylesheet=ADMIN_STYLESHEET)
    qr = page.get_by_role("img", name=re.compile("QR code"))
    expect(qr).to_be_visible()
    assert qr.bounding_box()["width"] >= 200
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=6)
    page.get_by_label("Code from your authenticator app").fill(f"{code:06d}")
    with page.expect_navigation():
        page.get_by_role("button", name="Turn on two-factor authentication").click()
    check_a11y(page, stylesheet=ADMIN_STYLESHEET)
    expect(page.get_by_text("Two-factor authentication is on")).to_have_count(2)
