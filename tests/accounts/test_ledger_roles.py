"""On PostgreSQL the app's runtime role cannot bend the ledger: no bypass, no trigger switch.

The test database belongs to a superuser (the migration owner here); each test creates a plain
role for the app, grants it what `manage.py grant_app_role` grants, and acts as it with
`SET LOCAL ROLE`, exactly as a web process logged in as that role would.
"""

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from accounts.models import EntrySource, TrustEntry
from accounts.services import trust_entry_append
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def app_role():
    """A LOGIN-less plain role named after this test database (roles are cluster-wide)."""
    role = f"{connection.settings_dict['NAME']}_app"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_roles WHERE rolname = %s",
            [role],
        )
        if cursor.fetchone():
            cursor.execute(f'DROP OWNED BY "{role}"')
            cursor.execute(f'DROP ROLE "{role}"')
        cursor.execute(f'CREATE ROLE "{role}" NOLOGIN')
    call_command("grant_app_role", role, stdout=open("/dev/null", "w"))  # noqa: SIM115
    yield role
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")
        cursor.execute(f'DROP OWNED BY "{role}"')
        cursor.execute(f'DROP ROLE "{role}"')


def as_role(role: str, statements: list[str]) -> None:
    """Run `statements` in one transaction as `role`; rolled back whatever happens."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f'SET LOCAL ROLE "{role}"')
        for statement in statements:
            cursor.execute(statement)


def test_the_app_role_appends_to_the_ledger_through_the_services(app_role):
    account = factories.AccountFactory()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f'SET LOCAL ROLE "{app_role}"')
        trust_entry_append(account=account, points=6, reason="kickoff", source=EntrySource.MANUAL)
    account.refresh_from_db()
    assert account.goodwill_balance == 6 and TrustEntry.objects.count() == 1


@pytest.mark.parametrize(
    ("statements", "refusal"),
    [
        (
            [
                "SET LOCAL csplatform.ledger_maintenance = 'on'",
                "TRUNCATE accounts_trustentry CASCADE",
            ],
            "permission denied",
        ),
        (["ALTER TABLE accounts_trustentry DISABLE TRIGGER USER"], "must be owner"),
        (["ALTER TABLE accounts_trustentry DISABLE TRIGGER ALL"], "must be owner"),
        (["DROP TRIGGER accounts_trustentry_no_update_delete ON accounts_trustentry"], "owner"),
        (["UPDATE accounts_trustentry SET points = 100"], "permission denied"),
        (["DELETE FROM accounts_trustentry"], "permission denied"),
        (["SET session_replication_role = replica"], "permission denied"),
    ],
)
def test_the_app_role_cannot_lift_the_append_only_guard(app_role, statements, refusal):
    """GIVEN a committed entry WHEN the app's role tries the maintenance bypass, switching the
    trigger off, or rewriting rows THEN PostgreSQL refuses and the entry is untouched."""
    account = factories.AccountFactory()
    trust_entry_append(account=account, points=5, reason="kickoff", source=EntrySource.MANUAL)
    with pytest.raises(DatabaseError, match=refusal):
        as_role(app_role, statements)
    entry = TrustEntry.objects.get()
    assert (entry.points, entry.balance_after) == (5, 5)


def test_the_maintenance_setting_is_ignored_for_a_role_that_does_not_own_the_ledger(app_role):
    """GIVEN a non-owner role that was (wrongly) granted TRUNCATE WHEN it sets the maintenance
    flag and truncates THEN the trigger still refuses: only the owner may use the bypass."""
    account = factories.AccountFactory()
    trust_entry_append(account=account, points=5, reason="kickoff", source=EntrySource.MANUAL)
    with connection.cursor() as cursor:
        cursor.execute(f'GRANT TRUNCATE ON accounts_trustentry TO "{app_role}"')
    with pytest.raises(DatabaseError, match="append-only"):
        as_role(
            app_role,
            [
                "SET LOCAL csplatform.ledger_maintenance = 'on'",
                "TRUNCATE accounts_trustentry CASCADE",
            ],
        )
    assert TrustEntry.objects.count() == 1


def test_granting_refuses_a_role_that_could_disable_the_trigger():
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        (owner,) = cursor.fetchone()
    with pytest.raises(CommandError, match="superuser or a member"):
        call_command("grant_app_role", owner)
    with pytest.raises(CommandError, match="does not exist"):
        call_command("grant_app_role", "no_such_role_for_csplatform")
