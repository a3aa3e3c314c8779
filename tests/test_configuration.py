"""Configuration: bad settings stop with one clear line; production settings are hardened."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
GOOD_SECRET = "x" * 20 + "-production-secret-for-the-check-only-" + "y" * 20


def manage(*args, **env):
    dropped = {"DATABASE_URL", "CSPLATFORM_ENV", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in dropped}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "url", ["mysql-ish://nowhere", "postgres://127.0.0.1:5432/", "not a url at all"]
)
def test_malformed_database_url_stops_with_one_clear_line(url):
    result = manage("check", DATABASE_URL=url)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("configuration error: DATABASE_URL")


def test_production_without_secret_key_refuses_to_start():
    result = manage("check", CSPLATFORM_ENV="production", ALLOWED_HOSTS="cs.example.com")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "configuration error: SECRET_KEY must be set when CSPLATFORM_ENV=production"
    )


def test_production_without_allowed_hosts_refuses_to_start():
    result = manage("check", CSPLATFORM_ENV="production", SECRET_KEY=GOOD_SECRET)
    assert result.returncode == 2
    assert "ALLOWED_HOSTS must be set" in result.stderr


def test_production_settings_pass_check_deploy_with_no_warnings():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        CSPLATFORM_ENV="production",
        SECRET_KEY=GOOD_SECRET,
        ALLOWED_HOSTS="cs.example.com",
        DATABASE_URL="postgres://db.internal:5432/csplatform",
        REDIS_URL="redis://cache.internal:6379/1",
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_with_no_service_urls_the_settings_name_the_embedded_postgres_and_valkey():
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='csplatform.settings'; "
        "django.setup(); from django.conf import settings as s; d=s.DATABASES['default']; "
        "print(d['ENGINE'], d['HOST'], d['NAME'], s.CACHES['default']['LOCATION'], "
        "s.CELERY_BROKER_URL, s.CELERY_TASK_ALWAYS_EAGER)"
    )
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}
    }
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=clean, capture_output=True, text=True
    )
    data = BASE_DIR / ".data"
    assert out.stdout.split() == [
        "django.db.backends.postgresql",
        str(data / "postgres"),
        "csplatform",
        f"unix://{data / 'valkey' / 'valkey.sock'}?db=1",
        f"redis+socket://{data / 'valkey' / 'valkey.sock'}?virtual_host=0",
        "False",
    ], out.stderr


def test_production_without_a_database_url_refuses_to_start():
    result = manage(
        "check", CSPLATFORM_ENV="production", SECRET_KEY=GOOD_SECRET, ALLOWED_HOSTS="cs.example.com"
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "configuration error: DATABASE_URL must be set when CSPLATFORM_ENV=production"
    )


def test_beat_schedules_the_nightly_run_at_the_configured_hour():
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='csplatform.settings'; "
        "django.setup(); from django.conf import settings as s; "
        "e=s.CELERY_BEAT_SCHEDULE['nightly-score-run']; "
        "print(e['task'], sorted(e['schedule'].hour))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env={**os.environ, "NIGHTLY_RUN_HOUR": "3"},
        capture_output=True,
        text=True,
    )
    assert out.stdout.split() == ["healthscores.tasks.nightly_score_run", "[3]"], out.stderr


def test_the_embedded_launcher_runs_a_command_on_postgresql_18_and_stops_only_what_it_started():
    """GIVEN no DATABASE_URL/REDIS_URL WHEN a command runs under `python -m csplatform.embedded`
    THEN it reaches the embedded PostgreSQL 18 and Valkey, its exit code comes back, and a server
    that was already running (this session's) is still running afterwards, one it started not."""
    from csplatform import embedded

    running_before = (embedded.postgres_running(), embedded.valkey_running())
    code = (
        "import django, sys; django.setup(); from django.db import connection; "
        "from django.core.cache import cache; cache.set('launcher-probe', 1, 30); "
        "c = connection.cursor(); c.execute('SHOW server_version'); "
        "print(c.fetchone()[0], cache.get('launcher-probe')); sys.exit(3)"
    )
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}
    }
    result = subprocess.run(
        [sys.executable, "-m", "csplatform.embedded", "--", sys.executable, "-c", code],
        cwd=BASE_DIR,
        env={**clean, "DJANGO_SETTINGS_MODULE": "csplatform.settings"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 3, result.stderr[-2000:]
    version, probe = result.stdout.split()
    assert version.startswith("18.") and probe == "1"
    assert (embedded.postgres_running(), embedded.valkey_running()) == running_before
