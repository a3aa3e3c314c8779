# IdempotencyRecord now belongs to core (core/migrations/0001_initial.py takes the table over
# unchanged): forget it here without dropping anything.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0001_initial"),
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="IdempotencyRecord")],
            database_operations=[],
        ),
    ]
