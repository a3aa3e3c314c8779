"""Bulk ingest: up to 1,000 rows, upsert by natural key; a malformed row rejects the request
(400), a well-formed row that cannot be applied is a per-row error (207), valid rows kept."""

from accounts.models import Interaction, TrustEntry, UsageMetric


def _ticket(account, n, **extra):
    return {
        "account": account.pk,
        "external_id": f"ticket-{n}",
        "channel": "ticket",
        "category": "firefighting",
        "sentiment": -1,
        "minutes": 20,
        **extra,
    }


def test_a_malformed_row_rejects_the_whole_request_naming_row_and_field(api, org):
    """GIVEN four rows, the middle two malformed (a category the schema does not list, a field
    it does not have) WHEN posted THEN 400 naming rows.1.category and rows.2.zz_unknown, and
    nothing is stored (the schema typed the row)."""
    mine = org.accounts["csm_a1"][0]
    rows = [
        _ticket(mine, 1),
        _ticket(mine, 2, category="gossip"),
        _ticket(mine, 3, zz_unknown=1),
        _ticket(mine, 4),
    ]
    response = api.post("/api/v1/interactions/bulk/", {"rows": rows}, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]["rows"]
    assert {index: list(fields) for index, fields in errors.items()} == {
        "1": ["category"],
        "2": ["zz_unknown"],
    }
    assert not Interaction.objects.exists()
    assert not TrustEntry.objects.filter(account=mine, source="interaction").exists()


def test_bulk_interactions_upsert_by_external_id(api, org):
    mine = org.accounts["csm_a1"][0]
    api.post("/api/v1/interactions/bulk/", {"rows": [_ticket(mine, 1)]}, format="json")
    again = api.post(
        "/api/v1/interactions/bulk/",
        {"rows": [_ticket(mine, 1, summary="resolved")]},
        format="json",
    )
    assert again.status_code == 200
    assert (again.json()["created"], again.json()["updated"]) == (0, 1)
    assert Interaction.objects.get(external_id="ticket-1").summary == "resolved"


def test_bulk_rows_for_invisible_or_unknown_accounts_are_row_errors(api, org):
    mine, theirs = org.accounts["csm_a1"][0], org.accounts["csm_b1"][0]
    rows = [
        _ticket(theirs, 1),
        {k: v for k, v in _ticket(mine, 2).items() if k != "account"}
        | {"account_external_id": "who?"},
        {**_ticket(mine, 3), "account_external_id": mine.external_id},
    ]
    response = api.post("/api/v1/interactions/bulk/", {"rows": rows}, format="json")
    body = response.json()
    assert response.status_code == 207
    assert [e["index"] for e in body["errors"]] == [0, 1]
    assert body["created"] == 1
    assert not Interaction.objects.filter(account=theirs).exists()


def test_more_than_1000_rows_is_rejected_whole(api, org):
    mine = org.accounts["csm_a1"][0]
    rows = [
        {"account": mine.pk, "metric": "m", "date": "2026-01-01", "value": i} for i in range(1001)
    ]
    response = api.post("/api/v1/usage/bulk/", {"rows": rows}, format="json")
    assert response.status_code == 400
    assert "1000" in str(response.json()["errors"]["rows"])
    assert not UsageMetric.objects.exists()


def test_bulk_usage_upserts_by_account_metric_and_date(api, org):
    mine = org.accounts["csm_a1"][0]
    rows = [
        {
            "account_external_id": mine.external_id,
            "metric": "logins",
            "date": f"2026-01-{d:02}",
            "value": d,
        }
        for d in range(1, 11)
    ]
    first = api.post("/api/v1/usage/bulk/", {"rows": rows}, format="json")
    assert first.status_code == 200 and first.json()["created"] == 10
    rows[0]["value"] = 100
    rows.append(
        {"account_external_id": "nobody", "metric": "logins", "date": "2026-01-01", "value": 1}
    )
    second = api.post("/api/v1/usage/bulk/", {"rows": rows}, format="json")
    assert second.status_code == 207
    assert (second.json()["updated"], second.json()["errors"][0]["index"]) == (10, 10)
    assert UsageMetric.objects.get(metric="logins", date="2026-01-01").value == 100
    assert UsageMetric.objects.count() == 10
    malformed = rows[:1] + [
        {"account": mine.pk, "metric": "logins", "date": "not a date", "value": 1}
    ]
    third = api.post("/api/v1/usage/bulk/", {"rows": malformed}, format="json")
    assert third.status_code == 400
    assert list(third.json()["errors"]["rows"]["1"]) == ["date"]


def test_a_full_batch_of_1000_usage_rows_is_accepted(api, org):
    mine = org.accounts["csm_a1"][0]
    rows = [
        {
            "account": mine.pk,
            "metric": f"m{i % 10}",
            "date": f"2025-{1 + i // 100 % 12:02}-{1 + i % 28:02}",
            "value": i,
        }
        for i in range(1000)
    ]
    response = api.post("/api/v1/usage/bulk/", {"rows": rows}, format="json")
    assert response.status_code in (200, 207)
    assert response.json()["created"] + len(response.json()["errors"]) == 1000


def test_bulk_interactions_tell_subscribers_and_webhooks_about_every_row(
    api, org, monkeypatch, django_capture_on_commit_callbacks
):
    """GIVEN a webhook on ledger entries and a subscriber to interaction.logged WHEN 3 rows are
    posted in one bulk request THEN each interaction is announced once, each ledger entry gets
    its own webhook delivery, and the accounts are queued for a rescore."""
    from core import events
    from healthscores.services import rescore
    from integrations import tasks
    from integrations.models import WebhookDelivery
    from integrations.services import webhook_create

    webhook_create(name="BI", url="http://127.0.0.1:9/", events=["ledger.entry_appended"])
    logged, queued, sent = [], [], []
    monkeypatch.setitem(events._handlers, "interaction.logged", [lambda **p: logged.append(p)])
    monkeypatch.setattr(tasks.webhook_deliver, "delay", lambda pk, **_: sent.append(pk))
    monkeypatch.setattr(rescore, "rescore_queue", lambda *, account_ids: queued.extend(account_ids))
    mine, other = org.accounts["csm_a1"][0], org.accounts["csm_a1"][1]
    rows = [_ticket(mine, 1), _ticket(other, 2, category="value_adding"), _ticket(mine, 3)]
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/interactions/bulk/", {"rows": rows}, format="json")
    assert response.status_code == 200, response.json()
    stored = {i.external_id: i for i in Interaction.objects.all()}
    assert sorted((p["interaction_id"], p["account_id"], p["category"]) for p in logged) == sorted(
        (i.pk, i.account_id, i.category) for i in stored.values()
    )
    entries = TrustEntry.objects.filter(source="interaction")
    payloads = WebhookDelivery.objects.values_list("payload", flat=True)
    assert sorted(p["entry_id"] for p in payloads) == sorted(e.pk for e in entries)
    assert sorted(sent) == sorted(WebhookDelivery.objects.values_list("pk", flat=True))
    assert {p["balance_after"] for p in payloads} == {e.balance_after for e in entries}
    assert set(queued) == {mine.pk, other.pk}
