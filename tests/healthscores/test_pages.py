"""Health pages: score runs with Recompute now, validation, the account health panel."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Stage
from healthscores.models import HealthSnapshot, ScoreRun, ScoreValidation
from healthscores.services import health_rescore_accounts
from scorecards.models import ManualMeasureValue, Scorecard, ScorecardVersion

from .conftest import add_interactions

pytestmark = pytest.mark.django_db


def test_runs_page_is_for_admins_and_managers(client, org):
    client.force_login(org.csm_a1)
    assert client.get(reverse("healthscores:runs")).status_code == 403
    client.force_login(org.manager_a)
    page = client.get(reverse("healthscores:runs"))
    assert page.status_code == 200
    assert b'<button class="primary" type="submit">Recompute now' not in page.content
    assert client.post(reverse("healthscores:recompute")).status_code == 403


def test_recompute_now_scores_the_portfolio_and_the_page_shows_progress(
    client, org, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    """GIVEN an admin on the runs page WHEN they press Recompute now (the chunks run eagerly
    after commit) THEN every customer is scored and the run is listed as completed."""
    client.force_login(org.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("healthscores:recompute"))
    assert response.status_code == 302
    run = ScoreRun.objects.get()
    assert run.status == "completed" and run.scored_accounts == 6
    # session + user, runs, chunk progress: constant whatever the number of runs
    with django_assert_max_num_queries(6):
        page = client.get(reverse("healthscores:runs"))
    assert b"Completed" in page.content and b"6/6" in page.content
    detail = client.get(reverse("healthscores:run_detail", args=[run.pk]))
    assert detail.status_code == 200 and b"100%" in detail.content


def test_an_admin_back_tests_a_scorecard_and_copies_suggested_weights_into_a_draft(client, org):
    today = timezone.localdate()
    accounts = [a for group in org.accounts.values() for a in group]
    for i, account in enumerate(accounts):
        account.icp_fit = 10 + 15 * i
        account.contract_start = today - timedelta(days=400)
        if i < 2:
            account.stage, account.churned_on = Stage.CHURNED, today - timedelta(days=20)
        account.save()
    client.force_login(org.admin)
    version = Scorecard.objects.get(is_default=True).versions.get(status="published")
    response = client.post(
        reverse("healthscores:validation"),
        {
            "version": version.pk,
            "as_of": (today - timedelta(days=60)).isoformat(),
            "horizon_days": 50,
        },
    )
    result = ScoreValidation.objects.get()
    assert response.url == reverse("healthscores:validation_detail", args=[result.pk])
    assert (result.accounts, result.churned) == (6, 2)
    page = client.get(response.url)
    assert b'data-chart="validation-bands"' in page.content and b"Suggested weights" in page.content
    response = client.post(reverse("healthscores:validation_apply", args=[result.pk]))
    draft = ScorecardVersion.objects.get(status="draft")
    assert response.url == reverse("scorecards:version_edit", args=[draft.pk])
    suggested = {w["key"]: w["suggested_weight"] for w in result.suggested_weights}
    assert dict(draft.measures.values_list("key", "weight")) == suggested
    assert version.measures.get(key="icp_fit").weight == 10  # published rules untouched


def test_a_validation_of_a_future_date_shows_a_field_error(client, org):
    client.force_login(org.admin)
    version = Scorecard.objects.get(is_default=True).versions.get(status="published")
    response = client.post(
        reverse("healthscores:validation"),
        {"version": version.pk, "as_of": timezone.localdate().isoformat(), "horizon_days": 90},
    )
    assert response.status_code == 200 and response.context["form"].errors["as_of"]


def test_the_account_page_shows_score_breakdown_and_why_it_changed(client, org):
    """GIVEN an account scored yesterday WHEN escalations arrive and it is rescored today
    THEN its page shows the score, band, the breakdown table and why it changed."""
    account = org.accounts["csm_a1"][0]
    today = timezone.localdate()
    add_interactions(account, [(today - timedelta(days=3), "value_adding")])
    health_rescore_accounts(account_ids=[account.pk], as_of=today - timedelta(days=1))
    add_interactions(account, [(today, "escalation")] * 6)
    health_rescore_accounts(account_ids=[account.pk], as_of=today)
    snapshot = HealthSnapshot.objects.get(account=account, as_of=today)
    client.force_login(org.csm_a1)
    page = client.get(reverse("accounts:detail", args=[account.pk])).content.decode()
    assert f">{snapshot.overall} <" in page
    assert "Why it changed" in page and snapshot.changes[0]["sentence"] in page
    assert "Breakdown" in page and "Relationship + value share of last 10 interactions" in page
    assert "Decay components" in page and "Lifetime value" in page


def test_a_csm_enters_a_manual_score_with_a_reason(client, org):
    account = org.accounts["csm_a1"][0]
    health_rescore_accounts(account_ids=[account.pk])
    client.force_login(org.csm_a1)
    url = reverse("healthscores:manual_value", args=[account.pk])
    client.post(url, {"measure_key": "csm_pulse", "score": 85, "reason": "Exec sponsor engaged"})
    value = ManualMeasureValue.objects.get(account=account)
    assert (value.score, value.valid_until - value.valid_from) == (85, timedelta(days=30))
    client.post(url, {"measure_key": "csm_pulse", "score": 185, "reason": "typo"})
    assert ManualMeasureValue.objects.count() == 1
    other = org.accounts["csm_b1"][0]
    response = client.post(
        reverse("healthscores:manual_value", args=[other.pk]),
        {"measure_key": "csm_pulse", "score": 50, "reason": "x"},
    )
    assert response.status_code == 404


def test_a_manager_runs_a_validation_and_only_an_admin_applies_its_weights(client, org):
    """GIVEN a manager WHEN they open Score validation THEN they see the demo-style past
    result, run a back-test of their own from the form and open it; copying its suggested
    weights into a scorecard draft stays an admin's move, and a CSM gets neither page."""
    today = timezone.localdate()
    version = Scorecard.objects.get(is_default=True).versions.get(status="published")
    from healthscores.services import score_validation_run

    earlier = score_validation_run(
        version=version, as_of=today - timedelta(days=60), horizon_days=50
    )
    client.force_login(org.manager_a)
    page = client.get(reverse("healthscores:validation")).content.decode()
    assert "Run back-test" in page and "Admins run back-tests" not in page
    # The form starts on the version that scores the portfolio today: one click runs it.
    assert f'<option value="{version.pk}" selected>' in page
    assert reverse("healthscores:validation_detail", args=[earlier.pk]) in page
    response = client.post(
        reverse("healthscores:validation"),
        {"version": version.pk, "as_of": today - timedelta(days=40), "horizon_days": 30},
    )
    mine = ScoreValidation.objects.exclude(pk=earlier.pk).get()
    assert response.status_code == 302
    assert response["Location"] == reverse("healthscores:validation_detail", args=[mine.pk])
    detail = client.get(response["Location"])
    assert detail.status_code == 200
    assert b"Copy these weights into a draft" not in detail.content
    assert client.post(reverse("healthscores:validation_apply", args=[mine.pk])).status_code == 403
    backtests = client.get(reverse("healthscores:backtests")).content.decode()
    assert "Start back-test" in backtests
    client.force_login(org.csm_a1)
    assert client.get(reverse("healthscores:validation")).status_code == 403
    assert client.post(reverse("healthscores:validation"), {}).status_code == 403
    assert client.post(reverse("healthscores:backtests"), {}).status_code == 403
    assert ScoreValidation.objects.count() == 2
