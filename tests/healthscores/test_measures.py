"""Every measure kind turns the account's data into the raw value and score a CSM expects."""

from datetime import timedelta

import pytest

from accounts.models import UsageMetric
from healthscores import hooks
from healthscores.documents import measures_expand
from healthscores.services import AccountBlock, health_compute
from healthscores.services.measures import normalise
from scorecards.models import ManualMeasureValue
from tests import factories

from .conftest import AS_OF, add_interactions, add_ledger, at, make_version

pytestmark = pytest.mark.django_db


def score_one(account, measure: dict, as_of=AS_OF):
    """The result and its one measure as a reader sees it (the sentence written)."""
    version = make_version([measure])
    [result] = health_compute(block=AccountBlock(ids=(account.pk,)), as_of=as_of, version=version)
    return result, measures_expand(result.measures, version.pk, as_of)[0]


def test_normalisation_is_linear_between_bad_and_good_in_either_direction():
    assert normalise(50, bad=0, good=100) == 50
    assert normalise(-5, bad=0, good=100) == 0
    assert normalise(500, bad=0, good=100) == 100
    # lower is better: 14 days since value is perfect, 90 is zero
    assert normalise(14, bad=90, good=14) == 100
    assert normalise(52, bad=90, good=14) == 50
    assert normalise(120, bad=90, good=14) == 0


def test_equal_thresholds_make_a_pass_fail_step():
    assert normalise(30, bad=30, good=30) == 100
    assert normalise(31, bad=30, good=30) == 100
    assert normalise(29.9, bad=30, good=30) == 0


def test_icp_fit_measure_uses_the_accounts_fit(account):
    _, m = score_one(account, {"kind": "icp_fit", "bad": 30, "good": 80})
    assert m["raw"] == 75 and m["score"] == 90.0


def test_goodwill_measure_is_the_balance_on_the_date(account):
    add_ledger(account, [(AS_OF - timedelta(days=10), 40), (AS_OF - timedelta(days=2), -10)])
    _, m = score_one(account, {"kind": "goodwill_balance", "bad": 0, "good": 60})
    assert m["raw"] == 30 and m["score"] == 50.0


def test_interaction_mix_counts_relationship_and_value_share_of_the_last_n(account):
    days = [AS_OF - timedelta(days=d) for d in range(1, 7)]
    add_interactions(
        account,
        [
            (days[0], "value_adding"),
            (days[1], "firefighting"),
            (days[2], "relationship_building"),
            (days[3], "escalation"),
            # older than the last 4: ignored with n=4
            (days[4], "firefighting"),
            (days[5], "firefighting"),
        ],
    )
    _, m = score_one(
        account, {"kind": "interaction_mix", "bad": 0, "good": 100, "params": {"n": 4}}
    )
    assert m["raw"] == 50.0
    assert "2 of the last 4" in m["detail"]


def test_days_since_value_counts_from_the_last_value_adding_interaction(account):
    add_interactions(
        account,
        [(AS_OF - timedelta(days=20), "value_adding"), (AS_OF - timedelta(days=3), "firefighting")],
    )
    _, m = score_one(account, {"kind": "days_since_value", "bad": 90, "good": 14})
    assert m["raw"] == 20
    assert m["score"] == pytest.approx(100 * (90 - 20) / 76, abs=0.1)


def _usage(account, metric, values_by_days_ago):
    UsageMetric.objects.bulk_create(
        UsageMetric(account=account, metric=metric, date=AS_OF - timedelta(days=d), value=v)
        for d, v in values_by_days_ago.items()
    )


@pytest.mark.parametrize(
    ("aggregation", "per_seat", "expected"),
    [
        ("sum", False, 60.0),  # 10 + 20 + 30 in the last 7 days
        ("avg", False, 60.0 / 7),
        ("active_days", False, 3.0),
        ("sum", True, 6.0),  # 10 seats
        ("change", False, 50.0),  # 40 in the 7 days before -> 60 now
    ],
)
def test_usage_measure_aggregates_over_the_window(account, aggregation, per_seat, expected):
    _usage(account, "searches", {0: 10, 2: 20, 6: 30, 4: 0, 8: 15, 13: 25})
    _, m = score_one(
        account,
        {
            "kind": "usage",
            "bad": 0,
            "good": 100,
            "params": {
                "metric": "searches",
                "aggregation": aggregation,
                "window_days": 7,
                "per_seat": per_seat,
            },
        },
    )
    assert m["raw"] == pytest.approx(expected, abs=0.01)


