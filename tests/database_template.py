"""The test databases are copies of one migrated template database.

Running the migrations takes about 40 s per database here; `CREATE DATABASE ... TEMPLATE` copies
a migrated one in about a second. So the first test process that needs the template (an xdist
worker, or a plain `pytest`) builds it and every test database is a copy:

- The template's name is derived from the database name `DATABASE_URL` (or the embedded
  default) gives, `test_<name>_template_<digest>`, so sessions on other database names (the
  other checkouts sharing one PostgreSQL server) never touch it. `<digest>` hashes the
  migrations of every installed app, the project modules they import and Django's version:
  a re-run with the same migrations skips migrating entirely; a changed migration builds a
  new template and drops the old ones of the same name.
- Everything happens under a PostgreSQL advisory lock keyed by that name: the other workers
  wait while one builds, then copy.
- A template is built as `<template>_building` and renamed only when its migrations finished,
  so one half-built by a killed session is never copied: the next build drops it first.
  The finished template refuses connections (ALLOW_CONNECTIONS false), because PostgreSQL
  cannot copy a database someone is connected to.
- `pytest --create-db` rebuilds the template.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import django
import django.db
from django.apps import apps
from django.conf import settings
from django.core.management import call_command

# PostgreSQL truncates identifiers to 63 bytes; a digest of the name keeps long ones apart.
MAX_IDENTIFIER = 63
DIGEST_LENGTH = 12
BUILDING_SUFFIX = "_building"
_IMPORT = re.compile(r"^\s*(?:from\s+([\w.]+)\s+import|import\s+([\w.]+))", re.MULTILINE)


def migrations_digest() -> str:
    """A hash of what a migrated database is made from: every installed app's migration files,
    the project modules they import (e.g. the default scorecard's definition) and Django's
    version. Paths are hashed relative to their app, so every checkout agrees."""
    base = Path(settings.BASE_DIR).resolve()
    files: dict[str, Path] = {}
    for app in apps.get_app_configs():
        for path in sorted((Path(app.path) / "migrations").glob("*.py")):
            files[f"{app.label}/migrations/{path.name}"] = path
            for names in _IMPORT.findall(path.read_text()):
                module = next(n for n in names if n)
                origin = _project_module_file(module, base)
                if origin is not None:
                    files[str(origin.relative_to(base))] = origin
    digest = hashlib.sha256(django.get_version().encode())
    for key in sorted(files):
        digest.update(key.encode() + b"\0" + files[key].read_bytes() + b"\0")
    return digest.hexdigest()[:DIGEST_LENGTH]


def _project_module_file(module: str, base: Path) -> Path | None:
    if module.split(".")[0] in {"django", "__future__"}:
        return None
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return None
    origin = Path(spec.origin).resolve()
    if base not in origin.parents or ".venv" in origin.relative_to(base).parts:
        return None
    return origin


def template_prefix(database_name: str) -> str:
    """`test_<database name>_template_`, shortened by a hash when the name is long."""
    prefix = f"test_{database_name}_template_"
    if len(prefix) + DIGEST_LENGTH + len(BUILDING_SUFFIX) > MAX_IDENTIFIER:
        short = hashlib.sha256(database_name.encode()).hexdigest()[:8]
        prefix = f"test_{database_name[:18]}_{short}_template_"
    return prefix


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _databases(cursor, prefix: str) -> list[str]:
    pattern = re.compile(re.escape(prefix) + rf"[0-9a-f]{{{DIGEST_LENGTH}}}({BUILDING_SUFFIX})?")
    cursor.execute("SELECT datname FROM pg_database")
    return [name for (name,) in cursor.fetchall() if pattern.fullmatch(name)]


def _discarded_prefix(test_name: str) -> str:
    """`<test database>_discarded_`, shortened by a hash so that 8 more characters fit."""
    room = MAX_IDENTIFIER - len(DISCARDED) - 8
    if len(test_name) > room:
        short = hashlib.sha256(test_name.encode()).hexdigest()[:8]
        test_name = f"{test_name[: room - 9]}_{short}"
    return test_name + DISCARDED


def _discarded(cursor, test_name: str) -> list[str]:
    pattern = re.compile(re.escape(_discarded_prefix(test_name)) + "[0-9a-f]{8}")
    cursor.execute("SELECT datname FROM pg_database")
    return [name for (name,) in cursor.fetchall() if pattern.fullmatch(name)]


def _drop(cursor, name: str) -> None:
    cursor.execute(f"DROP DATABASE IF EXISTS {_quote(name)} WITH (FORCE)")


def migrate_into(connection, name: str) -> None:
    """Run every migration into the (empty) database `name`, as Django's test runner would."""
    original = connection.settings_dict["NAME"]
    connection.close()
    connection.settings_dict["NAME"] = name
    try:
        call_command("migrate", verbosity=0, interactive=False, run_syncdb=True)
        call_command("createcachetable", verbosity=0)
    finally:
        connection.close()
        connection.settings_dict["NAME"] = original


def database_from_template(
    connection,
    *,
    database_name: str,
    test_name: str,
    rebuild_for: str | None = None,
    build: Callable[[object, str], None] = migrate_into,
    digest: str | None = None,
) -> tuple[str, bool]:
    """(Re)create the database `test_name` as a copy of the migrated template of
    `database_name`, building the template first when it is missing. `rebuild_for` (a test
    run's id, for `--create-db`) rebuilds it once for that run, not once per xdist worker.
    Returns (template name, whether this call built it)."""
    prefix = template_prefix(database_name)
    template = prefix + (digest or migrations_digest())
    lock = f"csplatform-tests:{prefix}"
    built = False
    with connection._nodb_cursor() as cursor:
        # A session-level lock: PostgreSQL releases it when the connection ends, even when the
        # process holding it is killed.
        cursor.execute("SELECT pg_advisory_lock(hashtext(%s))", [lock])
        try:
            existing = _databases(cursor, prefix)
            stale = template not in existing or (
                rebuild_for is not None and _comment(cursor, template) != rebuild_for
            )
            if stale:
                for name in existing:  # older templates, a half-built one, or this one
                    _drop(cursor, name)
                building = template + BUILDING_SUFFIX
                cursor.execute(f"CREATE DATABASE {_quote(building)}")
                build(connection, building)
                cursor.execute(f"ALTER DATABASE {_quote(building)} RENAME TO {_quote(template)}")
                cursor.execute(f"ALTER DATABASE {_quote(template)} WITH ALLOW_CONNECTIONS false")
                if rebuild_for is not None:
                    cursor.execute(f"COMMENT ON DATABASE {_quote(template)} IS %s", [rebuild_for])
                built = True
            _drop(cursor, test_name)
            for name in _discarded(cursor, test_name):  # left by a session whose drop never ran
                _drop(cursor, name)
            cursor.execute(f"CREATE DATABASE {_quote(test_name)} TEMPLATE {_quote(template)}")
        finally:
            cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", [lock])
    return template, built


def _comment(cursor, name: str) -> str | None:
    cursor.execute(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [name]
    )
    row = cursor.fetchone()
    return row[0] if row else None


def database_drop(connection, name: str) -> None:
    with connection._nodb_cursor() as cursor:
        _drop(cursor, name)


_DROP_SCRIPT = """
import os, psycopg2
connection = psycopg2.connect(os.environ["CSP_DROP_DSN"])
connection.autocommit = True
connection.cursor().execute(os.environ["CSP_DROP_SQL"])
"""
DISCARDED = "_discarded_"


def database_drop_later(connection, name: str) -> None:
    """Drop the database `name` without the test session waiting for it: PostgreSQL makes
    DROP DATABASE wait for a checkpoint of the whole server, seconds on a busy shared one.
    The database is renamed to a name of its own at once (so a session starting next can
    create `name` again) and dropped by a detached process; one whose drop never happened
    (the server stopped first) is dropped by the next session on the same name."""
    from csplatform.embedded import url_of_database

    discarded = _discarded_prefix(name) + uuid.uuid4().hex[:8]
    with connection._nodb_cursor() as cursor:
        # A connection the session's servers left (a worker's child, the live server's thread)
        # would make the rename fail and the session wait for the drop: end them first, waiting
        # up to 5 s for each to go.
        cursor.execute(
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        )
        try:
            cursor.execute(f"ALTER DATABASE {_quote(name)} RENAME TO {_quote(discarded)}")
        except django.db.Error:  # still in use (a child process not yet gone): drop it now
            _drop(cursor, name)
            return
    maintenance = connection.settings_dict.get("OPTIONS", {}).get("dbname") or "postgres"
    env = {
        **os.environ,
        # In the environment, not the arguments: the URL may hold the password.
        "CSP_DROP_DSN": url_of_database({**connection.settings_dict, "NAME": maintenance}),
        "CSP_DROP_SQL": f"DROP DATABASE IF EXISTS {_quote(discarded)} WITH (FORCE)",
    }
    subprocess.Popen(
        [sys.executable, "-c", _DROP_SCRIPT],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
