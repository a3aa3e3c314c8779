"""Back-tests over time: the embargo, grouping by account, no reads after a date, the report,
the suggestion judged on the test period, bad requests, failures and applying a suggestion."""

from datetime import date, timedelta

import numpy as np
import pytest
import time_machine
from django.core.exceptions import ValidationError
from sklearn.metrics import roc_auc_score

from accounts.models import Account, UsageMetric
from bench.churnsim import simulate
from healthscores.models import BacktestStatus, ScoreBacktest
from healthscores.services import AccountBlock, health_compute
from healthscores.services.backtest import (
    backtest_dates,
    observations_collect,
    overall_scores,
    score_backtest_create,
    score_backtest_process,
    split_periods,
)
from healthscores.services.backtest_metrics import auc, auc_difference, auc_interval
from healthscores.services.measures import measure_rules
from healthscores.services.suggest import account_folds
from tests import factories

from .conftest import load_simulation, make_version

pytestmark = pytest.mark.django_db

TODAY = date(2026, 12, 1)
SIM_END = date(2026, 11, 29)
USAGE_MEASURES = [
    {
        "key": "logins",
        "kind": "usage",
        "bad": 0,
        "good": 40,
        "params": {"metric": "logins", "aggregation": "sum", "window_days": 28, "per_seat": True},
    },
    {
        "key": "reply_rate",
        "kind": "usage_ratio",
        "bad": 0,
        "good": 1,
        "params": {"metric": "replies", "denominator": "messages", "window_days": 28},
    },
    {
        "key": "logins_trend",
        "kind": "usage_trend",
        "bad": -1,
        "good": 0.5,
        "params": {"metric": "logins", "window_days": 28},
    },
    {"key": "tenure", "kind": "tenure", "bad": 0, "good": 365},
]


@pytest.fixture
def today():
    with time_machine.travel(TODAY, tick=False):
        yield TODAY


def test_training_observations_whose_horizon_reaches_the_test_period_are_embargoed():
    """GIVEN dates every 28 days and a split WHEN periods are cut THEN a training date counts
    only if date + horizon <= split; dates on or after the split test."""
    dates = backtest_dates(date(2026, 1, 1), date(2026, 6, 30), 28)
    obs = type("O", (), {"date_index": np.arange(len(dates))})()
    split = date(2026, 5, 1)
    train, test, embargoed = split_periods(obs, dates, split, 90)
    assert [d for d, t in zip(dates, train, strict=True) if t] == [
        d for d in dates if d + timedelta(days=90) <= split
    ]
    assert [d for d, t in zip(dates, test, strict=True) if t] == [d for d in dates if d >= split]
    assert embargoed.sum() == len(dates) - train.sum() - test.sum() > 0


def test_cross_validation_folds_never_split_an_account():
    accounts = np.repeat(np.arange(40), 6)
    for train, held in account_folds(accounts):
        assert not set(accounts[train]) & set(accounts[held])


