"""Scorecards by lifecycle: new accounts (first `new_days` of tenure) and established ones are
scored with their own measures, chosen by tenure on the scoring date; the API and the editor
keep the split consistent."""

from datetime import date, timedelta

import numpy as np
import pytest

from accounts.models import UsageMetric
from healthscores.services import AccountBlock, health_compute
from healthscores.services.backtest import observations_collect, overall_scores
from healthscores.services.measures import measure_rules
from scorecards.models import Measure, ScorecardVersion
from tests import factories
from tests.api.conftest import token_client
from tests.healthscores.conftest import make_version
from tests.scorecards.test_scorecards import _edit_data

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 6, 30)
SPLIT = [
    {
        "key": "logins-new",
        "kind": "usage",
        "bad": 0,
        "good": 100,
        "stage": "new",
        "params": {"metric": "logins", "aggregation": "sum", "window_days": 28},
    },
    {"key": "tenure", "kind": "tenure", "bad": 0, "good": 730, "stage": "established"},
    {"key": "icp", "kind": "icp_fit", "bad": 0, "good": 100},
]


def _lifecycle_version(status="draft") -> ScorecardVersion:
    version = make_version(SPLIT, status=status)
    version.new_days = 90
    version.save()
    return version


def _scored_keys(account, version, as_of) -> set[str]:
    [result] = health_compute(block=AccountBlock(ids=(account.pk,)), as_of=as_of, version=version)
    return {m["key"] for m in result.measures}


@pytest.mark.parametrize(
    ("tenure", "part"), [(0, "new"), (89, "new"), (90, "established"), (400, "established")]
)
def test_the_part_that_scores_an_account_follows_its_tenure_on_the_scoring_date(tenure, part):
    """GIVEN a scorecard whose accounts are new for 90 days WHEN an account is scored THEN its
    tenure on that date picks the measures: new ones before day 90, established from it;
    measures for all accounts count in both."""
    version = _lifecycle_version()
    account = factories.AccountFactory(owner=None, contract_start=AS_OF - timedelta(days=tenure))
    expected = {"logins-new", "icp"} if part == "new" else {"tenure", "icp"}
    assert _scored_keys(account, version, AS_OF) == expected


def test_a_back_dated_score_uses_the_part_the_account_was_in_then():
    """GIVEN an account 200 days old today WHEN scored as of 150 days ago (50 days old then)
    THEN it was a new account on that date, and established today."""
    version = _lifecycle_version()
    account = factories.AccountFactory(owner=None, contract_start=AS_OF - timedelta(days=200))
    assert _scored_keys(account, version, AS_OF - timedelta(days=150)) == {"logins-new", "icp"}
    assert _scored_keys(account, version, AS_OF) == {"tenure", "icp"}


def test_the_back_test_scores_each_part_as_the_nightly_run_does():
    """The back-test's array scoring picks the same part per observation as a snapshot."""
    version = _lifecycle_version()
    accounts = [
        factories.AccountFactory(
            owner=None, icp_fit=30 + 10 * i, contract_start=AS_OF - timedelta(days=days)
        )
        for i, days in enumerate((10, 60, 89, 90, 300, 1000))
    ]
    UsageMetric.objects.bulk_create(
        UsageMetric(account=a, metric="logins", date=AS_OF - timedelta(days=3), value=20.0 * i)
        for i, a in enumerate(accounts)
    )
    nightly = {
        r.account_id: r.overall
        for r in health_compute(
            block=AccountBlock(ids=tuple(a.pk for a in accounts)), as_of=AS_OF, version=version
        )
    }
    rules = measure_rules(version.measures.all())
    obs = observations_collect(rules=rules, scope=None, dates=[AS_OF], horizon_days=90)
    scores = overall_scores(rules, obs.raws, tenure=obs.tenure, new_days=version.new_days)
    assert dict(zip(obs.account.tolist(), scores.tolist(), strict=True)) == nightly
    # without the split every measure counts for everyone: a different score for the young
    plain = overall_scores(rules, obs.raws)
    assert not np.array_equal(plain, scores)


