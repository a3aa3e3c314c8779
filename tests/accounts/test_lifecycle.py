"""Admins archive, restore and delete accounts through the API, by id and by external_id."""

import pytest
from django.db import DatabaseError, connection, transaction

from accounts.models import Account, Contact, Interaction, TrustEntry
from accounts.services import interaction_log, trust_entry_append
from accounts.services.lifecycle import account_delete
from core.models import AuditRecord
from healthscores.services import scorable_accounts
from success.models import Cta, PlanStep, SuccessPlan
from tests import factories
from tests.accounts.test_ledger_roles import app_role  # noqa: F401  (a fixture)
from tests.api.conftest import token_client


@pytest.fixture
def account(org):
    """csm_a1's account with a ledger (starting trust, an interaction), a contact, a CTA, a plan."""
    account = org.accounts["csm_a1"][0]
    contact = factories.ContactFactory(account=account, name="Dana Whitfield")
    trust_entry_append(account=account, points=10, reason="Starting trust", source="milestone")
    interaction_log(
        account=account, channel="call", category="value_adding", sentiment=1, contact=contact
    )
    factories.CtaFactory(account=account)
    plan = factories.SuccessPlanFactory(account=account)
    # A completed step points at the ladder it earned (a nullable link into the ledger).
    factories.PlanStepFactory(plan=plan, ladder_entry=TrustEntry.objects.filter(account=account)[0])
    return account


def test_delete_archives_the_account_out_of_every_book_and_run_keeping_its_history(org, account):
    """GIVEN an admin's token WHEN it DELETEs an account THEN the account is archived: out of
    the owner's list, 404 by id, out of score runs, listed under archived, ledger intact."""
    admin, owner = token_client(org.admin), token_client(org.csm_a1)
    response = admin.delete(f"/api/v1/accounts/{account.pk}/", HTTP_X_REQUEST_ID="req-archive-1")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["status"], body["changed"]) == (account.pk, "archived", True)
    assert body["archived_at"]

    listed = [row["id"] for row in owner.get("/api/v1/accounts/").json()["results"]]
    assert account.pk not in listed and org.accounts["csm_a1"][1].pk in listed
    assert owner.get(f"/api/v1/accounts/{account.pk}/").status_code == 404
    assert admin.get(f"/api/v1/accounts/{account.pk}/").status_code == 404
    archived = admin.get("/api/v1/accounts/archived/").json()["results"]
    assert [row["id"] for row in archived] == [account.pk] and archived[0]["archived_at"]
    assert not scorable_accounts(account.contract_start).filter(pk=account.pk).exists()
    assert TrustEntry.objects.filter(account=account).count() == 2
    assert Cta.objects.filter(account=account).exists()

    record = AuditRecord.objects.get()
    assert (record.action, record.target_type, record.target_id) == (
        "account.archived",
        "account",
        account.pk,
    )
    assert (record.actor, record.channel, record.request_id) == (org.admin, "api", "req-archive-1")
    assert record.token_id is not None


def test_archiving_again_changes_nothing_and_is_audited_once(org, account):
    admin = token_client(org.admin)
    first = admin.delete(f"/api/v1/accounts/external/{account.external_id}/").json()
    again = admin.delete(f"/api/v1/accounts/external/{account.external_id}/")
    assert again.status_code == 200
    assert again.json()["changed"] is False
    assert again.json()["archived_at"] == first["archived_at"]
    assert AuditRecord.objects.filter(action="account.archived").count() == 1


def test_restore_by_external_id_puts_the_account_back_in_its_owners_book(org, account):
    admin, owner = token_client(org.admin), token_client(org.csm_a1)
    admin.delete(f"/api/v1/accounts/{account.pk}/")
    response = admin.post(
        f"/api/v1/accounts/external/{account.external_id}/restore/", {}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["archived_at"] is None
    assert owner.get(f"/api/v1/accounts/{account.pk}/").status_code == 200
    again = admin.post(f"/api/v1/accounts/{account.pk}/restore/", {}, format="json")
    assert again.status_code == 200
    assert list(AuditRecord.objects.order_by("id").values_list("action", flat=True)) == [
        "account.archived",
        "account.restored",
    ]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/accounts/{pk}/?permanent=maybe", None),
        ("/api/v1/accounts/{pk}/restore/", {"why": "x"}),
    ],
)
def test_lifecycle_requests_with_bad_input_are_json_400s(org, account, path, body):
    admin = token_client(org.admin)
    url = path.format(pk=account.pk)
    response = admin.delete(url) if body is None else admin.post(url, body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]
    assert Account.objects.get(pk=account.pk).archived_at is None


