"""Account-page charts: chutes and ladders, health history, LTV curve, usage, subscriptions."""

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.template import Context, Template
from django.utils import timezone

from accounts.services.ledger import trust_entry_append
from dashboards.selectors.charts import (
    ledger_chart_config,
    ltv_series,
    usage_trends_config,
)
from tests import factories
from tests.dashboards.conftest import snapshot

pytestmark = pytest.mark.django_db


def render(snippet: str, account) -> str:
    return Template("{% load charts %}" + snippet).render(Context({"account": account}))


def _json(html: str, chart_id: str) -> dict:
    start = html.index(f'<script id="{chart_id}" type="application/json">')
    start = html.index(">", start) + 1
    return json.loads(html[start : html.index("</script>", start)])


def test_ledger_chart_marks_ladders_and_chutes_on_the_balance_line(org):
    """GIVEN two ladders then an escalation chute
    WHEN the ledger chart renders
    THEN the balance steps up twice and down once, with a chute marker at the drop."""
    account = org.accounts["csm_a1"][0]
    start = timezone.now() - timedelta(days=10)
    for i, points in enumerate([5, 3]):
        trust_entry_append(
            account=account,
            points=points,
            reason="good call",
            source="manual",
            occurred_at=start + timedelta(days=i),
        )
    trust_entry_append(
        account=account,
        points=-20,
        reason="Escalation: outage",
        source="incident",
        occurred_at=start + timedelta(days=5),
        apply_cushion=False,
    )
    config = ledger_chart_config(account)
    balance, ladders, chutes = (d["data"] for d in config["data"]["datasets"])
    assert balance == [5, 8, -12]
    assert ladders == [5, 8, None]
    assert chutes == [None, None, -12]
    assert config["notes"][2] == "-20: Escalation: outage"
    html = render("{% ledger_chart account %}", account)
    assert f'data-chart="chart-ledger-{account.pk}"' in html
    assert "1 chute (−20)" in html
    assert _json(html, f"chart-ledger-{account.pk}")["data"]["datasets"][2]["label"] == "Chute"


def test_charts_show_empty_states_when_there_is_no_data(org):
    account = org.accounts["csm_a1"][0]
    html = render("{% account_charts account %}", account)
    assert "No ledger entries yet" in html
    assert "No subscriptions recorded" in html
    assert "No product usage" in html
    assert "<canvas" not in html
    assert "No health history yet" in render("{% health_history_chart account %}", account)


def test_health_history_chart_draws_the_daily_scores(org):
    today = timezone.localdate()
    account = org.accounts["csm_a1"][0]
    for days, overall in [(2, 70), (1, 65), (0, 50)]:
        snapshot(account, as_of=today - timedelta(days=days), overall=overall)
    html = render("{% health_history_chart account %}", account)
    config = _json(html, f"chart-health-{account.pk}")
    assert config["data"]["datasets"][0]["data"] == [70, 65, 50]
    assert config["data"]["labels"][-1] == today.isoformat()


@time_machine.travel(datetime(2026, 12, 5, 12, tzinfo=UTC), tick=False)
def test_ltv_curve_accumulates_monthly_revenue_and_projects_to_lifetime_value(org):
    """Revenue accrues per day (the health snapshot's definition): all of November (30 days
    of 30.44 in an average month), then 4 days of December, up to the lifetime value."""
    today = timezone.localdate()
    account = org.accounts["csm_a1"][0]
    account.lifetime_value = Decimal("20000")
    factories.SubscriptionFactory(
        account=account, start_date=date(2026, 11, 1), mrr=Decimal("1000")
    )
    series = ltv_series(account, today=today)
    assert series["cumulative"] == [985.63, 1117.04]
    assert series["current_mrr"] == 1000.0
    assert series["projected"][0] > 1117.04
    assert series["projected"][-1] == 20000.0
    html = render("{% ltv_chart account %}", account)
    assert "Revenue to date $1,117" in html
    assert "lifetime value $20,000" in html


