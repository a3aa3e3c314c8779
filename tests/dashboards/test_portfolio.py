"""The manager's portfolio: health by team and CSM, quadrants, decay, renewals, ARR at risk."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account
from tests import factories
from tests.dashboards.conftest import count_queries, snapshot

pytestmark = pytest.mark.django_db
PORTFOLIO = reverse("dashboards:portfolio")


@pytest.fixture
def client_manager(client, org):
    client.force_login(org.manager_a)
    return client


def _chart(response, chart_id: str) -> dict:
    body = response.content.decode()
    start = body.index(f'<script id="{chart_id}" type="application/json">')
    start = body.index(">", start) + 1
    return json.loads(body[start : body.index("</script>", start)])


def test_manager_sees_health_by_team_and_csm_for_their_teams_only(client_manager, org):
    red = org.accounts["csm_a1"][0]
    Account.objects.filter(pk=red.pk).update(health_score=20, health_band="red")
    Account.objects.filter(pk=org.accounts["csm_a2"][0].pk).update(
        health_score=80, health_band="green"
    )
    response = client_manager.get(PORTFOLIO)
    teams = response.context["distribution"]
    assert [t["name"] for t in teams] == ["Team A"]
    team = teams[0]
    assert team["total"] == 4 and team["red"] == 1 and team["green"] == 1
    assert {c["total"] for c in team["csms"]} == {2}
    assert "csm_b1 account" not in response.content.decode()


def test_quadrant_scatter_places_each_account_with_a_link_to_it(client_manager, org):
    """GIVEN a happy, profitable account and an unhappy, unprofitable one (latest snapshots)
    WHEN the manager opens the portfolio
    THEN the first dot sits top-right, the second bottom-left, each linking to its account,
    and the quadrant lines sit at the health app's thresholds."""
    today = timezone.localdate()
    happy, unhappy = org.accounts["csm_a1"]
    for account, happiness, margin, quadrant in [
        (happy, 85.0, 45.0, "success"),
        (unhappy, 20.0, -30.0, "hard_look"),
    ]:
        snapshot(account, as_of=today - timedelta(days=1), overall=50, customer_happiness=5.0)
        snapshot(
            account,
            as_of=today,
            overall=60,
            customer_happiness=happiness,
            company_happiness=margin,
            quadrant=quadrant,
        )
        Account.objects.filter(pk=account.pk).update(health_as_of=today, quadrant=quadrant)
    response = client_manager.get(PORTFOLIO)
    config = _chart(response, "chart-quadrant")
    assert config["type"] == "scatter" and config["linkField"] == "url"
    points = {p["name"]: (p, d["label"]) for d in config["data"]["datasets"] for p in d["data"]}
    assert points[happy.name] == (
        {"x": 45.0, "y": 85.0, "name": happy.name, "url": happy.get_absolute_url()},
        "Success",
    )
    assert points[unhappy.name][0]["x"] == -30.0 and points[unhappy.name][1] == "Hard look"
    assert config["quadrantOrigin"] == {"x": 20.0, "y": 60.0}
    assert set(config["quadrantLabels"].values()) >= {"Success", "Hard look"}


def test_quadrant_scatter_says_so_before_the_first_score_run(client_manager):
    body = client_manager.get(PORTFOLIO).content.decode()
    assert "No scored accounts to place yet" in body


def test_decay_watchlist_shows_the_worst_decay_first(client_manager, org):
    a, b = org.accounts["csm_a1"]
    Account.objects.filter(pk=a.pk).update(decay_status="decaying", decay_score=55)
    Account.objects.filter(pk=b.pk).update(decay_status="in_decay", decay_score=90)
    watchlist = client_manager.get(PORTFOLIO).context["watchlist"]
    assert [x.pk for x in watchlist] == [b.pk, a.pk]


