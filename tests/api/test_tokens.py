"""API tokens: hashed at rest, scoped, revocable; session auth keeps CSRF."""

import io

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from integrations.models import ApiToken, hash_key
from integrations.services import api_token_create, api_token_revoke

from .conftest import token_client


def test_token_is_stored_only_as_a_hash(org):
    token, key = api_token_create(user=org.csm_a1, name="CRM", scopes=["read"])
    stored = ApiToken.objects.get(pk=token.pk)
    assert key not in (stored.key_hash, stored.prefix, str(stored.scopes))
    assert stored.key_hash == hash_key(key)
    assert key.startswith(stored.prefix)


def test_token_authenticates_as_its_user_and_records_last_use(org):
    token, key = api_token_create(user=org.csm_a1, name="CRM", scopes=["read"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = client.get("/api/v1/accounts/")
    assert response.status_code == 200
    names = {row["name"] for row in response.json()["results"]}
    assert names == {a.name for a in org.accounts["csm_a1"]}
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_revoked_token_is_rejected_with_401(org):
    token, key = api_token_create(user=org.csm_a1, name="CRM", scopes=["read"])
    api_token_revoke(token=token)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = client.get("/api/v1/accounts/")
    assert response.status_code == 401
    assert response.json()["message"]


@pytest.mark.parametrize("header", ["Token", "Token a b", "Token nope", "Token \u00e9\u00e9"])
def test_malformed_or_unknown_token_is_401_json(db, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/accounts/")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"


def test_read_only_token_cannot_write(org):
    client = token_client(org.csm_a1, scopes=["read"])
    account = org.accounts["csm_a1"][0]
    response = client.patch(f"/api/v1/accounts/{account.pk}/", {"region": "APAC"}, format="json")
    assert response.status_code == 403
    assert "write" in response.json()["message"]


def test_write_token_without_ingest_cannot_bulk_load(org):
    client = token_client(org.csm_a1, scopes=["read", "write"])
    response = client.post("/api/v1/usage/bulk/", {"rows": []}, format="json")
    assert response.status_code == 403
    assert "ingest" in response.json()["message"]


def test_only_admins_can_hold_the_admin_scope(org):
    with pytest.raises(Exception, match="admin"):
        api_token_create(user=org.csm_a1, name="x", scopes=["admin"])


def test_session_writes_need_the_csrf_token(org):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(org.csm_a1)
    account = org.accounts["csm_a1"][0]
    assert client.get(f"/api/v1/accounts/{account.pk}/").status_code == 200
    response = client.patch(f"/api/v1/accounts/{account.pk}/", {"region": "APAC"}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["message"]


def test_create_api_token_command_prints_a_working_key(org):
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_token", "csm_a1", "--scopes", "read", "write", stdout=out, stderr=err)
    key = out.getvalue().strip()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/accounts/").status_code == 200
    assert ApiToken.objects.get(key_hash=hash_key(key)).scopes == ["read", "write"]


def test_create_api_token_command_refuses_unknown_user_and_scope(org):
    with pytest.raises(CommandError, match="no active user"):
        call_command("create_api_token", "ghost")
    with pytest.raises(CommandError, match="choose one or more"):
        call_command("create_api_token", "csm_a1", "--scopes", "everything")


def test_tokens_page_creates_shows_once_and_revokes(client_csm, org):
    response = client_csm.post(
        "/integrations/tokens/new/", {"name": "Zendesk", "scopes": ["read", "write"]}
    )
    assert response.status_code == 302
    page = client_csm.get("/integrations/tokens/").content.decode()
    token = ApiToken.objects.get(user=org.csm_a1, name="Zendesk")
    assert "Copy your new key now" in page and token.prefix in page
    again = client_csm.get("/integrations/tokens/").content.decode()
    assert "Copy your new key now" not in again
    client_csm.post(f"/integrations/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_tokens_page_cannot_revoke_someone_elses_token(client_csm, org):
    theirs, _ = api_token_create(user=org.csm_b1, name="theirs", scopes=["read"])
    response = client_csm.post(f"/integrations/tokens/{theirs.pk}/revoke/")
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
