"""The indexes the nightly run reads an account's interactions and ledger
through also carry the columns it aggregates (INCLUDE), so it reads them without visiting the
table: index-only scans instead of one heap page per row once an account's rows are spread
over months of pages, as they are in a live system.

- interactions by (account, occurred_at DESC) also carry category, minutes, work type,
  sentiment and id (the 90-day aggregates and the last-N mix);
- the ledger's unique (account, seq) also carries points and occurred_at (balance, burn).

The models kept declaring the plain index and constraint (same names, same keys) until
0011 declared these covering ones on them.
"""

from django.db import migrations

INTERACTION_INDEX = "accounts_in_account_11290f_idx"
LEDGER_KEY = "trust_entry_seq_unique"


def _swap(covering: bool):
    def run(apps, schema_editor):
        carried = " INCLUDE (category, minutes, work_type, sentiment, id)" if covering else ""
        schema_editor.execute(f"DROP INDEX {INTERACTION_INDEX}")
        schema_editor.execute(
            f"CREATE INDEX {INTERACTION_INDEX} ON accounts_interaction "
            f"(account_id, occurred_at DESC){carried}"
        )
        carried = " INCLUDE (points, occurred_at)" if covering else ""
        schema_editor.execute(f"ALTER TABLE accounts_trustentry DROP CONSTRAINT {LEDGER_KEY}")
        schema_editor.execute(
            f"ALTER TABLE accounts_trustentry ADD CONSTRAINT {LEDGER_KEY} "
            f"UNIQUE (account_id, seq){carried}"
        )

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_drop_more_redundant_indexes"),
    ]

    operations = [migrations.RunPython(_swap(covering=True), _swap(covering=False))]
