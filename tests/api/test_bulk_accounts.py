"""Bulk account upsert: up to 1,000 rows by external_id, per-row errors, the rules of one PUT."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Account, TrustEntry
from tests import factories

from .conftest import token_client

URL = "/api/v1/accounts/bulk/"


def test_new_accounts_are_created_and_known_ones_change_only_the_fields_named(api, org):
    """GIVEN one of csm_a1's accounts WHEN a batch creates two and updates it THEN 200, the
    new ones owned by the caller with their starting trust, the update touching only seats."""
    mine = org.accounts["csm_a1"][0]
    mine.external_id, mine.seats = "crm-mine", 3
    mine.save()
    rows = [
        {"external_id": "crm-new-1", "name": "New One", "seats": 40, "employee_count": 250},
        {"external_id": "crm-new-2", "name": "New Two", "contract_start": "2025-04-01"},
        {"external_id": "crm-mine", "seats": 12},
    ]
    response = api.post(URL, {"rows": rows}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json() == {"created": 2, "updated": 1, "errors": []}
    one = Account.objects.get(external_id="crm-new-1")
    assert (one.owner, one.seats, one.employee_count) == (org.csm_a1, 40, 250)
    assert TrustEntry.objects.filter(account=one).count() == 1
    opening = TrustEntry.objects.get(account__external_id="crm-new-2")
    assert opening.occurred_at.date() == date(2025, 4, 1)  # dated at the contract start
    mine.refresh_from_db()
    assert (mine.seats, mine.name) == (12, org.accounts["csm_a1"][0].name)


def test_rows_that_cannot_be_written_are_reported_by_index_and_the_rest_written(api, org):
    """GIVEN rows for another CSM's account, a new account without a name, an owner the
    caller may not name, an unknown segment and a repeated external_id WHEN posted THEN 207,
    each named by index and field, the other CSM's account unchanged, the good row written."""
    theirs = org.accounts["csm_b1"][0]
    theirs.external_id = "crm-theirs"
    theirs.save()
    rows = [
        {"external_id": "crm-theirs", "seats": 1},
        {"external_id": "crm-nameless", "seats": 5},
        {"external_id": "crm-owner", "name": "X", "owner": org.csm_b1.pk},
        {"external_id": "crm-segment", "name": "Y", "segment": 999_999},
        {"external_id": "crm-good", "name": "Good"},
        {"external_id": "crm-good", "name": "Good again"},
    ]
    response = api.post(URL, {"rows": rows}, format="json")
    assert response.status_code == 207
    body = response.json()
    assert (body["created"], body["updated"]) == (1, 0)
    assert [(e["index"], sorted(e["errors"])) for e in body["errors"]] == [
        (0, ["external_id"]),
        (1, ["name"]),
        (2, ["owner"]),
        (3, ["segment"]),
        (5, ["external_id"]),
    ]
    theirs.refresh_from_db()
    assert theirs.seats != 1
    assert Account.objects.get(external_id="crm-good").name == "Good"


@pytest.mark.parametrize(
    "change,field",
    [
        ({"seats": -1}, "seats"),
        ({"seats": "12"}, "seats"),
        ({"mrr": "-5.00"}, "mrr"),
        ({"stage": "sleeping"}, "stage"),
        ({"contract_start": "2025-13-01"}, "contract_start"),
        ({"external_id": ""}, "external_id"),
        ({"zz_unknown": 1}, "zz_unknown"),
    ],
)
def test_each_malformed_field_rejects_the_request_naming_row_and_field(api, org, change, field):
    rows = [{"external_id": "fine", "name": "Fine"}, {"external_id": "bad", "name": "B", **change}]
    response = api.post(URL, {"rows": rows}, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]["rows"]["1"]) == [field]
    assert not Account.objects.filter(external_id__in=["fine", "bad"]).exists()


def test_a_row_without_external_id_is_malformed(api, org):
    response = api.post(URL, {"rows": [{"name": "No key"}]}, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]["rows"]["0"]) == ["external_id"]


