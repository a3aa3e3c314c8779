"""The back-test's set-based observations (all dates at once) read exactly what the nightly
scoring reads at each date: the same accounts, the same raw value of every measure kind, and
nothing dated after the date."""

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Account, Stage, UsageMetric
from healthscores.services import AccountBlock, health_compute
from healthscores.services.backtest import backtest_dates
from healthscores.services.measures import measure_rules
from healthscores.services.observations import observations_collect
from tests import factories

from .conftest import add_interactions, add_ledger, at, make_version

pytestmark = [pytest.mark.django_db, pytest.mark.dates]

TODAY = date(2026, 9, 1)
START, END = date(2026, 3, 2), date(2026, 5, 1)
EVERY_KIND = [
    {"key": "logins", "kind": "usage", "bad": 0, "good": 40},
    {
        "key": "logins_seat",
        "kind": "usage",
        "bad": 0,
        "good": 4,
        "params": {"metric": "logins", "window_days": 14, "per_seat": True},
    },
    {
        "key": "logins_avg",
        "kind": "usage",
        "bad": 0,
        "good": 4,
        "params": {"metric": "logins", "window_days": 21, "aggregation": "avg"},
    },
    {
        "key": "active",
        "kind": "usage",
        "bad": 0,
        "good": 10,
        "params": {"metric": "logins", "window_days": 14, "aggregation": "active_days"},
    },
    {
        "key": "change",
        "kind": "usage",
        "bad": -50,
        "good": 50,
        "params": {"metric": "logins", "window_days": 14, "aggregation": "change"},
    },
    {
        "key": "change_missing",
        "kind": "usage",
        "bad": -50,
        "good": 50,
        "params": {
            "metric": "logins",
            "window_days": 14,
            "aggregation": "change",
            "no_rows": "missing",
        },
    },
    {
        "key": "trend",
        "kind": "usage_trend",
        "bad": -1,
        "good": 0.5,
        "params": {"metric": "logins", "window_days": 14},
    },
    {
        "key": "ratio",
        "kind": "usage_ratio",
        "bad": 0,
        "good": 1,
        "params": {"metric": "replies", "denominator": "messages", "window_days": 14},
    },
    {"key": "tenure", "kind": "tenure", "bad": 0, "good": 365},
    {"key": "lifecycle", "kind": "lifecycle", "bad": 0, "good": 2},
    {"key": "icp", "kind": "icp_fit", "bad": 0, "good": 100},
    {"key": "goodwill", "kind": "goodwill_balance", "bad": -20, "good": 40},
    {"key": "value_days", "kind": "days_since_value", "bad": 90, "good": 7},
    {
        "key": "mrr_now",
        "kind": "account_attribute",
        "bad": 0,
        "good": 200,
        "params": {"attribute": "mrr"},
    },
    {
        "key": "arr_seat",
        "kind": "account_attribute",
        "bad": 0,
        "good": 300,
        "params": {"attribute": "arr", "per_seat": True},
    },
    {
        "key": "seats",
        "kind": "account_attribute",
        "bad": 0,
        "good": 20,
        "params": {"attribute": "seats"},
    },
    {
        "key": "employees",
        "kind": "account_attribute",
        "bad": 0,
        "good": 500,
        "params": {"attribute": "employee_count"},
    },
    {
        "key": "users",
        "kind": "account_attribute",
        "bad": 0,
        "good": 50,
        "params": {"attribute": "custom", "custom_key": "users"},
    },
    # Kinds read date by date with the nightly selectors:
    {"key": "decay", "kind": "decay", "bad": 100, "good": 0},
    {"key": "mix", "kind": "interaction_mix", "bad": 0, "good": 100, "params": {"n": 3}},
    {"key": "nps", "kind": "survey", "bad": 0, "good": 10},
    {"key": "mrr", "kind": "mrr_trend", "bad": -20, "good": 20},
]
ARRAY_KINDS = 18  # EVERY_KIND[:18] have an array form