def test_usage_is_one_small_chart_per_metric_on_its_own_scale_with_human_labels(org):
    """GIVEN API calls in the hundreds of thousands and active users in the tens
    WHEN the usage charts are built
    THEN each metric has its own chart (so neither flattens the other), titled in words."""
    today = timezone.localdate()
    week_end = today - timedelta(days=7)  # the 7 days before the current ones
    account = org.accounts["csm_a1"][0]
    for day in range(7):
        factories.UsageMetricFactory(
            account=account, metric="api_calls", date=week_end - timedelta(days=day), value=400000
        )
        factories.UsageMetricFactory(
            account=account, metric="active_users", date=week_end - timedelta(days=day), value=12
        )
    charts = usage_trends_config(account, today=today)
    assert [c["label"] for c in charts] == ["Active users", "API calls"]
    for chart in charts:
        assert chart["config"]["options"]["scales"]["x"]["type"] == "time"
        assert chart["config"]["data"]["labels"] == [week_end.isoformat()]
    assert [c["latest"] for c in charts] == [12, 400000]
    html = render("{% usage_trends account %}", account)
    assert html.count("<canvas") == 2
    assert ">Active users</strong>" in html and ">active_users<" not in html


@time_machine.travel(datetime(2026, 12, 3, 12, tzinfo=UTC), tick=False)  # a Thursday
def test_a_partial_first_or_last_week_is_no_false_cliff(org):
    """GIVEN a metric steady at 100 a day, and a 90-day window that starts and ends mid-week
    WHEN the usage chart is built
    THEN every week reads 100 a day: partial weeks are averaged, not summed."""
    today = timezone.localdate()
    account = org.accounts["csm_a1"][0]
    for days_ago in range(0, 120):
        factories.UsageMetricFactory(
            account=account, metric="searches", date=today - timedelta(days=days_ago), value=100
        )
    (chart,) = usage_trends_config(account, today=today)
    assert set(chart["config"]["data"]["datasets"][0]["data"]) == {100}


@time_machine.travel(datetime(2026, 12, 5, 12, tzinfo=UTC), tick=False)  # a Saturday
def test_weekend_dips_fall_in_every_week_alike_so_the_first_week_is_no_cliff(org):
    """GIVEN usage of 1,000 a weekday and 100 on weekends, and 13 weeks that start on a
    Sunday WHEN the usage chart is built THEN every point (7 days ending today, the 7 before,
    ...) holds five weekdays and one weekend: all read the same, the first too (a calendar week
    cut by the window held only that Sunday: 100 beside 743)."""
    today = timezone.localdate()
    account = org.accounts["csm_a1"][0]
    for days_ago in range(0, 120):
        day = today - timedelta(days=days_ago)
        factories.UsageMetricFactory(
            account=account, metric="logins", date=day, value=100 if day.weekday() >= 5 else 1000
        )
    (chart,) = usage_trends_config(account, today=today)
    points = chart["config"]["data"]["datasets"][0]["data"]
    assert len(points) == 13 and len(set(points)) == 1
    assert chart["config"]["data"]["labels"][-1] == today.isoformat()


def test_account_charts_space_points_by_time(org):
    today = timezone.localdate()
    account = org.accounts["csm_a1"][0]
    for days, overall in [(30, 70), (1, 65), (0, 50)]:
        snapshot(account, as_of=today - timedelta(days=days), overall=overall)
    html = render("{% health_history_chart account %}", account)
    config = _json(html, f"chart-health-{account.pk}")
    assert config["options"]["scales"]["x"]["type"] == "time"
    assert config["data"]["labels"][0] == (today - timedelta(days=30)).isoformat()


def test_subscriptions_table_lists_products(org):
    account = org.accounts["csm_a1"][0]
    factories.SubscriptionFactory(account=account, product="Analytics add-on")
    html = render("{% subscriptions_table account %}", account)
    assert "Analytics add-on" in html and "ongoing" in html


def test_account_charts_use_a_fixed_number_of_queries(org, django_assert_max_num_queries):
    account = org.accounts["csm_a1"][0]
    for i in range(20):
        trust_entry_append(account=account, points=1, reason=f"call {i}", source="manual")
        factories.UsageMetricFactory(
            account=account, metric=f"m{i % 5}", date=timezone.localdate() - timedelta(days=i)
        )
    # Budget: ledger entries + ledger totals, subscriptions (LTV), usage, subscriptions table.
    with django_assert_max_num_queries(6):
        render("{% account_charts account %}", account)
