"""Drop indexes that only slow down writes (each bulk interaction insert maintained them).

- `account_id` alone on interactions, ledger entries and usage metrics: the composite
  (account, -occurred_at), (account, seq) / (account, occurred_at) and (account, metric, date)
  indexes start with account_id and serve the same lookups. Only the index goes: the foreign
  key constraints stay as they are (a plain AlterField would drop and re-validate them).
- The `varchar_pattern_ops` copy of the interaction external_id index that
  Django adds for LIKE on unique CharFields: nothing queries interaction external ids with
  LIKE, and field options cannot turn it off for a unique field.

The index names are the ones Django generated in 0001/0002 (derived from the table and column
names, so the same on every installation).
"""

import django.db.models.deletion
from django.db import migrations, models

ACCOUNT_ID_INDEXES = [
    ("accounts_interaction", "accounts_interaction_account_id_4406c825"),
    ("accounts_trustentry", "accounts_trustentry_account_id_5fda64a0"),
    ("accounts_usagemetric", "accounts_usagemetric_account_id_08b5a841"),
]
EXTERNAL_ID_LIKE = "accounts_interaction_external_id_0a9403cb_like"


def drop_like_index(apps, schema_editor):
    schema_editor.execute(f'DROP INDEX IF EXISTS "{EXTERNAL_ID_LIKE}"')


def restore_like_index(apps, schema_editor):
    schema_editor.execute(
        f'CREATE INDEX IF NOT EXISTS "{EXTERNAL_ID_LIKE}" '
        f'ON "accounts_interaction" ("external_id" varchar_pattern_ops)'
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_default_trust_rules"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="interaction",
                    name="account",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="interactions",
                        to="accounts.account",
                    ),
                ),
                migrations.AlterField(
                    model_name="trustentry",
                    name="account",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="trust_entries",
                        to="accounts.account",
                    ),
                ),
                migrations.AlterField(
                    model_name="usagemetric",
                    name="account",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="usage_metrics",
                        to="accounts.account",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    sql=f'DROP INDEX IF EXISTS "{name}"',
                    reverse_sql=f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ("account_id")',
                )
                for table, name in ACCOUNT_ID_INDEXES
            ],
        ),
        migrations.RunPython(drop_like_index, restore_like_index, elidable=False),
    ]
