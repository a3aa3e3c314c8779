"""An account's ledger can leave the database only whole, with its archived account; and the
ledger stops holding copies of interaction summaries (free text that can name a person).

1. `accounts_account_ledger_purge(account_id)`: a SECURITY DEFINER function (it runs as the
   table owner that ran this migration) that deletes every ledger entry of one *archived*
   account, for `accounts.services.lifecycle.account_delete`, which deletes the account in the
   same transaction. The app's runtime role still has no UPDATE/DELETE on the ledger and
   cannot lift the guard itself (migration 0009): it can drop an archived account's whole
   history through this function, never edit or remove single entries.
2. The trigger lets DELETE through only under that function's maintenance flag, as the owner.
3. Interaction entries used to end their reason with the interaction's summary; new ones do
   not (accounts.services.interactions._reason), and this strips the copies from existing
   entries once, as the owner with the trigger paused for the statement, so that erasing a
   contact (accounts.services.privacy) never needs to edit the ledger. The summary itself
   stays on the interaction, which the entry links to.
"""

from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION accounts_trustentry_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('TRUNCATE', 'DELETE')
       AND current_setting('csplatform.ledger_maintenance', true) = 'on'
       AND pg_has_role(
           current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER'
       ) THEN
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'the goodwill ledger is append-only: % on accounts_trustentry is not allowed; append a reversing entry instead', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION accounts_account_ledger_purge(target bigint) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    removed integer;
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM accounts_account WHERE id = target AND archived_at IS NOT NULL
    ) THEN
        RAISE EXCEPTION 'account % is not archived: only an archived account''s ledger can be removed, whole, with the account', target
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    PERFORM set_config('csplatform.ledger_maintenance', 'on', true);
    DELETE FROM accounts_trustentry WHERE account_id = target;
    GET DIAGNOSTICS removed = ROW_COUNT;
    PERFORM set_config('csplatform.ledger_maintenance', 'off', true);
    RETURN removed;
END;
$$;

ALTER TABLE accounts_trustentry DISABLE TRIGGER accounts_trustentry_no_update_delete;
UPDATE accounts_trustentry
   SET reason = regexp_replace(reason, '(sentiment [+-][0-9](, severity [0-9])?\)): .*$', '\1')
 WHERE source = 'interaction'
   AND reason ~ 'sentiment [+-][0-9](, severity [0-9])?\): ';
ALTER TABLE accounts_trustentry ENABLE TRIGGER accounts_trustentry_no_update_delete;
"""

BACKWARD = """
DROP FUNCTION IF EXISTS accounts_account_ledger_purge(bigint);
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


def forward(apps, schema_editor):
    schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0013_archive_and_erasure")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
