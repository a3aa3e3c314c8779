"""Interactions' external_id is unique through a `UniqueConstraint` in Meta, not `unique=True`.

With `unique=True` Django also wants a `varchar_pattern_ops` (LIKE) copy of the index, which
0005 dropped by hand because nothing matches interaction external ids with LIKE and every bulk
insert maintained it; the model now says what the table holds. The constraint keeps the name
PostgreSQL gave the column's UNIQUE, so the database already holds exactly it: this migration
changes only Django's state (tests/test_schema_declared.py compares the two).
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0014_ledger_purge_with_account"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="interaction",
                    name="external_id",
                    field=models.CharField(blank=True, max_length=100, null=True),
                ),
                migrations.AddConstraint(
                    model_name="interaction",
                    constraint=models.UniqueConstraint(
                        fields=("external_id",), name="accounts_interaction_external_id_key"
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
