"""Fixtures for API tests: clients that authenticate with a scoped API token."""

import pytest
from rest_framework.test import APIClient

from integrations.services import api_token_create

ALL_SCOPES = ["read", "write", "ingest", "admin"]


def token_client(user, scopes=None) -> APIClient:
    """An APIClient sending `Authorization: Token <key>` for a new token of `user`."""
    if scopes is None:
        scopes = ALL_SCOPES if user.is_admin_role else ["read", "write", "ingest"]
    _token, key = api_token_create(user=user, name="test", scopes=scopes)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def api(org):
    """A token client for csm_a1 with read, write and ingest."""
    return token_client(org.csm_a1)


@pytest.fixture
def admin_api(org):
    return token_client(org.admin)
