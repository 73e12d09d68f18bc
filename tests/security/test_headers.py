"""Security headers, the Content Security Policy, and `check --deploy`."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    parsed = {}
    for part in policy.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


@pytest.mark.django_db
def test_pages_allow_only_our_own_scripts_and_styles(client):
    csp = directives(client.get("/"))
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["img-src"] == ["'self'"]
    assert csp["connect-src"] == ["'self'"]
    assert csp["worker-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert not any("unsafe" in v for values in csp.values() for v in values)


@pytest.mark.django_db
def test_forms_may_go_to_stripe_checkout_only_besides_this_site(client, settings):
    settings.STRIPE_API_BASE = ""
    assert directives(client.get("/"))["form-action"] == [
        "'self'",
        "https://checkout.stripe.com",
    ]
    settings.STRIPE_API_BASE = "http://127.0.0.1:4567/v1"
    assert directives(client.get("/"))["form-action"] == [
        "'self'",
        "http://127.0.0.1:4567",
    ]


@pytest.mark.django_db
def test_json_and_error_answers_carry_the_policy_too(client, event):
    assert "Content-Security-Policy" in client.get("/no-such-page/")
    assert "Content-Security-Policy" in client.get(
        f"/events/{event.slug}/availability.json"
    )


@pytest.mark.django_db
def test_only_the_door_may_use_the_camera(client):
    public = client.get("/")["Permissions-Policy"]
    assert "camera=()" in public
    for feature in ("microphone", "geolocation", "payment"):
        assert f"{feature}=()" in public
    door = client.get("/checkin/login/")["Permissions-Policy"]
    assert "camera=(self)" in door
    assert "microphone=()" in door and "geolocation=()" in door
    # Chromium warns on every page about a feature it does not know.
    assert "bluetooth" not in public


@pytest.mark.django_db
def test_referrer_framing_sniffing_and_opener_headers(client):
    response = client.get("/")
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


TEMPLATE_DIRS = [
    ROOT / "templates",
    *ROOT.glob("*/templates"),
    *ROOT.glob("psdm/*/templates"),
]
INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style[\s>]", re.I), "<style> element"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I), "event handler attribute"),
]


def test_no_template_has_inline_scripts_or_styles():
    """The policy refuses them, so each would be a broken page. E-mails are
    not web pages (mail clients need inline styles)."""
    found = []
    for directory in TEMPLATE_DIRS:
        for path in directory.rglob("*.html"):
            if "emails" in path.relative_to(directory).parts:
                continue
            text = path.read_text()
            for pattern, what in INLINE:
                if pattern.search(text):
                    found.append(f"{path.relative_to(ROOT)}: {what}")
    assert not found, found
    assert len([p for d in TEMPLATE_DIRS for p in d.rglob("*.html")]) > 30


def test_python_made_html_has_no_style_attributes():
    found = [
        str(path.relative_to(ROOT))
        for app in ("events", "tickets", "sponsors", "psdm")
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
        and re.search(r"""style=["'{]""", path.read_text())
    ]
    assert not found, found


def production_env(**env) -> dict:
    """The environment of psdm.settings.production with its required
    settings, nothing of this shell's DJANGO_/PSDM_ settings, and `env`."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_", "PSDM_", "AXES_"))
    }
    clean.update(
        DJANGO_SETTINGS_MODULE="psdm.settings.production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL="postgres://psdm@127.0.0.1:5432/psdm",
        DJANGO_ALLOWED_HOSTS="psdm.example.org",
        DJANGO_CSRF_TRUSTED_ORIGINS="https://psdm.example.org",
    )
    clean.update(env)
    return clean


def deploy_check(**env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deploy_check():
    result = deploy_check(DJANGO_CACHE_URL="redis://127.0.0.1:6379/9")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_deploy_check_warns_when_rate_limits_are_per_process():
    result = deploy_check()
    assert result.returncode != 0
    # The project's own id: Django's security.W001 is another warning.
    assert "psdm.W001" in result.stdout + result.stderr


def test_the_deploy_check_warns_without_hsts_on_subdomains():
    result = deploy_check(
        DJANGO_CACHE_URL="redis://127.0.0.1:6379/9",
        DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS="false",
    )
    assert result.returncode != 0
    assert "security.W005" in result.stdout + result.stderr


def production_setting(name: str, **env) -> str:
    """A setting's value as psdm.settings.production works it out."""
    code = f"from django.conf import settings; print(settings.{name})"
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=production_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_hsts_preload_is_sent_only_with_a_year():
    """The preload lists refuse less than a year: 30 days with "preload" was
    a header no list would take."""
    assert production_setting("SECURE_HSTS_SECONDS") == "31536000"
    assert production_setting("SECURE_HSTS_PRELOAD") == "True"
    month = {"DJANGO_SECURE_HSTS_SECONDS": str(60 * 60 * 24 * 30)}
    assert production_setting("SECURE_HSTS_PRELOAD", **month) == "False"
