"""The models now declare the indexes earlier migrations wrote in hand-made SQL.

- interactions' (account, occurred_at DESC) index INCLUDE (category, minutes, work_type,
  sentiment, id) and the ledger's unique (account, seq) INCLUDE (points, occurred_at), built
  by 0007;
- accounts' `name` index and the partial decay-list index, built by dashboards/0002.

The database already holds exactly these objects (tests/test_schema_declared.py compares each
with what Django would create from the model), so this migration changes only Django's state:
rebuilding the largest indexes of a live system to arrive at the same definitions would lock
the tables for nothing. (The ledger key stays a UNIQUE constraint backed by that index, where
Django would create a bare unique index: the same rows are rejected and `ON CONFLICT
(account_id, seq)` infers either. A later migration that removes it must drop the constraint.)

What stays hand-written: the ledger's append-only trigger (0003; Django has no triggers), and
0005/0006, which drop foreign-key and LIKE indexes the models already leave out (`db_index=False`)
without the drop-and-revalidate of the constraints that AlterField would do.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0010_saved_views"),
        ("dashboards", "0002_dashboard_sort_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveConstraint(
                    model_name="trustentry",
                    name="trust_entry_seq_unique",
                ),
                migrations.AddConstraint(
                    model_name="trustentry",
                    constraint=models.UniqueConstraint(
                        fields=("account", "seq"),
                        include=("points", "occurred_at"),
                        name="trust_entry_seq_unique",
                    ),
                ),
                migrations.RemoveIndex(
                    model_name="interaction",
                    name="accounts_in_account_11290f_idx",
                ),
                migrations.AddIndex(
                    model_name="interaction",
                    index=models.Index(
                        fields=["account", "-occurred_at"],
                        include=("category", "minutes", "work_type", "sentiment", "id"),
                        name="accounts_in_account_11290f_idx",
                    ),
                ),
                migrations.AddIndex(
                    model_name="account",
                    index=models.Index(fields=["name"], name="dashboards_account_name_idx"),
                ),
                migrations.AddIndex(
                    model_name="account",
                    index=models.Index(
                        models.OrderBy(models.F("decay_score"), descending=True, nulls_last=True),
                        models.OrderBy(models.F("arr"), descending=True),
                        models.F("name"),
                        condition=models.Q(("decay_status__in", ["decaying", "in_decay"])),
                        name="dashboards_account_decay_idx",
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
