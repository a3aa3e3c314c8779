"""Health over the API: current snapshot with breakdown, history, why-changed, runs, back-tests."""

from datetime import timedelta

import pytest
from django.utils import timezone

from healthscores.models import HealthSnapshot, RunStatus, ScoreRun, ScoreValidation
from healthscores.services import health_rescore_accounts
from scorecards.models import VersionStatus
from scorecards.services import scorecard_default_ensure
from tests import factories

from .conftest import token_client


@pytest.fixture
def scored(org):
    """GIVEN csm_a1's first account scored yesterday and again today, with an escalation in
    between so the score moves."""
    account = org.accounts["csm_a1"][0]
    today = timezone.localdate()
    health_rescore_accounts(account_ids=[account.pk], as_of=today - timedelta(days=1))
    factories.InteractionFactory(account=account, category="escalation", severity=4)
    factories.InteractionFactory(account=account, category="firefighting")
    health_rescore_accounts(account_ids=[account.pk], as_of=today)
    return account


def test_current_health_shows_score_band_and_per_measure_breakdown(api, scored):
    response = api.get(f"/api/v1/accounts/{scored.pk}/health/")
    assert response.status_code == 200
    body = response.json()
    snapshot = HealthSnapshot.objects.get(account=scored, as_of=timezone.localdate())
    assert body["as_of"] == timezone.localdate().isoformat()
    assert body["overall"] == snapshot.overall and body["band"] == snapshot.band
    assert [m["key"] for m in body["measures"]] == [m["key"] for m in snapshot.measures]
    total = sum(m["contribution"] for m in body["measures"])
    assert abs(total - body["overall"]) <= 1  # the breakdown adds up to the score
    assert body["scorecard"] and body["scorecard_version_number"] >= 1
    assert body["decay_status"] in {"stable", "decaying", "in_decay"}


def test_why_changed_names_the_previous_snapshot_and_explains_each_change(api, scored):
    body = api.get(f"/api/v1/accounts/{scored.pk}/health/why-changed/").json()
    snapshot = HealthSnapshot.objects.get(account=scored, as_of=timezone.localdate())
    assert body["previous_as_of"] == (timezone.localdate() - timedelta(days=1)).isoformat()
    assert body["changes"] and body["changes"] == snapshot.changes
    for change in body["changes"]:
        assert change["sentence"] and change["label"]


def test_a_crm_sync_reads_health_by_the_accounts_external_id(api, org, scored):
    """GIVEN a scored account known to the CRM by its external_id WHEN the sync asks for its
    health, history and why-changed by that id THEN it gets exactly what the id routes give;
    another CSM's account, an unknown id and an over-long id are 404."""
    by_id = f"/api/v1/accounts/{scored.pk}/health/"
    by_ext = f"/api/v1/accounts/external/{scored.external_id}/health/"
    for suffix in ("", "history/", "why-changed/"):
        response = api.get(by_ext + suffix)
        assert response.status_code == 200
        assert response.json() == api.get(by_id + suffix).json()
    other = org.accounts["csm_b1"][0]
    assert api.get(f"/api/v1/accounts/external/{other.external_id}/health/").status_code == 404
    assert api.get("/api/v1/accounts/external/no-such-id/health/").status_code == 404
    assert (
        api.get(f"/api/v1/accounts/external/{scored.external_id}{'x' * 100}/health/").status_code
        == 404
    )


def test_history_lists_daily_points_oldest_first_and_validates_days(api, scored):
    body = api.get(f"/api/v1/accounts/{scored.pk}/health/history/?days=30").json()
    assert [p["as_of"] for p in body["points"]] == [
        (timezone.localdate() - timedelta(days=1)).isoformat(),
        timezone.localdate().isoformat(),
    ]
    assert body["days"] == 30
    assert api.get(f"/api/v1/accounts/{scored.pk}/health/history/?days=0").status_code == 400
    assert api.get(f"/api/v1/accounts/{scored.pk}/health/history/?until=x").status_code == 400


def test_unscored_and_invisible_accounts_answer_404(api, org):
    unscored = org.accounts["csm_a1"][1]
    response = api.get(f"/api/v1/accounts/{unscored.pk}/health/")
    assert response.status_code == 404
    assert "no health snapshot" in response.json()["message"]
    other = org.accounts["csm_b1"][0]
    health_rescore_accounts(account_ids=[other.pk])
    assert api.get(f"/api/v1/accounts/{other.pk}/health/").status_code == 404
    assert api.get(f"/api/v1/accounts/{other.pk}/health/history/").status_code == 404


def test_admin_starts_a_score_run_and_polls_it_to_completion(
    admin_api, org, django_capture_on_commit_callbacks
):
    """GIVEN six customer accounts WHEN an admin posts today's date THEN a run starts (202),
    its chunks run on the (eager) workers after commit, and polling shows it completed."""
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.post(
            "/api/v1/score-runs/", {"as_of": today.isoformat()}, format="json"
        )
    assert response.status_code == 202
    run_id = response.json()["id"]
    assert response.json()["trigger"] == "manual"
    run = admin_api.get(f"/api/v1/score-runs/{run_id}/").json()
    assert run["status"] == RunStatus.COMPLETED
    assert run["scored_accounts"] == run["total_accounts"] == 6
    assert run["progress"]["percent"] == 100 and run["failures"] == []
    listed = admin_api.get("/api/v1/score-runs/").json()["results"]
    assert [r["id"] for r in listed] == [run_id]


