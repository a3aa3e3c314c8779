"""Identical concurrent PUTs by external_id, on PostgreSQL outside a test transaction."""

import threading

from django.db import connection
from rest_framework.test import APIClient

from accounts.models import Account, Contact
from integrations.services import api_token_create
from tests import factories

THREADS = 8


def _race(key: str, path: str, body: dict) -> list[tuple[int, int | None]]:
    """PUT `body` to `path` from THREADS clients released at the same instant."""
    barrier = threading.Barrier(THREADS)
    results = []

    def put():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        try:
            barrier.wait()
            response = client.put(path, body, format="json")
            results.append((response.status_code, response.json().get("id")))
        finally:
            connection.close()

    threads = [threading.Thread(target=put) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_identical_concurrent_account_upserts_all_succeed_on_one_row(transactional_db):
    """GIVEN 8 CRM workers WHEN they PUT the same new external_id at once THEN one creates
    it (201), the other seven replace it (200), and all see the same id."""
    owner = factories.UserFactory(username="syncer")
    _token, key = api_token_create(user=owner, name="sync", scopes=["read", "write"])
    results = _race(key, "/api/v1/accounts/external/crm-race/", {"name": "Race GmbH"})
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] * (THREADS - 1) + [201]
    assert len({pk for _, pk in results}) == 1
    assert Account.objects.filter(external_id="crm-race").count() == 1


def test_identical_concurrent_contact_upserts_all_succeed_on_one_row(transactional_db):
    owner = factories.UserFactory(username="syncer")
    factories.AccountFactory(owner=owner, external_id="crm-home")
    _token, key = api_token_create(user=owner, name="sync", scopes=["read", "write"])
    body = {"account_external_id": "crm-home", "name": "Dana Roe"}
    results = _race(key, "/api/v1/contacts/external/hub-race/", body)
    assert sorted(status for status, _ in results) == [200] * (THREADS - 1) + [201]
    assert len({pk for _, pk in results}) == 1
    assert Contact.objects.filter(external_id="hub-race").count() == 1
