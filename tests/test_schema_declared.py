"""The schema is declared on the models: every index and constraint a model's Meta names exists
in the migrated database exactly as Django would create it from that declaration.

Covering (INCLUDE) and partial indexes were once written by hand in migrations while the models
declared plainer ones; a model and its table that disagree fail here.
"""

import copy

import pytest
from django.apps import apps
from django.db import connection, models

pytestmark = pytest.mark.django_db

PROJECT_APPS = {
    "core",
    "users",
    "accounts",
    "scorecards",
    "healthscores",
    "success",
    "dashboards",
    "integrations",
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
