"""Helpers for the dashboard tests: count a page's queries at two book sizes."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return len(ctx.captured_queries)


@pytest.fixture
def grow_book():
    """Add `n` more accounts (with interactions) to a CSM's book."""

    def grow(owner, n: int, **fields):
        accounts = factories.AccountFactory.create_batch(n, owner=owner, **fields)
        for account in accounts:
            factories.InteractionFactory(account=account)
        return accounts

    return grow


def snapshot(account, *, as_of, overall: int, **fields):
    """A health snapshot as the scoring run writes it (the published default scorecard)."""
    from healthscores.models import HealthSnapshot
    from scorecards.models import ScorecardVersion

    band = "green" if overall >= 70 else "yellow" if overall >= 40 else "red"
    defaults = {
        "scorecard_version": ScorecardVersion.objects.order_by("id").first(),
        "overall": overall,
        "band": band,
        "confidence": 1.0,
        "decay_score": 10,
        "decay_status": "stable",
        "quadrant": "success",
        "churn_risk": 0.1,
        "lifetime_value": 100000,
        **fields,
    }
    return HealthSnapshot.objects.create(account=account, as_of=as_of, **defaults)