@pytest.fixture
def portfolio():
    """Accounts that put every branch of the raw values to work: steady, quiet for weeks, no
    usage at all, signed inside the range, churned inside it, a prospect; each with rows
    dated after the last date too."""
    with time_machine.travel(TODAY, tick=False):
        seats = [10, None, 3, 25, 8, 12]
        starts = [
            date(2025, 1, 1),
            date(2025, 11, 1),
            date(2026, 3, 20),  # signs inside the range: a new account at later dates
            date(2024, 6, 1),
            None,  # no contract start: tenure from its subscription
            date(2025, 8, 1),
        ]
        custom = [{"users": 30}, {"users": "many"}, {}, {"users": 12.5}, {"users": True}, {}]
        accounts = [
            factories.AccountFactory(
                owner=None,
                seats=s,
                contract_start=c,
                icp_fit=20 * i or None,
                employee_count=100 * i or None,
                custom_attributes=custom[i],
            )
            for i, (s, c) in enumerate(zip(seats, starts, strict=True))
        ]
        # no subscription: its MRR and ARR are its own figures
        factories.AccountFactory(
            owner=None, seats=4, contract_start=date(2025, 5, 1), mrr=120, arr=1500
        )
        Account.objects.filter(pk=accounts[3].pk).update(
            stage=Stage.CHURNED, churned_on=date(2026, 4, 10)
        )
        factories.AccountFactory(owner=None, stage=Stage.PROSPECT, contract_start=None)
        rng = np.random.default_rng(5)
        rows = []
        for n, account in enumerate(accounts):
            if n == 1:
                continue  # never reports usage
            for day in range(0, 200, 1 + n):
                when = date(2026, 1, 1) + timedelta(days=day)
                if n == 2 and date(2026, 3, 25) <= when <= date(2026, 5, 1):
                    continue  # quiet for five weeks
                for metric in ("logins", "messages", "replies"):
                    value = float(rng.integers(0, 6)) if metric != "messages" or n != 5 else 0
                    rows.append(UsageMetric(account=account, metric=metric, date=when, value=value))
        UsageMetric.objects.bulk_create(rows)
        for n, account in enumerate(accounts):
            factories.SubscriptionFactory(
                account=account, start_date=date(2025, 3, 1) + timedelta(days=40 * n), mrr=100
            )
            if n % 2:
                factories.SubscriptionFactory(
                    account=account, start_date=date(2026, 3, 25), mrr=Decimal("50")
                )
            else:  # one that ends inside the range
                factories.SubscriptionFactory(
                    account=account,
                    start_date=date(2025, 6, 1),
                    end_date=date(2026, 4, 1),
                    mrr=Decimal("70"),
                )
            ledger = [
                (date(2025, 12, 1) + timedelta(days=17 * k), (-1) ** k * (3 + k)) for k in range(12)
            ]
            if n != 4:
                add_ledger(account, ledger)
            kinds = ["value_adding", "firefighting", "relationship_building", "escalation"]
            add_interactions(
                account,
                [
                    (date(2026, 1, 10) + timedelta(days=9 * k + n), kinds[(k + n) % 4])
                    for k in range(16)
                ],
            )
            factories.SurveyResponseFactory(
                account=account, score=n + 3, responded_at=at(date(2026, 3, 1))
            )
        yield accounts


def nightly_raws(version, day) -> dict[int, list]:
    """{account: [raw of each measure]} as the nightly scoring computes them on `day`."""
    results = health_compute(block=AccountBlock(lo=1, hi=10**9), as_of=day, version=version)
    return {r.account_id: [m["raw"] for m in r.measures] for r in results}


def test_every_measure_kind_matches_the_nightly_scoring_at_every_date(portfolio):
    """GIVEN accounts that exercise every branch WHEN observed at four dates at once THEN the
    accounts and every raw value (rounded as a snapshot stores it) are the nightly ones."""
    version = make_version(
        [{"params": {"metric": "logins", "window_days": 28}, **m} for m in EVERY_KIND[:1]]
        + EVERY_KIND[1:]
    )
    rules = measure_rules(version.measures.all())
    dates = backtest_dates(START, END, 20)
    obs = observations_collect(rules=rules, scope=None, dates=dates, horizon_days=90)
    checked = 0
    for index, day in enumerate(dates):
        expected = nightly_raws(version, day)
        mine = obs.date_index == index
        assert sorted(obs.account[mine].tolist()) == sorted(expected)
        for account, raws in zip(obs.account[mine], obs.raws[mine], strict=True):
            got = [None if np.isnan(v) else round(float(v), 2) for v in raws]
            assert got == expected[int(account)], (day, int(account))
            checked += 1
    assert checked > 15
    # Branches really hit: a quiet window is 0 use, no usage history leaves the account out.
    assert 0.0 in obs.raws[:, 0] and np.isnan(obs.raws[:, 0]).any()


