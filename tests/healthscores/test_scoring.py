"""Overall score, confidence, bands, decay, quadrant, lifetime value and why-it-changed."""

from datetime import timedelta

import pytest

from accounts.models import UsageMetric
from healthscores.services import AccountBlock, health_compute
from scorecards.models import ManualMeasureValue
from tests import factories

from .conftest import AS_OF, add_interactions, add_ledger, make_version

pytestmark = pytest.mark.django_db


def compute(accounts, version, as_of=AS_OF):
    results = health_compute(
        block=AccountBlock(ids=tuple(a.pk for a in accounts)), as_of=as_of, version=version
    )
    return {r.account_id: r for r in results}


@pytest.mark.parametrize(
    ("policy", "overall", "confidence"),
    [("exclude", 90, 0.5), ("zero", 45, 0.5), ("neutral", 70, 0.5)],
)
def test_missing_data_policy_decides_what_a_measure_without_data_scores(
    account, policy, overall, confidence
):
    """GIVEN an ICP fit scoring 90 and an NPS measure with no responses, equal weights
    WHEN scored THEN exclude leaves NPS out, zero counts it as 0, neutral as 50;
    confidence is the weight share that had data either way."""
    version = make_version(
        [
            {"kind": "icp_fit", "bad": 30, "good": 80},
            {"kind": "survey", "bad": 0, "good": 10, "missing_policy": policy},
        ]
    )
    result = compute([account], version)[account.pk]
    assert result.overall == overall
    assert result.confidence == confidence
    nps = result.measures[1]
    assert nps["raw"] is None  # no data
    assert nps["score"] == {"exclude": None, "zero": 0.0, "neutral": 50.0}[policy]
    assert sum(m["contribution"] for m in result.measures) == pytest.approx(overall, abs=0.01)


def test_bands_are_assigned_at_their_exact_lower_boundaries(db):
    version = make_version([{"key": "pulse", "kind": "manual", "bad": 0, "good": 100}])
    expected = {0: "red", 39: "red", 40: "yellow", 69: "yellow", 70: "green", 100: "green"}
    accounts = {}
    for score in expected:
        account = factories.AccountFactory(owner=None)
        ManualMeasureValue.objects.create(
            account=account,
            measure_key="pulse",
            score=score,
            reason="set",
            valid_from=AS_OF - timedelta(days=1),
            valid_until=AS_OF + timedelta(days=30),
        )
        accounts[score] = account
    results = compute(accounts.values(), version)
    for score, account in accounts.items():
        assert (results[account.pk].overall, results[account.pk].band) == (score, expected[score])


def test_an_account_burning_goodwill_with_firefighting_is_in_decay(account):
    """GIVEN 100 goodwill built a year ago, then 60 points of chutes and only firefighting
    and escalations for 90 days THEN decay is high, status in decay, every component shown."""
    add_ledger(
        account,
        [(AS_OF - timedelta(days=300), 100)]
        + [(AS_OF - timedelta(days=d), -15) for d in (60, 40, 20, 5)],
    )
    add_interactions(
        account,
        [(AS_OF - timedelta(days=200), "value_adding")]
        + [(AS_OF - timedelta(days=d), "firefighting") for d in (60, 40, 20)]
        + [(AS_OF - timedelta(days=5), "escalation")],
    )
    result = compute([account], make_version([{"kind": "decay", "bad": 70, "good": 10}]))[
        account.pk
    ]
    components = {c["key"]: c for c in result.decay_components}
    assert set(components) == {"burn", "negative_share", "days_since_value", "slope"}
    assert components["burn"]["score"] == 60  # 60 of the 100 points held 90 days ago
    assert components["negative_share"]["score"] == 100
    assert components["days_since_value"]["score"] == 100  # 200 days
    assert result.decay_score == round(0.35 * 60 + 0.25 * 100 + 0.25 * 100)
    assert result.decay_status == "in_decay"


def test_a_healthy_account_is_stable_and_in_the_success_quadrant(account):
    add_ledger(account, [(AS_OF - timedelta(days=d), 5) for d in (80, 50, 20)])
    add_interactions(
        account, [(AS_OF - timedelta(days=d), "value_adding") for d in (80, 50, 20)], minutes=60
    )
    factories.SurveyResponseFactory(account=account, score=9, responded_at=add_days(AS_OF, -10))
    factories.SubscriptionFactory(account=account, start_date=AS_OF - timedelta(days=365), mrr=1000)
    result = compute([account], make_version([{"kind": "icp_fit", "bad": 30, "good": 80}]))[
        account.pk
    ]
    assert result.decay_status == "stable"
    # revenue 3,000 over 90 days, cost 3 hours x 100 -> margin 90%
    assert result.company_happiness == 90.0
    assert result.quadrant == "success"
    economics = result.economics
    assert economics["revenue_to_date"] == pytest.approx(1000 * 365 / (365.25 / 12), rel=1e-3)
    assert float(result.lifetime_value) == pytest.approx(
        economics["revenue_to_date"] + economics["future_margin"], abs=0.02
    )
    assert result.churn_risk < 0.1


def add_days(day, n):
    from .conftest import at

    return at(day + timedelta(days=n))


def test_unhappy_costly_account_needs_a_hard_look(account):
    account.monthly_support_cost = 2000
    account.save()
    factories.SubscriptionFactory(account=account, start_date=AS_OF - timedelta(days=365), mrr=500)
    factories.SurveyResponseFactory(account=account, score=2, responded_at=add_days(AS_OF, -3))
    result = compute([account], make_version([{"kind": "icp_fit", "bad": 30, "good": 80}]))[
        account.pk
    ]
    assert result.company_happiness < 0
    assert result.quadrant == "hard_look"


def test_why_it_changed_explains_the_contribution_change_in_words(account):
    """GIVEN yesterday's snapshot with 42 searches a week WHEN usage falls to 9
    THEN today's snapshot says which measure moved, from what to what, by how many points."""
    from healthscores.models import HealthSnapshot
    from healthscores.services import health_rescore_accounts

    version = make_version(
        [
            {
                "key": "searches",
                "label": "Usage: searches per week",
                "kind": "usage",
                "bad": 0,
                "good": 50,
                "params": {"metric": "searches", "aggregation": "sum", "window_days": 7},
            },
            {"kind": "icp_fit", "bad": 30, "good": 80},
        ],
        status="published",
    )
    version.scorecard.is_default = False
    version.scorecard.segment = factories.SegmentFactory(name="Scored")
    version.scorecard.save()
    account.segment = version.scorecard.segment
    account.save()
    yesterday = AS_OF - timedelta(days=1)
    UsageMetric.objects.create(account=account, metric="searches", date=yesterday, value=42)
    health_rescore_accounts(account_ids=[account.pk], as_of=yesterday)
    UsageMetric.objects.filter(account=account).delete()
    UsageMetric.objects.create(account=account, metric="searches", date=AS_OF, value=9)
    health_rescore_accounts(account_ids=[account.pk], as_of=AS_OF)
    today = HealthSnapshot.objects.get(account=account, as_of=AS_OF)
    assert today.previous_as_of == yesterday
    [change] = today.changes
    # 42/50 -> 84 points x 1/2 = 42.0; 9/50 -> 18 x 1/2 = 9.0
    assert change["delta"] == -33.0
    assert change["sentence"] == "Usage: searches per week: fell from 42 to 9, \u221233.0 points"
    account.refresh_from_db()
    assert account.health_score == today.overall
    assert account.health_as_of == AS_OF
