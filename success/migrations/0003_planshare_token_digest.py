"""Name the plan share link's fields as on the scorecard share link (`token_digest`).

A column rename: every stored digest is kept, so links already sent keep working.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("success", "0002_default_rules"),
    ]

    operations = [
        migrations.RenameField(
            model_name="planshare",
            old_name="token_hash",
            new_name="token_digest",
        ),
    ]
