"""Liveness and readiness probes used by docker health checks and load balancers."""

import pytest
from django.db import OperationalError


def test_liveness_answers_without_a_database(client):
    # No django_db mark: any database access here would raise.
    response = client.get("/healthz/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readiness_reports_database_and_cache(client):
    response = client.get("/readyz/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}


@pytest.mark.django_db
def test_readiness_is_503_when_the_database_is_down(client, monkeypatch):
    from django.db import connection

    def broken_cursor(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/readyz/")
    assert response.status_code == 503
    assert response.json()["database"] == "error: OperationalError"
