"""The test databases are copies of one migrated template (tests/database_template.py): built
once per migration state, under a lock, never copied half-built, never shared across database
names."""

import threading
import time
import uuid

import psycopg2
import pytest
from django.db import connection, connections
from django.db.migrations.executor import MigrationExecutor

from tests.database_template import (
    BUILDING_SUFFIX,
    MAX_IDENTIFIER,
    database_drop,
    database_drop_later,
    database_from_template,
    migrations_digest,
    template_prefix,
)


def _databases(prefix: str) -> dict[str, bool]:
    """{name: accepts connections} of the databases whose names start with `prefix`."""
    with connection._nodb_cursor() as cursor:
        cursor.execute(
            "SELECT datname, datallowconn FROM pg_database WHERE starts_with(datname, %s)",
            [prefix],
        )
        return dict(cursor.fetchall())


def _tables(name: str) -> list[str]:
    params = {**connection.get_connection_params(), "dbname": name}
    params.pop("database", None)
    with psycopg2.connect(**params) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        rows = sorted(r[0] for r in cursor.fetchall())
    conn.close()
    return rows


def test_this_session_runs_on_a_fully_migrated_copy_of_the_template(django_db_setup, db):
    """GIVEN the session's test database WHEN its migrations are compared with the code THEN
    nothing is left to apply, and the template it was copied from carries this code's
    migrations digest and refuses connections (so it can always be copied)."""
    executor = MigrationExecutor(connection)
    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []
    template = django_db_setup
    assert template.endswith(migrations_digest())
    assert _databases(template) == {template: False}


@pytest.mark.django_db
def test_a_half_built_template_is_rebuilt_and_concurrent_sessions_build_it_once():
    """GIVEN a database name with a half-built template (a session killed while migrating) and
    a template of older migrations WHEN two sessions need the template at the same moment THEN
    one builds it (once), both get a copy with what the build made, the half-built and the old
    template are gone, and a later session copies without building."""
    name = f"selftest_{uuid.uuid4().hex[:8]}"
    prefix = template_prefix(name)
    digest, old_digest = "a" * 12, "b" * 12
    template = prefix + digest
    with connection._nodb_cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{template}{BUILDING_SUFFIX}"')
        cursor.execute(f'CREATE DATABASE "{prefix}{old_digest}"')
    builds = []
    gate = threading.Barrier(2)

    def build(conn, building):
        builds.append(building)
        params = {**conn.get_connection_params(), "dbname": building}
        params.pop("database", None)
        with psycopg2.connect(**params) as c, c.cursor() as cursor:
            cursor.execute("CREATE TABLE built_here (id int)")
        c.close()

    copies = [f"test_{name}_gw{i}" for i in range(3)]
    results, failures = [], []

    def session(copy):
        try:
            gate.wait(timeout=30)
            results.append(
                database_from_template(
                    connections["default"],
                    database_name=name,
                    test_name=copy,
                    build=build,
                    digest=digest,
                )
            )
        except Exception as exc:  # reported below, with the thread's error
            failures.append(exc)
        finally:
            connections.close_all()

    try:
        threads = [threading.Thread(target=session, args=(copy,)) for copy in copies[:2]]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not failures, failures
        assert builds == [template + BUILDING_SUFFIX]
        assert sorted(built for _, built in results) == [False, True]
        assert _databases(prefix) == {template: False}
        assert _tables(copies[0]) == _tables(copies[1]) == ["built_here"]

        later = database_from_template(
            connection, database_name=name, test_name=copies[2], build=build, digest=digest
        )
        assert later == (template, False) and len(builds) == 1
    finally:
        for database in [*copies, template, template + BUILDING_SUFFIX, prefix + old_digest]:
            database_drop(connection, database)


def test_template_names_are_derived_from_the_database_name_and_fit_postgresql():
    """Sessions on other database names (other checkouts on the same server) never share or
    drop each other's templates: the prefixes differ and neither is a prefix of the other's
    template names; a long name is shortened to PostgreSQL's 63 characters and stays distinct."""
    assert template_prefix("csp_speed") == "test_csp_speed_template_"
    assert template_prefix("csp_speed") != template_prefix("csp_speed2")
    long_a, long_b = "x" * 60 + "_a", "x" * 60 + "_b"
    assert template_prefix(long_a) != template_prefix(long_b)
    for prefix in (template_prefix(long_a), template_prefix(long_b)):
        assert len(prefix + "f" * 12 + BUILDING_SUFFIX) <= MAX_IDENTIFIER


@pytest.mark.django_db
def test_a_finished_sessions_database_is_renamed_at_once_and_dropped_in_the_background():
    """GIVEN a session's test database WHEN the session ends THEN its name is free at once (a
    session starting next can copy the template again) and the database is gone soon after,
    without the session waiting for PostgreSQL's checkpoint; a discarded copy whose drop never
    ran is dropped by the next session on the same name."""
    name = f"selftest_{uuid.uuid4().hex[:8]}"
    template = template_prefix(name) + "c" * 12
    copy = f"test_{name}_gw0"
    with connection._nodb_cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{copy}"')
    try:
        database_drop_later(connection, copy)
        assert copy not in _databases(copy[:-4])
        deadline = time.monotonic() + 60
        while _databases(copy) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _databases(copy) == {}

        stranded = f"{copy}_discarded_0123abcd"
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{stranded}"')
        database_from_template(
            connection, database_name=name, test_name=copy, build=lambda *a: None, digest="c" * 12
        )
        assert _databases(copy) == {copy: True}
    finally:
        for database in [copy, f"{copy}_discarded_0123abcd", template]:
            database_drop(connection, database)
