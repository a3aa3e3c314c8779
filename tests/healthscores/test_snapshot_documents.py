"""Snapshots store their measure and decay documents compact and read them back whole."""

import json
from datetime import timedelta

import pytest
from django.db import connection

from healthscores.documents import decay_expand, measures_expand
from healthscores.models import HealthSnapshot
from healthscores.services import AccountBlock, health_compute
from healthscores.services.persist import snapshots_upsert
from scorecards.models import VersionStatus

from .conftest import AS_OF, add_interactions, add_ledger, make_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def version():
    return make_version(
        [
            {"key": "fit", "label": "ICP fit", "kind": "icp_fit", "bad": 30, "good": 80},
            {
                "key": "nps",
                "label": "Net promoter",
                "kind": "survey",
                "bad": 0,
                "good": 10,
                "weight": 5,
            },
            {
                "key": "value",
                "label": "Days since value",
                "kind": "days_since_value",
                "bad": 60,
                "good": 7,
                "params": {"unit": "days"},
            },
        ],
        status=VersionStatus.PUBLISHED,
    )


def stored_json(column: str, snapshot_id: int):
    """The document as the database holds it, bypassing the model."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM healthscores_healthsnapshot WHERE id = %s", [snapshot_id]
        )
        value = cursor.fetchone()[0]
    return json.loads(value) if isinstance(value, str) else value


def score_and_store(account, version, as_of=AS_OF):
    results = health_compute(block=AccountBlock(ids=(account.pk,)), as_of=as_of, version=version)
    snapshots_upsert(results=results, run_id=None)
    return results[0], HealthSnapshot.objects.get(account=account, as_of=as_of)


def test_a_snapshot_stores_only_what_the_day_decided(account, version):
    add_interactions(account, [(AS_OF - timedelta(days=3), "value_adding")])
    _, snapshot = score_and_store(account, version)
    stored = stored_json("measures", snapshot.pk)
    assert [m["key"] for m in stored] == ["fit", "nps", "value"]
    assert all("label" not in m and "kind" not in m and "unit" not in m for m in stored)
    # Numbers, not sentences: the sentence is written when the snapshot is read.
    assert all("detail" not in m for m in stored)
    assert all(
        "label" not in c and "detail" not in c for c in stored_json("decay_components", snapshot.pk)
    )
    value = next(m for m in snapshot.measures if m["key"] == "value")
    assert value["detail"] == "Last value-adding interaction 3 days ago (27 Jun 2026)."


def test_a_stored_snapshot_reads_back_exactly_as_it_was_computed(account, version):
    """GIVEN a computed health with data for two measures and none for NPS
    WHEN it is stored and read back through the model
    THEN every measure and decay component is whole again: labels, kinds, units, weights,
    missing and stale flags as computed."""
    add_interactions(account, [(AS_OF - timedelta(days=3), "value_adding")])
    add_ledger(account, [(AS_OF - timedelta(days=100), 30), (AS_OF - timedelta(days=20), -12)])
    computed, snapshot = score_and_store(account, version)
    assert snapshot.measures == measures_expand(computed.measures, version.pk, AS_OF)
    assert snapshot.decay_components == decay_expand(computed.decay_components)
    burn = next(c for c in snapshot.decay_components if c["key"] == "burn")
    assert (
        burn["detail"] == "Lost 12 goodwill points in 90 days against a balance of 30 then (40%)."
    )
    nps = next(m for m in snapshot.measures if m["key"] == "nps")
    assert (nps["label"], nps["missing"], nps["weight"]) == ("Net promoter", True, 5.0)
    assert next(m for m in snapshot.measures if m["key"] == "value")["unit"] == "days"


def test_a_snapshot_stored_whole_reads_back_unchanged(account, version):
    whole = [
        {
            "key": "fit",
            "label": "Fit (as labelled then)",
            "kind": "icp_fit",
            "raw": 75.0,
            "score": 90.0,
            "weight": 10.0,
            "contribution": 90.0,
            "missing": False,
            "stale": False,
            "detail": "Fits the ICP at 75%.",
            "unit": "%",
        }
    ]
    decay = [{"key": "burn", "label": "Burn", "score": 0, "detail": "held", "weight": 0.35}]
    snapshot = HealthSnapshot.objects.create(
        account=account,
        as_of=AS_OF,
        scorecard_version=version,
        overall=90,
        band="green",
        confidence=1.0,
        measures=whole,
        decay_score=0,
        decay_status="stable",
        decay_components=decay,
        quadrant="success",
        churn_risk=0.05,
        lifetime_value=0,
    )
    again = HealthSnapshot.objects.get(pk=snapshot.pk)
    assert again.measures == whole and again.decay_components == decay


def test_why_it_changed_names_measures_by_their_labels_from_a_compact_previous_snapshot(
    account, version
):
    """GIVEN yesterday's compact snapshot WHEN today's value-adding interaction moves the
    days-since-value measure THEN the sentence uses the measure's label and unit."""
    add_interactions(account, [(AS_OF - timedelta(days=40), "value_adding")])
    score_and_store(account, version, as_of=AS_OF - timedelta(days=1))
    add_interactions(account, [(AS_OF, "value_adding")])
    today, _ = score_and_store(account, version)
    sentence = next(c["sentence"] for c in today.changes if c["key"] == "value")
    assert sentence.startswith("Days since value: fell from 39 days to 0 days")


def test_why_it_changed_names_a_measure_dropped_from_the_scorecard_by_its_old_label(
    account, version
):
    """GIVEN yesterday's compact snapshot scored with a version that had an ICP measure
    WHEN today's version no longer has it THEN the sentence names it by yesterday's label,
    and today's new measure is announced as added."""
    score_and_store(account, version, as_of=AS_OF - timedelta(days=1))
    today_version = make_version(
        [
            {"key": "value", "label": "Days since value", "kind": "days_since_value"}
            | {"bad": 60, "good": 7, "params": {"unit": "days"}},
            {"key": "pulse", "label": "CSM pulse", "kind": "manual", "bad": 0, "good": 100}
            | {"missing_policy": "neutral"},
        ],
        status=VersionStatus.PUBLISHED,
    )
    today, _ = score_and_store(account, today_version)
    sentences = {c["key"]: c["sentence"] for c in today.changes}
    assert sentences["fit"].startswith("ICP fit: no longer on the scorecard, −")
    assert sentences["pulse"].startswith("CSM pulse: added to the scorecard (no data), +")
