"""The goodwill ledger is append-only in the database itself.

A trigger rejects UPDATE, DELETE and TRUNCATE on accounts_trustentry, so even raw SQL cannot
rewrite history. The only way around it is a deliberate whole-database `manage.py flush`
(see accounts/management/commands/flush.py), which sets `csplatform.ledger_maintenance`
for its own session.
"""

from django.db import migrations

FORWARD = """
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

CREATE TRIGGER accounts_trustentry_no_update_delete
    BEFORE UPDATE OR DELETE ON accounts_trustentry
    FOR EACH ROW EXECUTE FUNCTION accounts_trustentry_append_only();

CREATE TRIGGER accounts_trustentry_no_truncate
    BEFORE TRUNCATE ON accounts_trustentry
    FOR EACH STATEMENT EXECUTE FUNCTION accounts_trustentry_append_only();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS accounts_trustentry_no_truncate ON accounts_trustentry;
DROP TRIGGER IF EXISTS accounts_trustentry_no_update_delete ON accounts_trustentry;
DROP FUNCTION IF EXISTS accounts_trustentry_append_only();
"""


def forward(apps, schema_editor):
    schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_initial")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
