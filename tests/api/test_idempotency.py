"""Idempotency-Key: first response stored and replayed for 24 h; a different body is 409."""

import threading
from datetime import timedelta

from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Account, TrustEntry
from core.models import IdempotencyRecord
from integrations.services import api_token_create


def test_retry_with_the_same_key_replays_the_first_response(api, org):
    account = org.accounts["csm_a1"][0]
    url = f"/api/v1/accounts/{account.pk}/ledger/"
    body = {"points": 3, "reason": "Great QBR", "source": "milestone"}
    first = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="qbr-2026-03")
    replay = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="qbr-2026-03")
    assert first.status_code == replay.status_code == 201
    assert replay.json() == first.json()
    assert replay["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert TrustEntry.objects.filter(account=account, reason="Great QBR").count() == 1


def test_same_key_with_a_different_body_is_409(api, org):
    account = org.accounts["csm_a1"][0]
    url = f"/api/v1/accounts/{account.pk}/ledger/"
    api.post(url, {"points": 3, "reason": "A"}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    response = api.post(
        url, {"points": 30, "reason": "A"}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"
    assert TrustEntry.objects.filter(account=account, reason="A").count() == 1


def test_a_rejected_request_does_not_burn_the_key(api, org):
    account = org.accounts["csm_a1"][0]
    url = f"/api/v1/accounts/{account.pk}/ledger/"
    bad = api.post(url, {"points": "many"}, format="json", HTTP_IDEMPOTENCY_KEY="k2")
    assert bad.status_code == 400
    good = api.post(url, {"points": 2, "reason": "ok"}, format="json", HTTP_IDEMPOTENCY_KEY="k2")
    assert good.status_code == 201


def test_keys_expire_after_24_hours(api, org):
    account = org.accounts["csm_a1"][0]
    url = f"/api/v1/accounts/{account.pk}/ledger/"
    body = {"points": 1, "reason": "tick"}
    api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="old")
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    response = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="old")
    assert "Idempotent-Replayed" not in response
    assert TrustEntry.objects.filter(account=account, reason="tick").count() == 2


def test_keys_are_per_user(org):
    from .conftest import token_client

    a, b = token_client(org.csm_a1), token_client(org.csm_a2)
    body = {"name": "Same key co"}
    assert (
        a.post("/api/v1/accounts/", body, format="json", HTTP_IDEMPOTENCY_KEY="x").status_code
        == 201
    )
    second = b.post("/api/v1/accounts/", body, format="json", HTTP_IDEMPOTENCY_KEY="x")
    assert second.status_code == 201 and "Idempotent-Replayed" not in second
    assert Account.objects.filter(name="Same key co").count() == 2


def test_concurrent_duplicates_create_one_record(transactional_db):
    """GIVEN 6 threads posting the same key at once THEN one account exists, all see its id."""
    from tests import factories

    owner = factories.UserFactory(username="racer")
    _token, key = api_token_create(user=owner, name="race", scopes=["read", "write"])
    barrier = threading.Barrier(6)
    results = []

    def post():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        try:
            barrier.wait()
            response = client.post(
                "/api/v1/accounts/",
                {"name": "Race Co"},
                format="json",
                HTTP_IDEMPOTENCY_KEY="race-1",
            )
            results.append((response.status_code, response.json().get("id")))
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert Account.objects.filter(name="Race Co").count() == 1
    assert IdempotencyRecord.objects.filter(key="race-1").count() == 1
    assert {status for status, _ in results} == {201}
    assert len({pk for _, pk in results}) == 1 and len(results) == 6
