"""Back-tests of a scorecard on 400 simulated accounts with behaviour-driven churn: the report
of both periods, the suggestion judged out of time, counter-intuitive measures, the API, the
page, the command and lifecycle suggestions. The simulation is loaded once for the module."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from bench.churnsim import simulate
from healthscores.models import BacktestStatus, ScoreBacktest
from healthscores.services.backtest import (
    backtest_suggestion_apply,
    score_backtest_create,
    score_backtest_process,
)
from scorecards.models import ScorecardVersion, VersionStatus
from tests.conftest import rows_kept_for_scope

from .conftest import load_simulation, make_version
from .test_backtest import SIM_END, TODAY, USAGE_MEASURES

pytestmark = pytest.mark.django_db


@pytest.fixture
def today():
    with time_machine.travel(TODAY, tick=False):
        yield TODAY


def _load_simulation():
    with time_machine.travel(TODAY, tick=False):
        data = simulate(accounts=400, weeks=70, end=SIM_END, seed=3)
        load_simulation(data)
        version = make_version(USAGE_MEASURES, status="published")
    return data, version.pk


@pytest.fixture(scope="module")
def simulation(django_db_setup, django_db_blocker):
    """400 simulated accounts with behaviour-driven churn, a published equal-weight card:
    loaded once for this module's tests (each test's changes roll back to them)."""
    with rows_kept_for_scope(django_db_blocker, _load_simulation) as loaded:
        yield loaded


@pytest.fixture
def simulated(simulation, today):
    data, version_pk = simulation
    return data, ScorecardVersion.objects.get(pk=version_pk)


def twelve_dates(data) -> dict:
    """The window the back-tests here share: 12 dates four weeks apart, the last 5 of them
    the test period."""
    start = data.first_week + timedelta(weeks=10)
    return {
        "start": start,
        "end": start + timedelta(days=28 * 11),
        "split_on": start + timedelta(days=28 * 7),
    }


def test_back_test_reports_both_periods_and_the_suggestion_judged_out_of_time(
    simulated, django_capture_on_commit_callbacks
):
    """GIVEN behaviour-driven churn WHEN back-tested over 12 dates THEN the report has the
    training and test periods (per date, tenure band, segment, band and decile) and the
    suggestion, fitted on training dates only, ranks the test period at least as well."""
    data, version = simulated
    with django_capture_on_commit_callbacks(execute=True):  # the task runs eagerly in tests
        backtest = score_backtest_create(
            version=version,
            **twelve_dates(data),
        )
    backtest.refresh_from_db()
    assert backtest.status == BacktestStatus.DONE and backtest.progress == 1.0
    report, suggestion = backtest.report, backtest.suggestion
    assert len(report["dates"]) == 12 and len(report["periods"]["test"]["dates"]) == 5
    test = report["current"]["test"]
    assert test["auc"] > 0.6 and test["auc_ci"][0] < test["auc"] < test["auc_ci"][1]
    assert [t["key"] for t in test["tenure"]] == ["new", "growing", "established"]
    assert sum(b["observations"] for b in test["bands"]) == test["observations"]
    assert sum(c["observations"] for c in test["calibration"]) == test["observations"]
    assert len(test["per_date"]) == 5 and report["embargoed"] > 0
    judged = suggestion["judged"]["test"]
    assert judged["observations"] == test["observations"]
    assert judged["auc"] >= test["auc"] - 0.01
    versus = suggestion["versus_current"]["overall"]
    assert versus["difference"] == pytest.approx(judged["auc"] - test["auc"], abs=2e-4)
    assert versus["ci"][0] <= versus["difference"] <= versus["ci"][1]
    kept = [m for m in suggestion["measures"] if "curve" in m]
    assert kept and all(m["weight"] > 0 for m in kept)
    for m in kept:  # curves rise from 0 to 100 in the direction the scorecard calls good
        scores = [p[1] for p in m["curve"]]
        assert (
            min(scores) == 0
            and max(scores) == 100
            and scores in (sorted(scores), sorted(scores)[::-1])
        )


def test_a_counter_intuitive_measure_is_shown_and_left_out_not_floored(simulated):
    """GIVEN a measure saying fewer logins is better WHEN suggested THEN it is listed as
    counter-intuitive with no weight, and applying the suggestion leaves it out of the draft."""
    data, _ = simulated
    quiet = {**USAGE_MEASURES[0], "key": "quiet", "label": "Quiet", "bad": 40, "good": 0}
    version = make_version([*USAGE_MEASURES[1:3], quiet], status="published")
    backtest = score_backtest_create(
        version=version,
        **twelve_dates(data),
    )
    backtest = score_backtest_process(backtest_id=backtest.pk)
    left = next(m for m in backtest.suggestion["measures"] if m["key"] == "quiet")
    assert "weight" not in left and left["left_out"].startswith("Counter-intuitive")
    draft = backtest_suggestion_apply(backtest=backtest)
    assert draft.status == VersionStatus.DRAFT and "Counter-intuitive" in draft.notes
    assert "quiet" not in {m.key for m in draft.measures.all()}
    ratio = draft.measures.get(key="reply_rate")
    assert ratio.params["curve"] and ratio.weight > 0
    with pytest.raises(ValidationError):  # one draft at a time
        backtest_suggestion_apply(backtest=backtest)


def test_api_starts_a_back_test_and_reads_its_report_then_applies_the_suggestion(
    simulated, org, django_capture_on_commit_callbacks
):
    from tests.api.conftest import token_client

    data, version = simulated
    admin_api = token_client(org.admin)
    start = data.first_week + timedelta(weeks=10)
    ask = {
        "scorecard_version": version.pk,
        "start": start.isoformat(),
        "end": (start + timedelta(days=28 * 11)).isoformat(),
        "split_on": (start + timedelta(days=28 * 7)).isoformat(),
    }
    bad = admin_api.post(
        "/api/v1/score-backtests/", {**ask, "split_on": "2020-01-01"}, format="json"
    )
    assert bad.status_code == 400 and "split_on" in bad.json()["errors"]
    unknown = admin_api.post("/api/v1/score-backtests/", {**ask, "folds": 3}, format="json")
    assert unknown.status_code == 400 and "folds" in unknown.json()["errors"]
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.post("/api/v1/score-backtests/", ask, format="json")
    assert response.status_code == 202 and response.json()["status"] == "queued"
    body = admin_api.get(f"/api/v1/score-backtests/{response.json()['id']}/").json()
    assert body["status"] == "done" and body["report"]["current"]["test"]["auc"] > 0.5
    assert body["suggestion"]["judged"]["test"]["observations"] > 0
    applied = admin_api.post(f"/api/v1/score-backtests/{body['id']}/apply/")
    assert applied.status_code == 201 and applied.json()["scorecard"] == version.scorecard_id
    again = admin_api.post(f"/api/v1/score-backtests/{body['id']}/apply/")
    assert again.status_code == 409  # the scorecard has a draft now


def test_the_back_test_page_shows_both_periods_and_the_chart(simulated, client, org):
    data, version = simulated
    backtest = score_backtest_create(
        version=version,
        **twelve_dates(data),
        enqueue=False,
    )
    score_backtest_process(backtest_id=backtest.pk)
    client.force_login(org.admin)
    page = client.get(f"/health/backtests/{backtest.pk}/").content.decode()
    assert "Test period (out of time)" in page and 'data-chart="backtest-dates"' in page
    assert "Suggested weights" in page and "Create a draft" in page
    assert "With data (training)" in page  # each measure's coverage
    listing = client.get("/health/backtests/").content.decode()
    assert f"/health/backtests/{backtest.pk}/" in listing


def test_the_command_prints_both_periods_and_fails_clearly_on_bad_input(simulated, capsys):
    from django.core.management import CommandError, call_command

    data, version = simulated
    start = data.first_week + timedelta(weeks=10)
    end, split = start + timedelta(days=28 * 11), start + timedelta(days=28 * 7)
    with pytest.raises(CommandError, match="split_on"):
        call_command(
            "backtest_scorecard",
            str(version.pk),
            f"--start={start}",
            f"--end={end}",
            "--split=2020-01-01",
        )
    call_command(
        "backtest_scorecard",
        str(version.pk),
        f"--start={start}",
        f"--end={end}",
        f"--split={split}",
    )
    out = capsys.readouterr().out
    assert "test  suggested AUC" in out and "train version" in out


def test_a_lifecycle_suggestion_fits_new_and_established_accounts_separately(simulated):
    """GIVEN behaviour-driven churn WHEN back-tested with new accounts = the first 90 days
    THEN each period reports both parts, the suggestion fits each part on its own training
    observations, and applying it makes a lifecycle draft (new-account copies of the measures
    keyed `-new`) that can be published."""
    from scorecards.services import scorecard_version_publish

    data, version = simulated
    backtest = score_backtest_create(
        version=version,
        **twelve_dates(data),
        new_days=90,
        enqueue=False,
    )
    backtest = score_backtest_process(backtest_id=backtest.pk)
    assert backtest.status == BacktestStatus.DONE
    test = backtest.report["current"]["test"]
    parts = {p["key"]: p for p in test["lifecycle"]}
    assert (
        parts["new"]["observations"] + parts["established"]["observations"] == test["observations"]
    )
    assert parts["new"]["observations"] == test["tenure"][0]["observations"]  # < 90 days
    suggestion = backtest.suggestion
    assert suggestion["new_days"] == 90 and set(suggestion["parts"]) == {"new", "established"}
    assert (
        sum(p["observations"] for p in suggestion["parts"].values())
        == (suggestion["training_observations"])
    )
    kept = [m for m in suggestion["measures"] if "curve" in m]
    assert {m["stage"] for m in kept} == {"new", "established"}
    assert all(m["key"].endswith("-new") for m in kept if m["stage"] == "new")
    assert suggestion["judged"]["test"]["lifecycle"][0]["auc"] is not None
    draft = backtest_suggestion_apply(backtest=backtest)
    assert draft.new_days == 90
    stages = dict(draft.measures.values_list("key", "stage"))
    assert stages == {m["key"]: m["stage"] for m in kept}
    scorecard_version_publish(version=draft, user=None)


def test_a_lifecycle_suggestion_without_measures_for_one_part_is_not_applied(simulated):
    """GIVEN a lifecycle suggestion whose established part kept no measure WHEN applied THEN
    it is refused with the reason, and no draft is made (it could not be published)."""
    data, version = simulated
    backtest = score_backtest_create(
        version=version,
        **twelve_dates(data),
        new_days=90,
        enqueue=False,
    )
    backtest = score_backtest_process(backtest_id=backtest.pk)
    suggestion = backtest.suggestion
    for m in suggestion["measures"]:
        if m["stage"] == "established":
            m.pop("curve", None)
            m["left_out"] = "No signal in the intuitive direction."
    ScoreBacktest.objects.filter(pk=backtest.pk).update(suggestion=suggestion)
    backtest.refresh_from_db()
    with pytest.raises(ValidationError, match="no measure for established accounts"):
        backtest_suggestion_apply(backtest=backtest)
    assert not version.scorecard.versions.filter(status=VersionStatus.DRAFT).exists()