@pytest.mark.django_db(transaction=True)
def test_permanent_delete_removes_the_account_and_its_whole_history(org, account):
    """GIVEN an account with ledger, interactions, contacts, CTAs and plans WHEN an admin
    DELETEs it by external_id with ?permanent=true THEN every row about it is gone (the
    append-only ledger too, on PostgreSQL, committed), other accounts keep theirs, and the audit
    record counts what went without naming the account."""
    other = org.accounts["csm_a1"][1]
    trust_entry_append(account=other, points=3, reason="Kept", source="manual")
    admin = token_client(org.admin)
    response = admin.delete(f"/api/v1/accounts/external/{account.external_id}/?permanent=true")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["changed"]) == ("deleted", True)
    assert body["counts"]["trustentry"] == 2
    assert body["counts"]["interaction"] == 1 and body["counts"]["contact"] == 1

    assert not Account.objects.filter(pk=account.pk).exists()
    assert not TrustEntry.objects.filter(account_id=account.pk).exists()
    assert not Interaction.objects.filter(account_id=account.pk).exists()
    assert not Contact.objects.filter(account_id=account.pk).exists()
    assert not Cta.objects.filter(account_id=account.pk).exists()
    assert not SuccessPlan.objects.filter(account_id=account.pk).exists()
    assert not PlanStep.objects.filter(plan__account_id=account.pk).exists()
    assert TrustEntry.objects.filter(account=other).count() == 1

    deleted = AuditRecord.objects.get(action="account.deleted")
    assert deleted.target_id == account.pk and deleted.counts == body["counts"]
    assert account.name not in str(deleted.counts) and account.external_id not in str(
        AuditRecord.objects.values_list()
    )
    again = admin.delete(f"/api/v1/accounts/{account.pk}/?permanent=true")
    assert again.status_code == 404
    assert again.json()["code"] == "not_found"


@pytest.mark.django_db(transaction=True)
def test_the_app_role_removes_a_ledger_only_whole_with_its_archived_account(org, app_role):  # noqa: F811
    """GIVEN the runtime role (no DELETE on the ledger) WHEN it deletes an entry directly, or
    purges the ledger of an account that is not archived THEN PostgreSQL refuses; WHEN it
    deletes an account through the service THEN the account goes with its whole ledger."""
    account = org.accounts["csm_a2"][0]
    trust_entry_append(account=account, points=7, reason="kickoff", source="manual")
    for statement, refusal in [
        ("DELETE FROM accounts_trustentry", "permission denied"),
        (f"SELECT accounts_account_ledger_purge({account.pk})", "not archived"),
    ]:
        with (
            pytest.raises(DatabaseError, match=refusal),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(f'SET LOCAL ROLE "{app_role}"')
            cursor.execute(statement)
    assert TrustEntry.objects.filter(account=account).count() == 1

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f'SET LOCAL ROLE "{app_role}"')
        counts = account_delete(account=account, actor=org.admin)
    assert counts["trustentry"] == 1
    assert not TrustEntry.objects.filter(account_id=account.pk).exists()
    assert not Account.objects.filter(pk=account.pk).exists()


def test_a_request_that_loses_a_race_to_a_permanent_delete_gets_a_json_404(org, account):
    """GIVEN the view found the account WHEN a concurrent delete removed it before the service
    locked the row THEN the answer is the API's 404, not a 500."""
    from unittest import mock

    from accounts.api.views import lifecycle

    real = lifecycle.account_delete

    def gone_first(*, account, actor, request=None):
        Account.objects.filter(pk=account.pk).update(archived_at="2026-01-01T00:00:00Z")
        real(account=Account.objects.get(pk=account.pk), actor=actor)
        return real(account=account, actor=actor, request=request)

    with mock.patch.object(lifecycle, "account_delete", gone_first):
        response = token_client(org.admin).delete(f"/api/v1/accounts/{account.pk}/?permanent=true")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