def test_a_second_post_for_the_same_date_joins_the_run_unless_forced(admin_api, org):
    past = (timezone.localdate() - timedelta(days=3)).isoformat()
    first = admin_api.post("/api/v1/score-runs/", {"as_of": past}, format="json").json()
    again = admin_api.post("/api/v1/score-runs/", {"as_of": past}, format="json").json()
    assert first["id"] == again["id"]
    assert first["trigger"] == "backfill" and first["status"] == "running"
    assert first["progress"]["open"] == first["chunks_total"] == 1
    assert ScoreRun.objects.count() == 1


def test_score_runs_reject_future_dates_and_non_admins(admin_api, org):
    future = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = admin_api.post("/api/v1/score-runs/", {"as_of": future}, format="json")
    assert response.status_code == 400 and "as_of" in response.json()["errors"]
    assert admin_api.post("/api/v1/score-runs/", {}, format="json").status_code == 400
    manager = token_client(org.manager_a)
    assert manager.get("/api/v1/score-runs/").status_code == 200
    today = timezone.localdate().isoformat()
    assert manager.post("/api/v1/score-runs/", {"as_of": today}, format="json").status_code == 403
    assert token_client(org.csm_a1).get("/api/v1/score-runs/").status_code == 403


def test_back_test_reports_auc_lift_band_churn_and_weights(admin_api, org):
    """GIVEN a portfolio where some accounts churned after the back-test date WHEN an admin
    back-tests the published default scorecard THEN the result counts accounts and churns and
    returns one suggested weight per measure."""
    as_of = timezone.localdate() - timedelta(days=120)
    for i in range(4):
        factories.AccountFactory(
            owner=org.csm_a1, stage="churned", churned_on=as_of + timedelta(days=10 + i)
        )
    version = scorecard_default_ensure()
    response = admin_api.post(
        "/api/v1/score-validation/",
        {"scorecard_version": version.pk, "as_of": as_of.isoformat(), "horizon_days": 90},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["accounts"] == 10 and body["churned"] == 4
    assert body["roc_auc"] is not None and 0 <= body["roc_auc"] <= 1
    assert sum(b["accounts"] for b in body["band_rates"]) == 10
    assert {w["key"] for w in body["suggested_weights"]} == {m.key for m in version.measures.all()}
    assert admin_api.get(f"/api/v1/score-validation/{body['id']}/").json() == body


def test_back_test_rejects_future_horizons_and_archived_versions(admin_api, org):
    version = scorecard_default_ensure()
    recent = (timezone.localdate() - timedelta(days=10)).isoformat()
    response = admin_api.post(
        "/api/v1/score-validation/",
        {"scorecard_version": version.pk, "as_of": recent, "horizon_days": 90},
        format="json",
    )
    # the outcome is not known yet: a conflict with today, not a malformed request
    assert response.status_code == 409 and "horizon_days" in response.json()["errors"]
    version.status = VersionStatus.ARCHIVED
    version.save(update_fields=["status"])
    response = admin_api.post(
        "/api/v1/score-validation/",
        {"scorecard_version": version.pk, "as_of": "2025-01-01"},
        format="json",
    )
    # an archived version looks like a missing one: 404 naming the field
    assert response.status_code == 404 and "scorecard_version" in response.json()["errors"]
    assert ScoreValidation.objects.count() == 0


def test_scorecards_show_versions_with_measures_and_bands(api, org):
    version = scorecard_default_ensure()
    scorecards = api.get("/api/v1/scorecards/").json()["results"]
    assert scorecards[0]["is_default"] and scorecards[0]["versions"][0]["status"] == "published"
    body = api.get(f"/api/v1/scorecard-versions/{version.pk}/").json()
    assert len(body["measures"]) == version.measures.count()
    assert [b["min_score"] for b in body["bands"]] == sorted(b["min_score"] for b in body["bands"])


def test_only_admins_publish_and_only_drafts_can_be_published(api, admin_api, org):
    from scorecards.services import scorecard_version_draft_create

    published = scorecard_default_ensure()
    draft = scorecard_version_draft_create(scorecard=published.scorecard, user=org.admin)
    assert api.post(f"/api/v1/scorecard-versions/{draft.pk}/publish/").status_code == 403
    response = admin_api.post(f"/api/v1/scorecard-versions/{draft.pk}/publish/")
    assert response.status_code == 200 and response.json()["status"] == "published"
    published.refresh_from_db()
    assert published.status == VersionStatus.ARCHIVED
    # Published now, so immutable: publishing it again is a conflict with its state.
    assert admin_api.post(f"/api/v1/scorecard-versions/{draft.pk}/publish/").status_code == 409


@pytest.mark.parametrize("rows", [2, 25])
def test_run_validation_and_scorecard_lists_run_constant_queries(
    admin_api, org, rows, django_assert_max_num_queries
):
    version = scorecard_default_ensure()
    for i in range(rows):
        run = ScoreRun.objects.create(
            as_of=timezone.localdate() - timedelta(days=i), trigger="manual"
        )
        run.chunks.create(lo_id=1, hi_id=5, expected_accounts=5)
        ScoreValidation.objects.create(
            scorecard_version=version, as_of=run.as_of, accounts=0, churned=0
        )
    # token lookup + last-used touch + the page + chunk progress for the page.
    with django_assert_max_num_queries(4):
        assert len(admin_api.get("/api/v1/score-runs/").json()["results"]) == rows
    with django_assert_max_num_queries(3):
        assert len(admin_api.get("/api/v1/score-validation/").json()["results"]) == rows
    # + versions prefetch; + measures and bands prefetches.
    with django_assert_max_num_queries(4):
        assert admin_api.get("/api/v1/scorecards/").status_code == 200
    with django_assert_max_num_queries(5):
        assert admin_api.get("/api/v1/scorecard-versions/").status_code == 200
