"""PostgreSQL goes away in the middle of a request: the user gets a clean 503, nothing is saved
from that request, and the next request works again."""

import json

import psycopg2
import pytest
from django.db import OperationalError, connection

from accounts.models import Interaction, TrustEntry
from accounts.services import ledger
from integrations.services import api_token_create
from tests import factories


def _kill_own_backend() -> None:
    """Terminate this process's PostgreSQL backend from a second connection, as a failover,
    a restart or a network cut would."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    db = connection.settings_dict
    admin = psycopg2.connect(
        dbname=db["NAME"],
        user=db["USER"] or "postgres",
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        password=db["PASSWORD"] or None,
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    admin.close()


def _bulk_rows(account, n: int = 3) -> str:
    return json.dumps(
        {
            "rows": [
                {
                    "account": account.pk,
                    "external_id": f"desk-{i}",
                    "channel": "ticket",
                    "category": "firefighting",
                    "minutes": 30,
                }
                for i in range(n)
            ]
        }
    )


@pytest.fixture
def ingest_client(client, org):
    _, key = api_token_create(user=org.admin, name="pipeline", scopes=["read", "ingest"])
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {key}"
    return client


@pytest.mark.django_db
def test_a_database_error_in_an_api_write_answers_503_json_and_saves_nothing(
    ingest_client, org, monkeypatch
):
    """GIVEN a bulk interaction upload WHEN the database fails after the interactions were
    inserted but before their ledger entries THEN the API answers 503 JSON with Retry-After
    and neither interactions nor ledger entries are kept."""
    account = org.accounts["csm_a1"][0]

    def broken(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(ledger, "trust_entries_bulk_append", broken)
    response = ingest_client.post(
        "/api/v1/interactions/bulk/", _bulk_rows(account), content_type="application/json"
    )
    assert response.status_code == 503
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "service_unavailable"
    assert response["Retry-After"] == "5"
    assert Interaction.objects.filter(account=account).count() == 0
    assert TrustEntry.objects.filter(account=account).count() == 0


@pytest.mark.django_db
def test_a_database_error_on_a_page_shows_a_plain_503_page(client, org, monkeypatch):
    """GIVEN a signed-in CSM WHEN the database fails while the accounts page renders
    THEN they see a short 'Service unavailable' page (503), not a server error."""
    from accounts.models import Account

    client.force_login(org.csm_a1)

    def broken(self, user):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(type(Account.objects.all()), "for_user", broken)
    response = client.get("/accounts/")
    assert response.status_code == 503
    assert b"Service unavailable" in response.content
    assert b"Nothing was saved" in response.content


@pytest.mark.services
def test_a_killed_postgres_connection_mid_write_gives_503_and_no_partial_write(
    transactional_db, monkeypatch, client
):
    """GIVEN a pipeline posting 3 interactions WHEN PostgreSQL drops the connection after the
    interactions are inserted (pg_terminate_backend) THEN the request answers 503 JSON, the
    database holds none of the 3 interactions and none of their ledger entries, and the next
    request (on a fresh connection) succeeds."""
    org = factories.org()
    _, key = api_token_create(user=org.admin, name="pipeline", scopes=["read", "ingest"])
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {key}"
    account = org.accounts["csm_a1"][0]
    original = ledger.trust_entries_bulk_append

    def cut_then_append(**kwargs):
        _kill_own_backend()
        return original(**kwargs)

    monkeypatch.setattr(ledger, "trust_entries_bulk_append", cut_then_append)
    response = client.post(
        "/api/v1/interactions/bulk/", _bulk_rows(account), content_type="application/json"
    )
    assert response.status_code == 503, response.content
    assert response.json()["code"] == "service_unavailable"

    monkeypatch.setattr(ledger, "trust_entries_bulk_append", original)
    assert Interaction.objects.filter(account=account).count() == 0
    assert TrustEntry.objects.filter(account=account, source="interaction").count() == 0
    again = client.post(
        "/api/v1/interactions/bulk/", _bulk_rows(account), content_type="application/json"
    )
    assert again.status_code == 200, again.content
    assert Interaction.objects.filter(account=account).count() == 3


@pytest.mark.services
def test_a_killed_postgres_connection_on_a_page_gives_503_html_then_recovers(
    transactional_db, client
):
    """GIVEN a signed-in CSM whose database connection was cut WHEN they open the accounts
    page THEN they get the 503 page, and reloading it works."""
    org = factories.org()
    client.force_login(org.csm_a1)
    assert client.get("/accounts/").status_code == 200
    _kill_own_backend()
    response = client.get("/accounts/")
    assert response.status_code == 503
    assert b"Service unavailable" in response.content
    assert client.get("/accounts/").status_code == 200
