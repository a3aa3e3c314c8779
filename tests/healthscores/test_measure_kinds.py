"""Tenure, lifecycle, usage trend and ratio measures, the zero-use default and scoring curves."""

import math
from datetime import timedelta

import pytest

from accounts.models import UsageMetric
from healthscores.services.measures import curve_score
from tests import factories

from .conftest import AS_OF
from .test_measures import score_one

pytestmark = pytest.mark.django_db


def _usage(account, metric, values_by_days_ago):
    UsageMetric.objects.bulk_create(
        UsageMetric(account=account, metric=metric, date=AS_OF - timedelta(days=d), value=v)
        for d, v in values_by_days_ago.items()
    )


def test_tenure_counts_days_from_the_earlier_of_contract_start_and_first_subscription(account):
    _, m = score_one(account, {"kind": "tenure", "bad": 0, "good": 800})
    assert m["raw"] == 400 and m["score"] == 50.0
    factories.SubscriptionFactory(account=account, start_date=AS_OF - timedelta(days=500))
    # a subscription starting after the scoring date is not read
    factories.SubscriptionFactory(account=account, start_date=AS_OF + timedelta(days=5))
    _, m = score_one(account, {"kind": "tenure", "bad": 0, "good": 800})
    assert m["raw"] == 500 and m["detail"] == "Customer for 500 days."


@pytest.mark.parametrize(("days", "stage", "word"), [(30, 0, "New"), (200, 1, "Growing")])
def test_lifecycle_stage_follows_tenure(account, days, stage, word):
    account.contract_start = AS_OF - timedelta(days=days)
    account.save()
    _, m = score_one(account, {"kind": "lifecycle", "bad": 0, "good": 2})
    assert m["raw"] == stage and m["detail"].startswith(word)


def test_a_lifecycle_established_no_later_than_new_has_no_growing_stage(account):
    account.contract_start = AS_OF - timedelta(days=200)
    account.save()
    params = {"new_days": 120, "established_days": 100}
    _, m = score_one(account, {"kind": "lifecycle", "bad": 0, "good": 2, "params": params})
    assert m["raw"] == 2


def test_usage_trend_is_the_log_ratio_of_the_last_two_windows(account):
    # 7-day windows: 10 + 20 + 30 = 60 now, 15 + 25 = 40 before
    _usage(account, "searches", {0: 10, 2: 20, 6: 30, 8: 15, 13: 25})
    _, m = score_one(
        account,
        {
            "kind": "usage_trend",
            "bad": -1,
            "good": 0,
            "params": {"metric": "searches", "window_days": 7},
        },
    )
    assert m["raw"] == pytest.approx(math.log(61 / 41), abs=0.01)


def test_usage_trend_of_an_account_gone_quiet_is_a_steep_fall_not_missing(account):
    """GIVEN usage only in the window before WHEN scored THEN the current window counts as 0."""
    _usage(account, "searches", {9: 50, 12: 49})
    _, m = score_one(
        account,
        {
            "kind": "usage_trend",
            "bad": -1,
            "good": 0,
            "params": {"metric": "searches", "window_days": 7},
        },
    )
    assert m["raw"] == pytest.approx(-math.log(100), abs=0.01) and m["score"] == 0.0


def test_usage_trend_without_a_covered_window_before_has_no_data(account):
    _usage(account, "searches", {1: 10})  # first value inside the current window
    _, m = score_one(
        account,
        {
            "kind": "usage_trend",
            "bad": -1,
            "good": 0,
            "params": {"metric": "searches", "window_days": 7},
        },
    )
    assert m["raw"] is None and "before to compare" in m["detail"]


def test_usage_ratio_divides_two_metrics_over_the_window(account):
    _usage(account, "messages", {1: 30, 3: 10})
    _usage(account, "replies", {2: 10})
    params = {"metric": "replies", "denominator": "messages", "window_days": 7}
    _, m = score_one(account, {"kind": "usage_ratio", "bad": 0, "good": 1, "params": params})
    assert m["raw"] == 0.25 and m["detail"] == "0.25 replies per messages in the last 7 days."


