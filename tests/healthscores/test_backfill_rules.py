"""A back-dated run reads nothing dated after its day (docs/API.md, "Back-filling history").

Data goes in through the API, as an integration loads history; the runs are real score runs.
"""

from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from accounts.models import Account
from healthscores.models import HealthSnapshot
from healthscores.services.runs import score_run_in_process
from scorecards.models import Scorecard
from scorecards.services import (
    scorecard_version_draft_create,
    scorecard_version_publish,
    scorecard_version_update,
)
from tests.api.conftest import token_client

pytestmark = pytest.mark.django_db
D = date(2026, 6, 30)
MEASURES = [
    {"key": "logins", "kind": "usage", "params": {"metric": "logins", "aggregation": "sum",
     "window_days": 7}},
    {"key": "mix", "kind": "interaction_mix", "params": {"n": 10}},
    {"key": "goodwill", "kind": "goodwill_balance", "params": {}},
    {"key": "nps", "kind": "survey", "params": {"survey": "nps", "window_days": 90}},
]  # fmt: skip


def _stamp(day: date, hour: int) -> str:
    return datetime.combine(day, time(hour), tzinfo=timezone.get_current_timezone()).isoformat()


@pytest.fixture
def client(org, time_machine):
    time_machine.move_to(_stamp(D + timedelta(days=10), 12), tick=False)
    draft = scorecard_version_draft_create(
        scorecard=Scorecard.objects.get(is_default=True), user=None
    )
    scorecard_version_update(
        version=draft,
        notes="back-fill rules",
        measures=[
            {"label": m["key"], "weight": 10, "bad": 0, "good": 100, "missing_policy": "exclude",
             **m}
            for m in MEASURES
        ],
        bands=[{"key": "all", "label": "All", "min_score": 0, "colour": "#98a2b3"}],
    )  # fmt: skip
    scorecard_version_publish(version=draft, user=None)
    return token_client(org.admin)


def _load(client, account_id, day_offsets: dict):
    """Usage, an interaction, a ledger entry and an NPS answer on each given day."""
    for offset, (logins, category, points, nps) in day_offsets.items():
        day = D + timedelta(days=offset)
        rows = [{"account": account_id, "metric": "logins", "date": str(day), "value": logins}]
        assert client.post("/api/v1/usage/bulk/", {"rows": rows}, format="json").status_code == 200
        interaction = {"account": account_id, "channel": "call", "category": category,
                       "occurred_at": _stamp(day, 10)}  # fmt: skip
        assert client.post("/api/v1/interactions/", interaction, format="json").status_code == 201
        entry = {"points": points, "reason": "back-filled", "occurred_at": _stamp(day, 11)}
        url = f"/api/v1/accounts/{account_id}/ledger/"
        assert client.post(url, entry, format="json").status_code == 201
        survey = {"account": account_id, "kind": "nps", "score": nps,
                  "responded_at": _stamp(day, 16)}  # fmt: skip
        assert client.post("/api/v1/surveys/", survey, format="json").status_code == 201


def _raws(account_id, as_of: date) -> dict:
    score_run_in_process(as_of=as_of, trigger="backfill")
    snapshot = HealthSnapshot.objects.get(account_id=account_id, as_of=as_of)
    return {m["key"]: m["raw"] for m in snapshot.measures}


def test_a_back_dated_run_reads_no_usage_interaction_ledger_entry_or_survey_after_its_day(
    client, org
):
    """GIVEN a customer (contract start in January) with usage, interactions, ledger entries
    and NPS answers up to D WHEN a run as of D is made, then data dated after D arrives and the
    run as of D is made again THEN both runs see exactly the same inputs, and a run as of D+2
    sees the later data."""
    created = client.put(
        "/api/v1/accounts/external/backfill-1/",
        {"name": "Backfill Ltd", "stage": "mature", "contract_start": "2026-01-05"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    account_id = created.json()["id"]
    # The week's usage total is dated at the week's end (D), as the docs ask.
    _load(client, account_id, {-3: (5, "value_adding", 4, 9), 0: (7, "value_adding", 3, 7)})
    balance_on_d = Account.objects.get(pk=account_id).goodwill_balance
    before = _raws(account_id, D)
    # The whole ledger up to D, the opening trust (dated at contract start) included.
    assert before == {"logins": 12.0, "mix": 100.0, "goodwill": float(balance_on_d), "nps": 8.0}

    _load(client, account_id, {1: (100, "firefighting", -9, 0), 2: (50, "unvalued_problem", -5, 1)})
    assert _raws(account_id, D) == before

    after = _raws(account_id, D + timedelta(days=2))
    assert after["logins"] == 162.0
    assert after["mix"] == 50.0
    assert after["goodwill"] < before["goodwill"]
    assert after["nps"] == 4.25


def test_a_weekly_total_dated_at_the_weeks_end_is_not_seen_by_a_run_in_the_middle_of_it(
    client, org
):
    account = org.accounts["csm_a1"][0]
    row = {"account": account.pk, "metric": "logins", "date": str(D), "value": 70}
    client.post("/api/v1/usage/bulk/", {"rows": [row]}, format="json")
    assert _raws(account.pk, D - timedelta(days=3)).get("logins") is None
    assert _raws(account.pk, D)["logins"] == 70.0
