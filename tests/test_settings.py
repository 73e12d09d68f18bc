"""Settings: safe local defaults; production refuses to start without secrets."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def check(settings_module: str, **env) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_"))
    }
    clean.update(env, DJANGO_SETTINGS_MODULE=settings_module)
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_local_defaults_need_nothing_set():
    result = check("psdm.settings.base")
    assert result.returncode == 0, result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = check("psdm.settings.production", DATABASE_URL="postgres://x@127.0.0.1/x")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_a_database_url():
    result = check("psdm.settings.production", DJANGO_SECRET_KEY="s" * 50)
    assert result.returncode != 0
    assert "DATABASE_URL must be set" in result.stderr


def test_production_starts_with_both():
    result = check(
        "psdm.settings.production",
        DJANGO_SECRET_KEY="s" * 50,
        DATABASE_URL="postgres://x@127.0.0.1/x",
        DJANGO_ALLOWED_HOSTS="psdm.example.org",
    )
    assert result.returncode == 0, result.stderr


def test_local_defaults(settings):
    from django.conf import settings as live

    assert live.CELERY_TASK_ALWAYS_EAGER is (live.CELERY_BROKER_URL == "memory://")
    assert live.CRISPY_TEMPLATE_PACK == "gds"


def test_uploaded_logos_are_served(client, settings, tmp_path):
    (tmp_path / "logo.png").write_bytes(b"\x89PNG fake")
    settings.MEDIA_ROOT = tmp_path
    response = client.get("/media/logo.png")
    assert response.status_code == 200
    assert client.get("/media/../settings.py").status_code in (400, 404)


def test_deploy_check_warns_when_an_e_mail_claim_is_shorter_than_a_send(settings):
    from tickets.checks import email_claim_outlasts_a_send

    settings.EMAIL_TIMEOUT = 20
    settings.PSDM_EMAIL_CLAIM_SECONDS = 300
    assert email_claim_outlasts_a_send() == []
    settings.PSDM_EMAIL_CLAIM_SECONDS = 120
    (warning,) = email_claim_outlasts_a_send()
    assert warning.id == "tickets.W001" and "at least 150" in warning.hint