def test_rows_dated_after_a_date_change_nothing_at_that_date(portfolio):
    """GIVEN observations at a date WHEN usage, ledger, interactions and subscriptions dated
    the day after are added THEN that date's raw values are the same."""
    version = make_version(
        [{"params": {"metric": "logins", "window_days": 28}, **m} for m in EVERY_KIND[:1]]
        + EVERY_KIND[1:ARRAY_KINDS]
    )
    rules = measure_rules(version.measures.all())
    day = date(2026, 3, 22)

    def observe():
        return observations_collect(rules=rules, scope=None, dates=[day], horizon_days=90)

    before = observe()
    later = day + timedelta(days=1)
    for account in portfolio:
        UsageMetric.objects.update_or_create(
            account=account, metric="logins", date=later, defaults={"value": 99}
        )
        add_ledger(account, [(later, 50)])
        add_interactions(account, [(later, "value_adding")])
        factories.SubscriptionFactory(account=account, start_date=later, mrr=10)
    after = observe()
    assert np.array_equal(before.raws, after.raws, equal_nan=True)
    assert np.array_equal(before.tenure, after.tenure, equal_nan=True)


def test_observations_take_a_fixed_number_of_queries_whatever_the_dates(portfolio):
    """Set-based over dates: twelve dates cost the queries of one."""
    version = make_version(
        [{"params": {"metric": "logins", "window_days": 28}, **m} for m in EVERY_KIND[:1]]
        + EVERY_KIND[1:ARRAY_KINDS]
    )
    rules = measure_rules(version.measures.all())

    def queries(dates):
        with CaptureQueriesContext(connection) as captured:
            observations_collect(rules=rules, scope=None, dates=dates, horizon_days=90)
        return len(captured)

    one_date = queries([START])
    assert one_date >= 5  # accounts, subscriptions, usage, ledger, interactions
    assert queries(backtest_dates(START, END, 5)) == one_date


def test_a_segment_scorecard_observes_only_its_segment_with_the_same_values(portfolio):
    """GIVEN one account in a segment WHEN observed for that segment only (a narrow scope:
    the queries filter by it) THEN only it is observed, with the values it has unscoped."""
    from django.db.models import Q

    segment = factories.SegmentFactory()
    Account.objects.filter(pk=portfolio[0].pk).update(segment=segment)
    version = make_version(
        [{"params": {"metric": "logins", "window_days": 28}, **m} for m in EVERY_KIND[:1]]
        + EVERY_KIND[1:ARRAY_KINDS]
    )
    rules = measure_rules(version.measures.all())
    dates = backtest_dates(START, END, 20)
    everyone = observations_collect(rules=rules, scope=None, dates=dates, horizon_days=90)
    narrow = observations_collect(
        rules=rules, scope=Q(segment=segment), dates=dates, horizon_days=90
    )
    assert set(narrow.account.tolist()) == {portfolio[0].pk}
    mine = everyone.account == portfolio[0].pk
    assert np.array_equal(narrow.raws, everyone.raws[mine], equal_nan=True)
    assert narrow.segment.tolist() == [segment.pk] * len(narrow)


@pytest.mark.django_db(transaction=True)
def test_reads_beside_each_other_see_what_one_connection_sees(portfolio):
    """GIVEN committed data WHEN observed outside any transaction (the ledger and the
    interactions read on connections of their own, in the main connection's exported
    snapshot, beside the usage) THEN every raw value is the one read in place inside a
    transaction, and no connection is left open."""
    from django.db import transaction

    version = make_version(
        [{"params": {"metric": "logins", "window_days": 28}, **m} for m in EVERY_KIND[:1]]
        + EVERY_KIND[1:ARRAY_KINDS]
    )
    rules = measure_rules(version.measures.all())
    dates = backtest_dates(START, END, 20)
    assert not connection.in_atomic_block
    # Other tests' processes may still hold connections to this database: count them first.
    others_before = _other_connections()
    beside = observations_collect(rules=rules, scope=None, dates=dates, horizon_days=90)
    with transaction.atomic():
        in_place = observations_collect(rules=rules, scope=None, dates=dates, horizon_days=90)
    assert np.array_equal(beside.account, in_place.account)
    assert np.array_equal(beside.raws, in_place.raws, equal_nan=True)
    assert not np.isnan(beside.raws[:, [11, 12]]).all()  # goodwill and days since value read
    assert _other_connections() <= others_before


def _other_connections() -> int:
    """Connections to the test database other than this one."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]