def test_the_envelope_is_checked_and_bulk_needs_the_ingest_scope(api, org):
    assert api.post(URL, {"rows": "nope"}, format="json").status_code == 400
    too_many = [{"external_id": f"x-{i}", "name": "X"} for i in range(1001)]
    assert api.post(URL, {"rows": too_many}, format="json").status_code == 400
    writer = token_client(org.csm_a1, scopes=["read", "write"])
    assert writer.post(URL, {"rows": []}, format="json").status_code == 403


def test_a_replayed_idempotency_key_returns_the_first_answer(api, org):
    rows = [{"external_id": "crm-idem", "name": "Once"}]
    first = api.post(URL, {"rows": rows}, format="json", HTTP_IDEMPOTENCY_KEY="accounts-1")
    again = api.post(URL, {"rows": rows}, format="json", HTTP_IDEMPOTENCY_KEY="accounts-1")
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() == {"created": 1, "updated": 0, "errors": []}
    changed = [{"external_id": "crm-idem", "name": "Twice"}]
    refused = api.post(URL, {"rows": changed}, format="json", HTTP_IDEMPOTENCY_KEY="accounts-1")
    assert refused.status_code == 409
    assert Account.objects.filter(external_id="crm-idem").count() == 1


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_thousand_accounts_land_in_a_bounded_number_of_queries(org):
    """1,000 new accounts, then a re-send that updates them: set-based, no query per row."""
    admin = token_client(org.admin)
    segment = factories.SegmentFactory()
    rows = [
        {
            "external_id": f"bulk-{i}",
            "name": f"Bulk {i}",
            "segment": segment.pk,
            "owner": org.csm_a1.pk,
            "seats": i % 50 + 1,
            "contract_start": "2025-01-01",
            "stage": "adoption",
        }
        for i in range(1000)
    ]
    with CaptureQueriesContext(connection) as queries:
        response = admin.post(URL, {"rows": rows}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["created"] == 1000
    # auth, the lookups, the insert, the starting trust (locks, one insert, balances), the
    # ICP refresh and the between-night rescore of the touched accounts in chunks (~110
    # measured, most of it the rescore): none per row.
    assert len(queries) < 150
    assert TrustEntry.objects.filter(account__external_id__startswith="bulk-").count() == 1000
    again = admin.post(URL, {"rows": [{**r, "seats": 7} for r in rows]}, format="json").json()
    assert (again["created"], again["updated"]) == (0, 1000)
    assert set(Account.objects.filter(segment=segment).values_list("seats", flat=True)) == {7}


@pytest.mark.time_machine("2026-06-15 12:00:00+00:00")
def test_a_batch_moving_contract_starts_redates_only_quiet_ledgers_without_a_query_each(api, org):
    """GIVEN accounts of csm_a1 opened today, half with a later ledger entry WHEN a batch moves
    every contract start THEN the quiet ones' opening moves to the new start, the busy ones'
    stays (their history already happened), and telling them apart costs no query per account."""
    from accounts.services import trust_entry_append

    accounts = factories.AccountFactory.create_batch(
        8, owner=org.csm_a1, stage="adoption", contract_start=None
    )
    for i, account in enumerate(accounts):
        account.external_id = f"move-{i}"
        account.save()
    opened = api.post(
        URL, {"rows": [{"external_id": a.external_id, "seats": 2} for a in accounts]}, format="json"
    )
    assert opened.json() == {"created": 0, "updated": 8, "errors": []}  # starting trust today
    for account in accounts[4:]:
        trust_entry_append(account=account, points=3, reason="QBR went well", source="manual")

    def post(rows):
        with CaptureQueriesContext(connection) as queries:
            response = api.post(URL, {"rows": rows}, format="json")
        assert response.status_code == 200, response.json()
        return len(queries)

    busy = accounts[4:]
    seats_only = post([{"external_id": a.external_id, "seats": 5} for a in busy])
    moved = post([{"external_id": a.external_id, "contract_start": "2025-03-01"} for a in busy])
    assert moved - seats_only <= 2  # one check for the batch, not one per account

    post([{"external_id": a.external_id, "contract_start": "2025-03-01"} for a in accounts[:4]])
    for account in accounts:
        opening = (
            TrustEntry.objects.filter(account=account, source="milestone").order_by("-seq").first()
        )
        assert opening.occurred_at.date() == (
            date(2025, 3, 1) if account in accounts[:4] else date(2026, 6, 15)
        )
