"""Indexes on accounts_account that keep the dashboards' sorted, limited lists index-backed.

PostgreSQL only (SQLite test databases are small): the quick-log account menu sorts by name,
and the decay lists (home attention, portfolio watchlist) read accounts decaying or in decay
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


class PostgresOnlySQL(migrations.RunSQL):
    """RunSQL that does nothing on other databases."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [
        ("dashboards", "0001_initial"),
        ("accounts", "0004_default_trust_rules"),
    ]

    operations = [
        PostgresOnlySQL(
            sql=f"CREATE INDEX IF NOT EXISTS {name} {definition}",
            reverse_sql=f"DROP INDEX IF EXISTS {name}",
        )
        for name, definition in INDEXES
    ]