@pytest.mark.parametrize(("no_rows", "raw"), [("zero", 0.0), ("missing", None)])
def test_no_usage_rows_in_the_window_of_an_account_with_history_means_no_use(account, no_rows, raw):
    """GIVEN logins 40 days ago and none since WHEN a 30-day sum is scored THEN it is 0 (no use)
    by default, or missing when the measure says so; an account that never reported the
    metric stays missing either way."""
    _usage(account, "logins", {40: 12})
    params = {"metric": "logins", "aggregation": "sum", "window_days": 30, "no_rows": no_rows}
    _, m = score_one(account, {"kind": "usage", "bad": 0, "good": 10, "params": params})
    assert m["raw"] == raw
    never = factories.AccountFactory(owner=None, contract_start=AS_OF - timedelta(days=400))
    _, m = score_one(never, {"kind": "usage", "bad": 0, "good": 10, "params": params})
    assert m["raw"] is None


def test_usage_after_the_scoring_date_is_not_history(account):
    _usage(account, "logins", {-3: 12})  # three days after AS_OF
    params = {"metric": "logins", "aggregation": "sum", "window_days": 30}
    _, m = score_one(account, {"kind": "usage", "bad": 0, "good": 10, "params": params})
    assert m["raw"] is None


def test_a_scoring_curve_replaces_the_straight_line(account):
    curve = [[0, 0], [100, 80], [400, 100]]
    assert curve_score(50, tuple(map(tuple, curve))) == 40
    _, m = score_one(
        account,
        {"kind": "tenure", "bad": 0, "good": 400, "params": {"curve": curve}},
    )
    assert m["raw"] == 400 and m["score"] == 100.0
    account.contract_start = AS_OF - timedelta(days=250)
    account.save()
    _, m = score_one(
        account,
        {"kind": "tenure", "bad": 0, "good": 400, "params": {"curve": curve}},
    )
    assert m["score"] == 90.0


def test_a_young_accounts_usage_window_counts_from_its_first_day(account):
    """GIVEN two accounts with the same 70 logins in the last 7 days, one a customer for 400
    days and one for 7 WHEN a 28-day sum is scored THEN the old one has 70 and the young one
    280: its window starts on its first day, so 21 days before it existed do not dilute it
    (the same pace over the full window)."""
    young = factories.AccountFactory(owner=None, contract_start=AS_OF - timedelta(days=6))
    for acc in (account, young):
        _usage(acc, "logins", {0: 30, 3: 40})
    params = {"metric": "logins", "aggregation": "sum", "window_days": 28}
    measure = {"kind": "usage", "bad": 0, "good": 100, "params": params}
    assert score_one(account, measure)[1]["raw"] == 70
    assert score_one(young, measure)[1]["raw"] == 280
    avg = {**measure, "params": {**params, "aggregation": "avg"}}
    assert score_one(young, avg)[1]["raw"] == 10  # per day it existed, not per day of window


def test_a_young_account_has_no_trend_until_it_lived_through_the_window_before(account):
    """GIVEN an account 10 days old WHEN a 7-day trend is scored THEN the window before is
    partly before its first day and read at its pace (3 of 7 days: 30 -> 70); at 5 days old
    the window before is wholly before it and the trend has no data, not a rise from 0."""
    young = factories.AccountFactory(owner=None, contract_start=AS_OF - timedelta(days=9))
    _usage(young, "searches", {0: 70, 8: 30})
    trend = {
        "kind": "usage_trend",
        "bad": -1,
        "good": 0,
        "params": {"metric": "searches", "window_days": 7},
    }
    assert score_one(young, trend)[1]["raw"] == pytest.approx(math.log(71 / 71), abs=0.01)
    newer = factories.AccountFactory(owner=None, contract_start=AS_OF - timedelta(days=4))
    _usage(newer, "searches", {0: 70})
    assert score_one(newer, trend)[1]["raw"] is None