def test_nps_and_csat_measures_average_responses_in_the_window(account):
    for days, score in [(5, 10), (30, 6), (400, 0)]:
        factories.SurveyResponseFactory(
            account=account, kind="nps", score=score, responded_at=at(AS_OF - timedelta(days=days))
        )
    factories.SurveyResponseFactory(
        account=account, kind="csat", score=4, responded_at=at(AS_OF - timedelta(days=1))
    )
    _, nps = score_one(
        account, {"kind": "survey", "bad": 0, "good": 10, "params": {"survey": "nps"}}
    )
    assert nps["raw"] == 8.0 and nps["score"] == 80.0
    _, csat = score_one(
        account,
        {"key": "csat", "kind": "survey", "bad": 1, "good": 5, "params": {"survey": "csat"}},
    )
    assert csat["raw"] == 4.0 and csat["score"] == 75.0


def test_success_plan_measure_is_progress_against_expected(account, monkeypatch):
    monkeypatch.setattr(
        "healthscores.hooks._plan_progress_reader",
        lambda *, as_of, account_ids=None: {
            account.pk: {
                "progress": 0.4,
                "expected": 0.6,
                "vector": "lagging",
                "outcome_class": "not_yet",
            }
        },
    )
    result, m = score_one(account, {"kind": "success_plan", "bad": -30, "good": 0})
    assert m["raw"] == pytest.approx(-20.0)
    assert m["score"] == pytest.approx(100 / 3, abs=0.1)
    assert result.outcome_class == "not_yet"


def test_success_plans_reach_scoring_through_the_hook_success_registers(account):
    """Scoring sits below success: it reads plans through `healthscores.hooks`, which the
    success app fills when it loads, so a real lagging plan shows in the measure."""
    from success.selectors import plan_progress_by_account

    assert hooks._plan_progress_reader is plan_progress_by_account
    day = lambda offset: AS_OF + timedelta(days=offset)  # noqa: E731
    plan = factories.SuccessPlanFactory(account=account, started_on=day(-60))
    for offset, done_on in ((-50, day(-51)), (-30, None), (-10, None), (20, None), (40, None)):
        factories.PlanStepFactory(
            plan=plan, due_on=day(offset), starts_on=day(-60), completed_on=done_on
        )
    result, m = score_one(account, {"kind": "success_plan", "bad": -30, "good": 0})
    # 1 of 5 done (20 %) where 3 of 5 were due (60 %): 40 points behind, off track.
    assert m["raw"] == pytest.approx(-40.0)
    assert m["score"] == 0


def test_without_a_plan_progress_reader_the_success_plan_measure_is_missing_data(
    account, monkeypatch
):
    monkeypatch.setattr("healthscores.hooks._plan_progress_reader", None)
    _, m = score_one(
        account, {"kind": "success_plan", "bad": -30, "good": 0, "missing_policy": "exclude"}
    )
    assert m["score"] is None and m["missing"]


def test_mrr_trend_compares_mrr_now_with_the_start_of_the_window(account):
    factories.SubscriptionFactory(account=account, start_date=AS_OF - timedelta(days=300), mrr=1000)
    factories.SubscriptionFactory(
        account=account, product="Add-on", start_date=AS_OF - timedelta(days=10), mrr=100
    )
    _, m = score_one(
        account, {"kind": "mrr_trend", "bad": -10, "good": 20, "params": {"window_days": 90}}
    )
    assert m["raw"] == pytest.approx(10.0)


def test_manual_measure_counts_while_valid_and_is_flagged_stale_after(account):
    ManualMeasureValue.objects.create(
        account=account,
        measure_key="pulse",
        score=80,
        reason="Great QBR",
        valid_from=AS_OF - timedelta(days=40),
        valid_until=AS_OF - timedelta(days=10),
    )
    measure = {"key": "pulse", "kind": "manual", "bad": 0, "good": 100}
    _, valid = score_one(account, measure, as_of=AS_OF - timedelta(days=20))
    assert valid["raw"] == 80 and not valid["stale"]
    _, stale = score_one(account, measure)
    assert stale["missing"] and stale["stale"] and "Stale since" in stale["detail"]


def test_decay_measure_scores_the_decay_score(account):
    result, m = score_one(account, {"kind": "decay", "bad": 70, "good": 10})
    assert m["raw"] == result.decay_score
