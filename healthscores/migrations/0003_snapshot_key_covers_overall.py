"""The (account, as_of) key's index also carries `overall` (INCLUDE).

The nightly run reads 30 days of scores per account for the trend, and the scores 7 and 30
days back for the deltas: from this index alone, instead of one wide snapshot row (about
1 KB, often on its own page) per account and day. (The model declares the covering key since
0006.)
"""

from django.db import migrations

TABLE = "healthscores_healthsnapshot"
NAME = "snapshot_account_as_of"


def _swap(include: bool):
    def run(apps, schema_editor):
        covering = " INCLUDE (overall)" if include else ""
        schema_editor.execute(f"ALTER TABLE {TABLE} DROP CONSTRAINT {NAME}")
        schema_editor.execute(
            f"ALTER TABLE {TABLE} ADD CONSTRAINT {NAME} UNIQUE (account_id, as_of){covering}"
        )

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("healthscores", "0002_snapshot_account_index_from_unique"),
    ]

    operations = [migrations.RunPython(_swap(include=True), _swap(include=False))]
