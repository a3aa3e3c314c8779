"""Bulk subscription upsert: up to 1,000 rows, by external_id or account+product+start_date,
per-row errors, MRR/ARR following the active subscriptions."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Account, Subscription
from tests import factories

from .conftest import token_client

URL = "/api/v1/subscriptions/bulk/"


def _row(account, product="Platform", start="2025-01-01", mrr="1000.00", **extra):
    return {
        "account_external_id": account.external_id,
        "product": product,
        "start_date": start,
        "mrr": mrr,
        **extra,
    }


def test_valid_rows_are_written_and_bad_rows_reported_by_index(api, org):
    """GIVEN four rows: two good, one with an end before its start, one for another CSM's
    account WHEN posted THEN 207, the two good ones stored, the others named by index, and
    the account's MRR is the sum of its active subscriptions."""
    mine, theirs = org.accounts["csm_a1"][0], org.accounts["csm_b1"][0]
    rows = [
        _row(mine, external_id="sub-1", mrr="1500.50"),
        _row(mine, "Add-on", start="2025-06-01", end_date="2025-01-01"),
        _row(theirs, external_id="sub-3"),
        _row(mine, "Analytics", start="2025-03-01", mrr="250"),
    ]
    response = api.post(URL, {"rows": rows}, format="json")
    assert response.status_code == 207
    body = response.json()
    assert (body["created"], body["updated"]) == (2, 0)
    assert [(e["index"], sorted(e["errors"])) for e in body["errors"]] == [
        (1, ["end_date"]),
        (2, ["account"]),
    ]
    assert set(Subscription.objects.filter(account=mine).values_list("product", flat=True)) == {
        "Platform",
        "Analytics",
    }
    assert not Subscription.objects.filter(account=theirs).exists()
    mine.refresh_from_db()
    assert mine.mrr == Decimal("1750.50") and mine.arr == Decimal("21006.00")


def test_rows_upsert_by_external_id_or_by_account_product_and_start_date(api, org):
    mine = org.accounts["csm_a1"][0]
    first = [_row(mine, external_id="sub-1"), _row(mine, "Seats", start="2025-02-01", mrr="10")]
    assert api.post(URL, {"rows": first}, format="json").status_code == 200
    again = [
        _row(mine, "Platform Pro", external_id="sub-1", mrr="1200"),
        _row(mine, "Seats", start="2025-02-01", mrr="20", end_date="2025-12-31"),
    ]
    response = api.post(URL, {"rows": again}, format="json")
    assert response.status_code == 200
    assert (response.json()["created"], response.json()["updated"]) == (0, 2)
    assert Subscription.objects.get(external_id="sub-1").product == "Platform Pro"
    seats = Subscription.objects.get(account=mine, product="Seats")
    assert (seats.mrr, str(seats.end_date)) == (Decimal("20.00"), "2025-12-31")
    assert Subscription.objects.filter(account=mine).count() == 2


@pytest.mark.parametrize(
    "change,field",
    [
        ({"mrr": "-1"}, "mrr"),
        ({"mrr": 12.5}, "mrr"),
        ({"mrr": "12.345"}, "mrr"),
        ({"mrr": True}, "mrr"),
        ({"start_date": "2025-02-30"}, "start_date"),
        ({"product": ""}, "product"),
        ({"product": "x" * 101}, "product"),
        ({"end_date": 20250101}, "end_date"),
        ({"external_id": "e" * 101}, "external_id"),
        ({"zz_unknown": 1}, "zz_unknown"),
    ],
)
def test_each_malformed_field_rejects_the_request_naming_row_and_field(api, org, change, field):
    mine = org.accounts["csm_a1"][0]
    rows = [_row(mine, external_id="fine"), {**_row(mine), **change}]
    response = api.post(URL, {"rows": rows}, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]["rows"]["1"]) == [field]
    assert not Subscription.objects.exists()


def test_a_batch_naming_one_subscription_twice_or_another_accounts_external_id_is_refused(api, org):
    mine, other = org.accounts["csm_a1"]
    factories.SubscriptionFactory(account=other, external_id="taken")
    rows = [
        _row(mine, external_id="dup"),
        _row(mine, external_id="dup", mrr="5"),
        _row(mine, external_id="taken"),
    ]
    body = api.post(URL, {"rows": rows}, format="json").json()
    assert [e["index"] for e in body["errors"]] == [1, 2]
    assert Subscription.objects.get(external_id="taken").account == other


def test_the_envelope_is_checked_and_bulk_needs_the_ingest_scope(api, org):
    assert api.post(URL, {"rows": "nope"}, format="json").status_code == 400
    too_many = [
        _row(org.accounts["csm_a1"][0], start=f"2025-01-{i % 28 + 1:02d}") for i in range(1001)
    ]
    assert api.post(URL, {"rows": too_many}, format="json").status_code == 400
    writer = token_client(org.csm_a1, scopes=["read", "write"])
    assert writer.post(URL, {"rows": []}, format="json").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_a_thousand_rows_land_in_a_bounded_number_of_queries(org):
    """1,000 subscriptions over 50 accounts: the work is set-based (no query per row), and a
    re-send updates all of them."""
    admin = token_client(org.admin)
    accounts = [
        factories.AccountFactory(owner=org.csm_a1, external_id=f"bulk-{i}") for i in range(50)
    ]
    rows = [
        {
            "account": accounts[i % 50].pk,
            "external_id": f"s-{i}",
            "product": f"Line {i // 50}",
            "start_date": str(timezone.localdate().replace(day=1)),
            "mrr": "10.00",
        }
        for i in range(1000)
    ]
    with CaptureQueriesContext(connection) as queries:
        response = admin.post(URL, {"rows": rows}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["created"] == 1000
    # auth, the lookups, one insert, the MRR sync, and the between-night rescore of the
    # touched accounts that `account.inputs_changed` triggers: ~45, none per row.
    assert len(queries) < 60
    assert Account.objects.get(pk=accounts[0].pk).mrr == Decimal("200.00")
    again = admin.post(URL, {"rows": rows}, format="json").json()
    assert (again["created"], again["updated"]) == (0, 1000)
