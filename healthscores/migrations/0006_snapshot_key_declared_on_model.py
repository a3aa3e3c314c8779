"""The model now declares the snapshot key's INCLUDE (overall), which 0003 wrote in SQL.

The database already holds exactly this key (tests/test_schema_declared.py compares it with what
Django would create from the model), so only Django's state changes: rebuilding the index of the
largest table to arrive at the same definition would block the nightly run for nothing. (It
stays a UNIQUE constraint backed by that index, where Django would create a bare unique index:
the same rows are rejected and `ON CONFLICT (account_id, as_of)` infers either. A later migration
that removes it must drop the constraint.)
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("healthscores", "0005_score_backtest"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveConstraint(
                    model_name="healthsnapshot",
                    name="snapshot_account_as_of",
                ),
                migrations.AddConstraint(
                    model_name="healthsnapshot",
                    constraint=models.UniqueConstraint(
                        fields=("account", "as_of"),
                        include=("overall",),
                        name="snapshot_account_as_of",
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