def test_auc_from_score_histograms_matches_sklearn_with_ties():
    rng = np.random.default_rng(1)
    scores = rng.integers(0, 101, 3000)
    labels = (rng.random(3000) < 0.2 + 0.004 * (50 - scores).clip(0)).astype(int)
    assert auc(scores, labels) == pytest.approx(roc_auc_score(labels, -scores), abs=1e-9)
    low, high = auc_interval(scores, labels, np.arange(3000) // 3)
    assert low < auc(scores, labels) < high


def test_the_suggestion_is_compared_with_the_version_on_the_same_resampled_accounts():
    """GIVEN two scores of the same observations WHEN compared THEN the difference's interval
    is paired: a score against itself is exactly 0, a clearly better one is above 0 while
    their separate intervals overlap."""
    rng = np.random.default_rng(2)
    accounts = np.repeat(np.arange(300), 5)
    risk = np.repeat(rng.normal(0, 1, 300), 5) + rng.normal(0, 0.5, 1500)
    labels = (rng.random(1500) < 1 / (1 + np.exp(2.5 - risk))).astype(int)
    noisy = np.clip(50 - 12 * (risk + rng.normal(0, 1.2, 1500)), 0, 100).round()
    sharp = np.clip(50 - 12 * (risk + rng.normal(0, 0.6, 1500)), 0, 100).round()
    assert auc_difference(noisy, noisy, labels, accounts) == {"difference": 0.0, "ci": [0.0, 0.0]}
    better = auc_difference(sharp, noisy, labels, accounts)
    assert better["ci"][0] > 0 and better["difference"] == pytest.approx(
        auc(sharp, labels) - auc(noisy, labels), abs=1e-4
    )
    assert auc_interval(sharp, labels, accounts)[0] < auc_interval(noisy, labels, accounts)[1]


def test_array_scoring_matches_the_nightly_scoring(today, account):
    """The back-test's vectorised overall score is the score a snapshot stores."""
    UsageMetric.objects.bulk_create(
        UsageMetric(account=account, metric="logins", date=today - timedelta(days=d), value=v)
        for d, v in [(2, 30.0), (9, 50.0), (40, 90.0)]
    )
    version = make_version(
        [
            USAGE_MEASURES[0],
            USAGE_MEASURES[2],
            {
                "key": "tenure",
                "kind": "tenure",
                "bad": 0,
                "good": 900,
                "params": {"curve": [[0, 0], [300, 70], [900, 100]]},
            },
            {"key": "nps", "kind": "survey", "bad": 0, "good": 10, "missing_policy": "neutral"},
            # equal thresholds: a pass/fail step
            {**USAGE_MEASURES[0], "key": "logins-step", "bad": 100, "good": 100},
        ]
    )
    [result] = health_compute(block=AccountBlock(ids=(account.pk,)), as_of=today, version=version)
    rules = measure_rules(version.measures.all())
    obs = observations_collect(rules=rules, scope=None, dates=[today], horizon_days=90)
    assert overall_scores(rules, obs.raws).tolist() == [result.overall]


def test_features_never_read_after_the_date_and_labels_never_after_the_horizon(today, account):
    """GIVEN usage and a churn after the date + horizon WHEN observed THEN neither counts."""
    day = today - timedelta(days=120)
    version = make_version([USAGE_MEASURES[0]])
    rules = measure_rules(version.measures.all())

    def observe():
        return observations_collect(rules=rules, scope=None, dates=[day], horizon_days=90)

    UsageMetric.objects.create(account=account, metric="logins", date=day, value=50)
    before = observe()
    UsageMetric.objects.create(
        account=account, metric="logins", date=day + timedelta(days=1), value=9
    )
    Account.objects.filter(pk=account.pk).update(churned_on=day + timedelta(days=91))
    after = observe()
    assert after.raws.tolist() == before.raws.tolist() == [[5.0]]  # 50 logins / 10 seats
    assert after.label.tolist() == [0]
    Account.objects.filter(pk=account.pk).update(churned_on=day + timedelta(days=90))
    assert observe().label.tolist() == [1]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"end": TODAY - timedelta(days=30)}, "horizon_days"),
        ({"split_on": date(2024, 1, 1)}, "split_on"),
        (
            {"start": date(2010, 1, 1), "end": date(2010, 6, 1), "split_on": date(2010, 3, 1)},
            "start",
        ),
    ],
)
def test_bad_requests_name_the_field_and_queue_nothing(today, account, change, field):
    version = make_version([USAGE_MEASURES[0]])
    ask = {"start": date(2025, 6, 1), "end": date(2026, 6, 1), "split_on": date(2026, 1, 1)}
    with pytest.raises(ValidationError) as error:
        score_backtest_create(version=version, **{**ask, **change})
    assert field in error.value.message_dict
    assert not ScoreBacktest.objects.exists()


def test_a_version_without_measures_cannot_be_back_tested(today, account):
    version = make_version([])
    with pytest.raises(ValidationError) as error:
        score_backtest_create(
            version=version, start=date(2025, 6, 1), end=date(2026, 6, 1), split_on=date(2026, 1, 1)
        )
    assert "scorecard_version" in error.value.message_dict


def test_a_failing_back_test_leaves_no_report(today, account, monkeypatch):
    from healthscores.services import backtest as service

    version = make_version([USAGE_MEASURES[0]])
    backtest = ScoreBacktest.objects.create(
        scorecard_version=version,
        start=date(2025, 6, 1),
        end=date(2026, 6, 1),
        split_on=date(2026, 1, 1),
    )

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(service, "lifecycle_suggest", lambda *a, **k: broken())
    result = score_backtest_process(backtest_id=backtest.pk)
    assert result.status == BacktestStatus.FAILED and "database went away" in result.error
    assert result.report is None and result.suggestion is None


def test_segments_are_reported_separately(today):
    segment = factories.SegmentFactory()
    data = simulate(accounts=120, weeks=40, end=SIM_END, seed=5)
    load_simulation(data, segment=segment)
    version = make_version(USAGE_MEASURES)
    start = data.first_week + timedelta(weeks=10)
    rules = measure_rules(version.measures.all())
    obs = observations_collect(rules=rules, scope=None, dates=[start], horizon_days=90)
    assert set(obs.segment.tolist()) == {segment.pk}
