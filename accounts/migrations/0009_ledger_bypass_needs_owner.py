"""The append-only ledger's maintenance bypass needs the table owner (or a superuser).

Before, any session could lift it with `SET LOCAL csplatform.ledger_maintenance = 'on'`. Now
the setting only counts when the current role owns accounts_trustentry: the role that runs
migrations, and `manage.py flush` run by it. The app runs as a role that owns nothing
(`manage.py grant_app_role`, OPERATIONS.md), so it can neither lift the bypass nor disable the
trigger.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION accounts_trustentry_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'TRUNCATE'
       AND current_setting('csplatform.ledger_maintenance', true) = 'on'
       AND pg_has_role(
           current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER'
       ) THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'the goodwill ledger is append-only: % on accounts_trustentry is not allowed; append a reversing entry instead', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

BACKWARD = """
CREATE OR REPLACE FUNCTION accounts_trustentry_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'TRUNCATE'
       AND current_setting('csplatform.ledger_maintenance', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'the goodwill ledger is append-only: % on accounts_trustentry is not allowed; append a reversing entry instead', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def forward(apps, schema_editor):
    schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0008_trustentry_corrects")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
