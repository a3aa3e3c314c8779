"""Indexes on accounts_account that keep the dashboards' sorted, limited lists index-backed.

The quick-log account menu sorts by name, and the decay lists (home attention, portfolio watchlist) read accounts decaying or in decay
worst first.
"""

from django.db import migrations

INDEXES = [
    (
        "dashboards_account_name_idx",
        "ON accounts_account (name)",
    ),
    (
        "dashboards_account_decay_idx",
        "ON accounts_account (decay_score DESC NULLS LAST, arr DESC, name)"
        " WHERE decay_status IN ('decaying', 'in_decay')",
    ),
]


class Migration(migrations.Migration):
    dependencies = [
        ("dashboards", "0001_initial"),
        ("accounts", "0004_default_trust_rules"),
    ]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE INDEX IF NOT EXISTS {name} {definition}",
            reverse_sql=f"DROP INDEX IF EXISTS {name}",
        )
        for name, definition in INDEXES
    ]
