"""Drop three more indexes that cost every write and serve no read.

- Ledger entries' (account, occurred_at): every per-account read orders by seq and uses the
  unique (account, seq) index; one account's entries are few enough to filter by date. Each
  bulk interaction append inserted into it at a random leaf page.
- Accounts' `segment` index declared in Meta duplicated the segment foreign key's own index.
- Accounts' `owner_id` foreign-key index: the (owner, name) index leads with owner_id. As in
  0005, only the index goes and the foreign key constraint stays (an AlterField would drop and
  re-validate it). The nightly run rewrites every account's
  health fields, so each index on accounts is maintained 100,000 times a night.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

OWNER_INDEX = "accounts_account_owner_id_7b1fcbd0"


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_drop_redundant_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(model_name="account", name="accounts_ac_segment_ed9980_idx"),
        migrations.RemoveIndex(model_name="trustentry", name="accounts_tr_account_840fc3_idx"),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="account",
                    name="owner",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        help_text="The owning CSM.",
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="owned_accounts",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    sql=f'DROP INDEX IF EXISTS "{OWNER_INDEX}"',
                    reverse_sql=(
                        f'CREATE INDEX IF NOT EXISTS "{OWNER_INDEX}" '
                        'ON "accounts_account" ("owner_id")'
                    ),
                ),
            ],
        ),
    ]