def test_the_back_test_reads_young_accounts_windows_as_the_nightly_run_does():
    """The back-test's array reading applies the same first-day rule (sum, average, active
    days, trend and ratio) as the nightly scoring, for accounts of every age."""
    from healthscores.services import AccountBlock, health_compute
    from healthscores.services.backtest import observations_collect
    from healthscores.services.measures import measure_rules

    from .conftest import make_version

    accounts = []
    for i, days in enumerate((3, 9, 20, 40, 70, 400)):
        acc = factories.AccountFactory(owner=None, contract_start=AS_OF - timedelta(days=days))
        _usage(acc, "logins", {d: 5 + i + d for d in range(0, min(days, 60), 6)})
        _usage(acc, "replies", {d: 2 + d % 3 for d in range(1, min(days, 60), 9)})
        accounts.append(acc)
    measures = [
        {"key": "sum", "kind": "usage", "bad": 0, "good": 500,
         "params": {"metric": "logins", "aggregation": "sum", "window_days": 28}},
        {"key": "avg", "kind": "usage", "bad": 0, "good": 50,
         "params": {"metric": "logins", "aggregation": "avg", "window_days": 28}},
        {"key": "active", "kind": "usage", "bad": 0, "good": 28,
         "params": {"metric": "logins", "aggregation": "active_days", "window_days": 28}},
        {"key": "trend", "kind": "usage_trend", "bad": -1, "good": 1,
         "params": {"metric": "logins", "window_days": 14}},
        {"key": "ratio", "kind": "usage_ratio", "bad": 0, "good": 1,
         "params": {"metric": "replies", "denominator": "logins", "window_days": 28}},
    ]  # fmt: skip
    version = make_version(measures)
    nightly = {
        r.account_id: {m["key"]: m["raw"] for m in r.measures}
        for r in health_compute(
            block=AccountBlock(ids=tuple(a.pk for a in accounts)), as_of=AS_OF, version=version
        )
    }
    rules = measure_rules(version.measures.all())
    obs = observations_collect(rules=rules, scope=None, dates=[AS_OF], horizon_days=90)
    for account, raws in zip(obs.account.tolist(), obs.raws.tolist(), strict=True):
        array = {
            r.key: None if math.isnan(v) else round(v, 2) for r, v in zip(rules, raws, strict=True)
        }
        assert array == nightly[account], account
    assert nightly[accounts[0].pk]["trend"] is None  # 3 days old: no window before


def _attribute(account, as_of=AS_OF, **params):
    _, m = score_one(
        account,
        {"kind": "account_attribute", "bad": 0, "good": 1000, "params": params},
        as_of=as_of,
    )
    return m


def test_mrr_is_read_from_the_subscriptions_active_on_the_scoring_date(account):
    """GIVEN a subscription ended before the date, one running, one starting after it WHEN
    scored THEN MRR is the running one's (ARR twelve times it), as it stood on that day."""
    day = timedelta(days=1)
    factories.SubscriptionFactory(
        account=account, start_date=AS_OF - 300 * day, end_date=AS_OF - 10 * day, mrr=400
    )
    factories.SubscriptionFactory(account=account, start_date=AS_OF - 100 * day, mrr=250)
    factories.SubscriptionFactory(account=account, start_date=AS_OF + day, mrr=9000)
    account.mrr, account.arr = 9999, 99999  # today's figures: not what the date read
    account.save()
    m = _attribute(account, attribute="mrr")
    assert m["raw"] == 250 and m["detail"] == "MRR: 250."
    assert _attribute(account, attribute="arr")["raw"] == 3000
    assert _attribute(account, as_of=AS_OF - 50 * day, attribute="mrr")["raw"] == 650
    m = _attribute(account, attribute="mrr", per_seat=True)
    assert m["raw"] == 25 and m["detail"] == "25 MRR per seat (10 seats)."


def test_an_account_without_subscriptions_reads_its_own_mrr_and_arr(account):
    account.mrr, account.arr = 300, 4000
    account.save()
    assert _attribute(account, attribute="mrr")["raw"] == 300
    assert _attribute(account, attribute="arr")["raw"] == 4000


def test_seats_employees_and_numeric_custom_attributes_are_read_as_they_are(account):
    account.employee_count = 250
    account.custom_attributes = {"licensed_users": 42, "tier": "gold", "flag": True}
    account.save()
    assert _attribute(account, attribute="seats")["detail"] == "10 seats."
    assert _attribute(account, attribute="employee_count")["raw"] == 250
    assert _attribute(account, attribute="custom", custom_key="licensed_users")["raw"] == 42
    # text and booleans are not numbers: no data, said so
    m = _attribute(account, attribute="custom", custom_key="tier")
    assert m["raw"] is None and m["detail"] == "No tier on record."
    assert _attribute(account, attribute="custom", custom_key="flag")["raw"] is None
    account.seats = None
    account.save()
    assert _attribute(account, attribute="employee_count", per_seat=True)["raw"] is None
