"""Score validation: a back-test with a known answer, suggested weights, draft impact."""

from datetime import timedelta

import numpy as np
import pytest

from accounts.models import Stage
from healthscores.services import score_validation_run, scorecard_impact_preview
from healthscores.services.backtest_metrics import top_decile_lift
from scorecards.models import ManualMeasureValue, Scorecard
from scorecards.services import scorecard_version_draft_create
from tests import factories

from .conftest import AS_OF, make_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(db):
    """GIVEN 20 customers on AS_OF whose CSM pulse was 10..97; the four lowest churned
    30 days later; ICP fit alternates 40/60 regardless of churn."""
    accounts = []
    for i in range(20):
        pulse = 10 + 5 * i if i < 4 else 40 + 3 * i
        churned = i < 4
        account = factories.AccountFactory(
            owner=None,
            icp_fit=40 if i % 2 else 60,
            contract_start=AS_OF - timedelta(days=300),
            stage=Stage.CHURNED if churned else Stage.MATURE,
            churned_on=AS_OF + timedelta(days=30) if churned else None,
        )
        ManualMeasureValue.objects.create(
            account=account,
            measure_key="pulse",
            score=pulse,
            reason="pulse",
            valid_from=AS_OF - timedelta(days=5),
            valid_until=AS_OF + timedelta(days=25),
        )
        accounts.append(account)
    return accounts


def test_a_back_test_measures_how_well_the_score_predicted_churn(history):
    version = make_version(
        [
            {"key": "pulse", "label": "CSM pulse", "kind": "manual", "bad": 0, "good": 100},
            {"kind": "icp_fit", "bad": 30, "good": 80, "weight": 1},
        ],
        status="published",
    )
    result = score_validation_run(version=version, as_of=AS_OF, horizon_days=90)
    assert (result.accounts, result.churned) == (20, 4)
    assert result.roc_auc == 1.0
    # the lowest-scored 10% (2 accounts) all churned: 100% vs 20% overall
    assert result.top_decile_lift == 5.0
    rates = {b["band"]: (b["accounts"], b["churned"], b["churn_rate"]) for b in result.band_rates}
    assert rates["red"] == (4, 4, 1.0)
    assert rates["green"][1] == 0
    weights = {w["key"]: w for w in result.suggested_weights}
    assert weights["pulse"]["suggested_weight"] > weights["icp_fit"]["suggested_weight"]
    assert weights["pulse"]["current_weight"] == 10
    assert result.roc_curve[-1] == {"x": 1.0, "y": 1.0}


def test_a_back_test_after_the_horizon_ignores_later_churn(history):
    version = make_version([{"key": "pulse", "kind": "manual", "bad": 0, "good": 100}])
    result = score_validation_run(version=version, as_of=AS_OF, horizon_days=20)
    assert result.churned == 0 and result.roc_auc is None
    assert "Too few churned" in result.note


def test_top_decile_lift_compares_the_worst_tenth_with_the_base_rate():
    labels = [1, 0, 0, 0, 0, 0, 0, 0, 0, 1]
    scores = [5, 50, 60, 70, 80, 90, 91, 92, 93, 94]
    assert top_decile_lift(np.array(scores), np.array(labels)) == 5.0
    assert top_decile_lift(np.array([1, 2]), np.array([0, 0])) is None


def test_a_draft_shows_the_band_moves_it_would_cause(history):
    """GIVEN the default scorecard WHEN a draft lowers the green band to 40
    THEN the preview counts the accounts that would move up and none down."""
    default = Scorecard.objects.get(is_default=True)
    draft = scorecard_version_draft_create(scorecard=default, user=None)
    draft.bands.filter(key="green").update(min_score=45)
    preview = scorecard_impact_preview(version=draft, as_of=AS_OF)
    assert preview["accounts"] == 20
    assert preview["down"] == 0
    assert preview["up"] + preview["same"] == 20
    assert preview["up"] > 0
