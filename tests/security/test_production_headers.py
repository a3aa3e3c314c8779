"""In production every response carries the hardening headers and the cookies are Secure."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent.parent
SECRET = "x" * 20 + "-production-secret-for-the-header-check-" + "y" * 20

# Runs in a child process so the production settings are loaded from scratch.
SCRIPT = r"""
import json, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
import re
from django.test import Client
from users.models import User
User.objects.create_user("ops", password="header-check-pass-1", role="csm")
client = Client(enforce_csrf_checks=True)
page = client.get("/login/", secure=True, HTTP_HOST="cs.example.com")
token = page.cookies["csrftoken"].value
signed_in = client.post(
    "/login/",
    {"username": "ops", "password": "header-check-pass-1", "csrfmiddlewaretoken": token},
    secure=True,
    HTTP_HOST="cs.example.com",
    HTTP_REFERER="https://cs.example.com/login/",
)
plain = Client().get("/login/", HTTP_HOST="cs.example.com")
# The page links its stylesheet by the manifest's hashed name; WhiteNoise serves it.
stylesheet = re.search(r'href="(/static/[^"]+\.css)"', page.content.decode()).group(1)
served = Client().get(stylesheet, secure=True, HTTP_HOST="cs.example.com")
def cookie(morsel):
    return {"secure": bool(morsel["secure"]), "httponly": bool(morsel["httponly"]),
            "samesite": morsel["samesite"]}
print(json.dumps({
    "login_status": page.status_code,
    "signed_in_status": signed_in.status_code,
    "headers": dict(page.headers),
    "csrf_cookie": cookie(page.cookies["csrftoken"]),
    "session_cookie": (
        cookie(signed_in.cookies["sessionid"]) if "sessionid" in signed_in.cookies else None
    ),
    "http_status": plain.status_code,
    "http_location": plain.headers.get("Location", ""),
    "stylesheet": stylesheet,
    "stylesheet_status": served.status_code,
}))
"""


def production_probe(database_url: str, static_root: Path) -> dict:
    """Build the pages' static files as the Dockerfile does (the manifest storage, nothing
    overridden, no server URLs), then sign in under production settings on a migrated copy
    of the test template (the SCRIPT's `migrate` finds nothing to do)."""
    from django.conf import settings

    dropped = {"DATABASE_URL", "CSPLATFORM_ENV", "DJANGO_ALLOW_ASYNC_UNSAFE", "DEBUG"}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(
        CSPLATFORM_ENV="production",
        SECRET_KEY=SECRET,
        ALLOWED_HOSTS="cs.example.com",
        DATABASE_URL=database_url,
        REDIS_URL=settings.CACHES["default"]["LOCATION"],
        CACHE_KEY_PREFIX=settings.CACHES["default"]["KEY_PREFIX"],
        DJANGO_SETTINGS_MODULE="csplatform.settings",
        PYTHONPATH=str(BASE_DIR),
        CELERY_TASK_ALWAYS_EAGER="true",
        STATIC_ROOT=str(static_root),
    )
    # The image build has no DATABASE_URL / REDIS_URL (Dockerfile): neither does this step.
    unset = {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}
    # The files the pages use (the project's and the vendored front-end libraries); the API
    # docs', the admin's and axe's assets would triple the compression time. `make prodcheck`
    # collects everything.
    leave_out = ["drf_spectacular_sidecar", "admin", "rest_framework", "axe"]
    collected = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "collectstatic",
            "--noinput",
            *(arg for name in leave_out for arg in ("-i", name)),
        ],
        cwd=BASE_DIR,
        env={k: v for k, v in env.items() if k not in unset},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert collected.returncode == 0, collected.stderr[-3000:]
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_production_responses_are_hardened_and_cookies_are_secure(migrated_database_url, tmp_path):
    """GIVEN production settings and the static files collected with the manifest storage, as
    the Dockerfile does WHEN someone opens the sign-in page over HTTPS and signs in THEN the
    page carries HSTS, nosniff, DENY framing and a referrer policy, both cookies are Secure
    (the session one HttpOnly too), plain HTTP is redirected to HTTPS, and the page links its
    stylesheet by content hash and WhiteNoise serves it."""
    probe = production_probe(migrated_database_url, tmp_path / "staticfiles")
    assert probe["login_status"] == 200
    assert probe["signed_in_status"] == 302
    headers = {k.lower(): v for k, v in probe["headers"].items()}
    assert headers["strict-transport-security"].startswith("max-age=31536000")
    assert "includeSubDomains" in headers["strict-transport-security"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "same-origin"
    assert probe["csrf_cookie"]["secure"] is True
    assert probe["session_cookie"] == {"secure": True, "httponly": True, "samesite": "Lax"}
    assert probe["http_status"] == 301
    assert probe["http_location"].startswith("https://cs.example.com/")
    assert re.fullmatch(r"/static/css/\S+\.[0-9a-f]{12}\.css", probe["stylesheet"])
    assert probe["stylesheet_status"] == 200