def test_api_edits_a_lifecycle_draft_and_rejects_inconsistent_settings(org):
    """GIVEN a draft WHEN an integrator sets its split and adds a measure for new accounts THEN
    both are stored; a measure for one part without a split, removing the split under such a
    measure, and publishing with no measure for established accounts are 409s (the draft as
    it stands forbids them) naming the reason; a lifecycle measure whose established_days is not
    above its new_days has no growing stage."""
    api = token_client(org.admin)
    draft = make_version([{"key": "icp", "kind": "icp_fit", "bad": 0, "good": 100}])
    factories.SegmentFactory()
    staged = {
        "version": draft.pk,
        "key": "logins-new",
        "label": "Logins, first 90 days",
        "kind": "usage",
        "weight": 20,
        "bad": 0,
        "good": 50,
        "stage": "new",
        "params": {"metric": "logins", "aggregation": "sum", "window_days": 28},
    }
    refused = api.post("/api/v1/scorecard-measures/", staged, format="json")
    assert refused.status_code == 409 and "new_days" in refused.json()["errors"]["stage"][0]
    bad_split = api.patch(f"/api/v1/scorecard-versions/{draft.pk}/", {"new_days": 0}, format="json")
    assert bad_split.status_code == 400 and "new_days" in bad_split.json()["errors"]
    answer = api.patch(f"/api/v1/scorecard-versions/{draft.pk}/", {"new_days": 90}, format="json")
    assert answer.status_code == 200 and answer.json()["new_days"] == 90
    created = api.post("/api/v1/scorecard-measures/", staged, format="json")
    assert created.status_code == 201 and created.json()["stage"] == "new"
    unsplit = api.patch(
        f"/api/v1/scorecard-versions/{draft.pk}/", {"new_days": None}, format="json"
    )
    assert unsplit.status_code == 409 and "new_days" in unsplit.json()["errors"]
    lifecycle = {
        **staged,
        "key": "stage",
        "kind": "lifecycle",
        "stage": "all",
        "bad": 0,
        "good": 2,
        "params": {"new_days": 120, "established_days": 100},
    }
    two_stages = api.post("/api/v1/scorecard-measures/", lifecycle, format="json")
    assert two_stages.status_code == 201, two_stages.json()
    api.delete(f"/api/v1/scorecard-measures/{two_stages.json()['id']}/")
    # with the only other measure also for new accounts, nothing scores established ones
    icp = Measure.objects.get(version=draft, key="icp")
    api.patch(f"/api/v1/scorecard-measures/{icp.pk}/", {"stage": "new"}, format="json")
    published = api.post(f"/api/v1/scorecard-versions/{draft.pk}/publish/")
    assert published.status_code == 409 and "established accounts" in str(published.json())
    api.patch(f"/api/v1/scorecard-measures/{icp.pk}/", {"stage": "established"}, format="json")
    published = api.post(f"/api/v1/scorecard-versions/{draft.pk}/publish/")
    assert published.status_code == 200 and published.json()["new_days"] == 90


def test_a_new_draft_keeps_the_lifecycle_split_of_the_published_version(org):
    version = _lifecycle_version(status="published")
    api = token_client(org.admin)
    answer = api.post(f"/api/v1/scorecards/{version.scorecard_id}/draft/")
    assert answer.status_code == 201 and answer.json()["new_days"] == 90
    stages = {m["key"]: m["stage"] for m in answer.json()["measures"]}
    assert stages == {"logins-new": "new", "tenure": "established", "icp": "all"}


def test_the_editor_saves_the_split_and_each_measures_part(client, org):
    """GIVEN a plain draft WHEN the admin sets "new for the first 60 days" and moves a measure
    to new accounts THEN both are saved; moving it back without a split is refused on the page."""
    draft = make_version([{**SPLIT[0], "stage": "all"}, SPLIT[2]])
    client.force_login(org.admin)
    url = f"/scorecards/versions/{draft.pk}/edit/"
    page = client.get(url)
    assert page.status_code == 200 and 'name="new_days"' in page.content.decode()
    data = _edit_data(page)
    data["new_days"] = 60
    data["measures-0-stage"] = "new"
    response = client.post(url, data)
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.new_days == 60
    assert dict(draft.measures.values_list("key", "stage")) == {"logins-new": "new", "icp": "all"}
    data["new_days"] = ""
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Only a scorecard by lifecycle has measures for new" in response.content.decode()
    draft.refresh_from_db()
    assert draft.new_days == 60


def test_coverage_counts_a_part_measure_against_the_accounts_of_its_part():
    """GIVEN one new and two established accounts WHEN the editor's coverage is read THEN the
    measure for new accounts is judged on the one new account, not on all three."""
    from healthscores.services.validation import measure_coverage

    version = _lifecycle_version()
    young = factories.AccountFactory(owner=None, contract_start=AS_OF - timedelta(days=20))
    for days in (200, 900):
        factories.AccountFactory(owner=None, contract_start=AS_OF - timedelta(days=days))
    UsageMetric.objects.create(account=young, metric="logins", date=AS_OF, value=5)
    results = health_compute(block=AccountBlock(lo=0, hi=10**9), as_of=AS_OF, version=version)
    coverage = {c["key"]: c for c in measure_coverage(version=version, results=results)}
    assert (coverage["logins-new"]["with_data"], coverage["logins-new"]["without_data"]) == (1, 0)
    assert coverage["tenure"]["with_data"] + coverage["tenure"]["without_data"] == 2
    assert coverage["icp"]["with_data"] + coverage["icp"]["without_data"] == 3