def test_renewals_calendar_groups_the_next_90_days_by_week_or_month(client_manager, org):
    today = timezone.localdate()
    soon, later = org.accounts["csm_a1"]
    Account.objects.filter(pk=soon.pk).update(
        renewal_date=today + timedelta(days=3), health_band="red", arr=Decimal("50000")
    )
    Account.objects.filter(pk=later.pk).update(
        renewal_date=today + timedelta(days=60), health_band="green", arr=Decimal("70000")
    )
    Account.objects.filter(owner=org.csm_a2).update(renewal_date=today + timedelta(days=200))
    weekly = client_manager.get(PORTFOLIO).context["renewals"]
    assert weekly["total"] == 2
    first = weekly["buckets"][0]
    assert [a.pk for a in first["accounts"]] == [soon.pk]
    assert first["arr_not_green"] == Decimal("50000")
    assert first["start"].weekday() == 0
    monthly = client_manager.get(PORTFOLIO, {"renewals": "month"}).context["renewals"]
    assert all(b["start"].day == 1 for b in monthly["buckets"])
    assert sum(b["n"] for b in monthly["buckets"]) == 2


def test_arr_at_risk_sums_red_and_yellow_accounts(client_manager, org):
    a, b = org.accounts["csm_a1"]
    Account.objects.filter(pk=a.pk).update(health_band="red", arr=Decimal("10000"))
    Account.objects.filter(pk=b.pk).update(health_band="yellow", arr=Decimal("5000"))
    Account.objects.filter(owner=org.csm_a2).update(health_band="green", arr=Decimal("1000"))
    response = client_manager.get(PORTFOLIO)
    arr = response.context["arr"]
    assert arr["at_risk"] == Decimal("15000")
    assert arr["total"] == Decimal("17000")
    assert "ARR at risk" in response.content.decode()


def test_team_filter_narrows_an_admins_portfolio(client, org):
    client.force_login(org.admin)
    everything = client.get(PORTFOLIO).context["headline"]["accounts"]
    team_b = client.get(PORTFOLIO, {"team": org.team_b.pk}).context["headline"]["accounts"]
    assert (everything, team_b) == (6, 2)
    bad = client.get(PORTFOLIO, {"team": "not-a-team", "renewals": "decade"})
    assert bad.status_code == 200


def test_empty_portfolio_says_so(client, db):
    client.force_login(factories.UserFactory(role="manager"))
    assert "No active accounts in this portfolio yet" in client.get(PORTFOLIO).content.decode()


def test_portfolio_query_count_does_not_grow_with_the_portfolio(client_manager, org, grow_book):
    # Budget: session + user, teams, one GROUP BY owner (headline, distribution, ARR by band)
    # + its CSMs, scatter, watchlist, renewal totals + list.
    small = count_queries(client_manager, PORTFOLIO)
    today = timezone.localdate()
    grow_book(org.csm_a2, 40, decay_status="in_decay", renewal_date=today + timedelta(days=10))
    large = count_queries(client_manager, PORTFOLIO)
    assert large == small
    assert large <= 12


def test_portfolio_with_many_csms_shows_one_row_per_team(client, org, monkeypatch):
    """GIVEN an admin whose portfolio spans more CSMs than the table lists
    WHEN they open the portfolio
    THEN health by team shows one row per team with its CSM count and totals, no CSM rows,
    and says how to see a team's CSMs; narrowing to a team lists its CSMs again."""
    from dashboards.selectors import portfolio

    monkeypatch.setattr(portfolio, "DISTRIBUTION_CSM_LIMIT", 2)
    client.force_login(org.admin)
    response = client.get(PORTFOLIO)
    teams = {t["name"]: t for t in response.context["distribution"]}
    assert teams["Team A"]["total"] == 4 and teams["Team A"]["csm_count"] == 2
    assert all(t["csms"] == [] for t in teams.values())
    assert "pick a team above to see its CSMs" in response.content.decode()
    narrowed = client.get(PORTFOLIO, {"team": org.team_a.pk}).context["distribution"]
    assert [c["total"] for c in narrowed[0]["csms"]] == [2, 2]
