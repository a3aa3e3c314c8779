"""The schema is declared on the models: every index and constraint a model's Meta names exists
in the migrated database exactly as Django would create it from that declaration, and the
migrated database holds no index or constraint that the models would not create.

Covering (INCLUDE) and partial indexes were once written by hand in migrations while the models
declared plainer ones, and a hand-made DROP left a table without an index its model asked for;
a model and its table that disagree fail here.
"""

import copy
from collections import Counter
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection, models, transaction

pytestmark = pytest.mark.django_db

PROJECT_APPS = {
    app.label
    for app in apps.get_app_configs()
    if Path(app.path).parent == Path(settings.BASE_DIR).resolve()
}


def _declared():
    for model in apps.get_models():
        if model._meta.app_label not in PROJECT_APPS:
            continue
        for index in model._meta.indexes:
            yield model, index
        for constraint in model._meta.constraints:
            yield model, constraint


def _as_django_creates_it(model, declared, editor) -> str:
    """Create `declared` again under a scratch name; PostgreSQL's own definition of it."""
    scratch = copy.copy(declared)
    scratch.name = "schema_check_scratch"
    with connection.cursor() as cursor:
        cursor.execute(str(scratch.create_sql(model, editor)))
    return _definition(model, scratch).replace("schema_check_scratch", declared.name)


def _definition(model, declared) -> str:
    with connection.cursor() as cursor:
        if isinstance(declared, models.CheckConstraint):
            cursor.execute(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint"
                " WHERE conname = %s AND conrelid = %s::regclass",
                [declared.name, model._meta.db_table],
            )
        else:
            cursor.execute("SELECT pg_get_indexdef(%s::regclass)", [declared.name])
        row = cursor.fetchone()
    assert row is not None, f"{declared.name} is declared on {model.__name__} but not in the db"
    return row[0]


def test_every_declared_index_and_constraint_is_in_the_database_as_declared():
    declared = list(_declared())
    names = {d.name for _, d in declared}
    # The ones once written in hand-made SQL are among them.
    assert {
        "accounts_in_account_11290f_idx",
        "trust_entry_seq_unique",
        "snapshot_account_as_of",
        "dashboards_account_name_idx",
        "dashboards_account_decay_idx",
    } <= names
    mismatches = []
    with connection.schema_editor(atomic=True) as editor:
        for model, item in declared:
            in_database = _definition(model, item)
            expected = _as_django_creates_it(model, item, editor)
            if in_database != expected:
                mismatches.append(f"{item.name}:\n  db:     {in_database}\n  model:  {expected}")
            with connection.cursor() as cursor:  # the scratch copy goes before the next one
                if isinstance(item, models.CheckConstraint):
                    cursor.execute(
                        f'ALTER TABLE "{model._meta.db_table}" DROP CONSTRAINT schema_check_scratch'
                    )
                else:
                    cursor.execute(
                        f'ALTER TABLE "{model._meta.db_table}" '
                        "DROP CONSTRAINT IF EXISTS schema_check_scratch"
                    )
                    cursor.execute("DROP INDEX IF EXISTS schema_check_scratch")
    assert not mismatches, "\n".join(mismatches)


SCRATCH_SCHEMA = "schema_check_models"


def _schema_objects(schema: str, tables: set[str]) -> Counter:
    """Every index and every check, foreign-key or exclusion constraint on `tables` in
    `schema`, as PostgreSQL defines it, without its name. (Unique and primary-key constraints
    are compared through their indexes: a UNIQUE constraint and a unique index reject the same
    rows, and the covering ledger and snapshot keys are constraints in the database where the
    model creates a bare unique index. A renamed field keeps the names of its indexes, which
    Django finds by column.)"""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.relname, i.relname, pg_get_indexdef(i.oid) FROM pg_index x"
            " JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid"
            " JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = %s",
            [schema],
        )
        indexes = [
            (table, "index " + definition.replace(name, "<name>").replace(f"{schema}.", ""))
            for table, name, definition in cursor.fetchall()
        ]
        cursor.execute(
            "SELECT t.relname, pg_get_constraintdef(k.oid) FROM pg_constraint k"
            " JOIN pg_class t ON t.oid = k.conrelid"
            " JOIN pg_namespace n ON n.oid = t.relnamespace"
            " WHERE n.nspname = %s AND k.contype IN ('c', 'f', 'x')",
            [schema],
        )
        constraints = [
            (table, "constraint " + definition.replace(f"{schema}.", ""))
            for table, definition in cursor.fetchall()
        ]
    return Counter(item for item in indexes + constraints if item[0] in tables)


def test_the_migrated_database_holds_exactly_the_indexes_and_constraints_the_models_create():
    """GIVEN the database the migrations built WHEN Django creates every model afresh in a
    scratch schema THEN both hold the same indexes and constraints on the project's tables:
    nothing a migration wrote or dropped by hand is unknown to the models."""
    tables = {
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label in PROJECT_APPS
    }
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_schema()")
            (migrated_schema,) = cursor.fetchone()
            cursor.execute(f"CREATE SCHEMA {SCRATCH_SCHEMA}")
            # The migrated schema second: tables go to the scratch one, while what extensions
            # installed there (pg_trgm's gin_trgm_ops) stays visible to the models' indexes.
            cursor.execute(f"SET LOCAL search_path TO {SCRATCH_SCHEMA}, {migrated_schema}")
        with connection.schema_editor(atomic=False) as editor:
            for model in apps.get_models():
                editor.create_model(model)
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL search_path TO {migrated_schema}")
        migrated = _schema_objects(migrated_schema, tables)
        declared = _schema_objects(SCRATCH_SCHEMA, tables)
        transaction.set_rollback(True)
    only_migrated = sorted((migrated - declared).elements())
    only_declared = sorted((declared - migrated).elements())
    assert not only_migrated and not only_declared, (
        "in the migrated database only:\n  "
        + "\n  ".join(f"{t}: {d}" for t, d in only_migrated)
        + "\nwhat the models create only:\n  "
        + "\n  ".join(f"{t}: {d}" for t, d in only_declared)
    )
