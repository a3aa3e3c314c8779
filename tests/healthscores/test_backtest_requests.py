"""Bad back-test requests are refused the same way by the API (JSON 400 naming the field),
the page (400 with the error on the field) and the management command (an error naming the
field), and nothing is queued; a back-test that fails or whose worker dies leaves no half
report."""

from datetime import date, timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from healthscores.models import BacktestStatus, ScoreBacktest
from healthscores.services.backtest import score_backtests_sweep

from .conftest import make_version

TODAY = date(2026, 12, 1)
LOGINS = {
    "key": "logins",
    "kind": "usage",
    "bad": 0,
    "good": 40,
    "params": {"metric": "logins", "window_days": 28},
}
GOOD = {
    "start": "2025-06-01",
    "end": "2026-06-01",
    "split_on": "2026-01-01",
    "step_days": 28,
    "horizon_days": 90,
}
# (what changes, the field named in the error)
BAD = {
    "no customer in the range": (
        {"start": "2010-01-01", "end": "2010-06-01", "split_on": "2010-03-01"},
        "start",
    ),
    "horizon past today": ({"end": "2026-11-01", "split_on": "2026-01-01"}, "horizon_days"),
    "split before the range": ({"split_on": "2024-01-01"}, "split_on"),
    "split after the range": ({"split_on": "2026-07-01"}, "split_on"),
    "split on the first date": ({"split_on": "2025-06-01"}, "split_on"),
    "step of 0 days": ({"step_days": 0}, "step_days"),
    "negative step": ({"step_days": -28}, "step_days"),
    "end before start": ({"start": "2026-06-01", "end": "2025-06-01"}, "end"),
    "too many dates": ({"start": "2000-01-01", "step_days": 1}, "step_days"),
    "horizon of a million days": ({"horizon_days": 1_000_000}, "horizon_days"),
    "start in the future": ({"start": "2027-01-01"}, "start"),
    "start in year 1": ({"start": "0001-01-01"}, "start"),
    "not a date": ({"end": "yesterday"}, "end"),
}


@pytest.fixture
def today():
    with time_machine.travel(TODAY, tick=False):
        yield TODAY


@pytest.fixture
def version(account):
    return make_version([LOGINS])


@pytest.mark.dates
@pytest.mark.django_db
@pytest.mark.parametrize(("change", "field"), BAD.values(), ids=BAD.keys())
def test_the_api_answers_400_naming_the_field_and_queues_nothing(
    today, org, version, change, field
):
    from tests.api.conftest import token_client

    body = {"scorecard_version": version.pk, **GOOD, **change}
    response = token_client(org.admin).post("/api/v1/score-backtests/", body, format="json")
    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("application/json")
    errors = response.json()["errors"]
    assert field in errors and all(isinstance(m, str) and m for m in errors[field])
    assert not ScoreBacktest.objects.exists()


@pytest.mark.dates
@pytest.mark.django_db
def test_a_scorecard_without_measures_is_refused_on_all_three_paths(today, org, client, account):
    from tests.api.conftest import token_client

    empty = make_version([])
    api = token_client(org.admin).post(
        "/api/v1/score-backtests/", {"scorecard_version": empty.pk, **GOOD}, format="json"
    )
    assert api.status_code == 400
    assert "no measures" in api.json()["errors"]["scorecard_version"][0]
    client.force_login(org.admin)
    page = client.post("/health/backtests/", {"version": empty.pk, **GOOD})
    assert page.status_code == 400 and "no measures" in page.content.decode()
    with pytest.raises(CommandError, match="scorecard_version: .*no measures"):
        _command(empty.pk, GOOD)
    assert not ScoreBacktest.objects.exists()


PAGE_CASES = {k: BAD[k] for k in ("no customer in the range", "horizon past today")}
PAGE_CASES |= {k: BAD[k] for k in ("split after the range", "step of 0 days", "end before start")}
PAGE_CASES |= {k: BAD[k] for k in ("too many dates", "start in the future", "not a date")}


@pytest.mark.dates
@pytest.mark.django_db
@pytest.mark.parametrize(("change", "field"), PAGE_CASES.values(), ids=PAGE_CASES.keys())
def test_the_page_answers_400_with_the_error_on_the_field(
    today, org, client, version, change, field
):
    client.force_login(org.admin)
    response = client.post("/health/backtests/", {"version": version.pk, **GOOD, **change})
    assert response.status_code == 400
    form = response.context["form"]
    assert field in form.errors, form.errors
    assert str(form.errors[field][0]) in response.content.decode().replace("&#x27;", "'")
    assert not ScoreBacktest.objects.exists()


COMMAND_CASES = {k: BAD[k] for k in ("no customer in the range", "horizon past today")}
COMMAND_CASES |= {k: BAD[k] for k in ("split before the range", "step of 0 days")}
COMMAND_CASES |= {k: BAD[k] for k in ("end before start", "horizon of a million days")}
COMMAND_CASES |= {k: BAD[k] for k in ("start in year 1", "too many dates")}


def _command(version_id: int, ask: dict) -> None:
    call_command(
        "backtest_scorecard",
        str(version_id),
        f"--start={ask['start']}",
        f"--end={ask['end']}",
        f"--split={ask['split_on']}",
        f"--step={ask['step_days']}",
        f"--horizon={ask['horizon_days']}",
    )


@pytest.mark.dates
@pytest.mark.django_db
@pytest.mark.parametrize(("change", "field"), COMMAND_CASES.values(), ids=COMMAND_CASES.keys())
def test_the_command_fails_naming_the_field(today, version, change, field):
    with pytest.raises(CommandError, match=f"{field}: "):
        _command(version.pk, {**GOOD, **change})
    assert not ScoreBacktest.objects.exists()


@pytest.mark.django_db
def test_a_failed_back_test_cannot_hold_figures(version):
    """The database itself refuses a report on a back-test that is not done."""
    backtest = ScoreBacktest.objects.create(
        scorecard_version=version,
        start=date(2025, 6, 1),
        end=date(2026, 6, 1),
        split_on=date(2026, 1, 1),
        status=BacktestStatus.FAILED,
    )
    for status in (BacktestStatus.FAILED, BacktestStatus.RUNNING):
        with pytest.raises(IntegrityError), transaction.atomic():
            ScoreBacktest.objects.filter(pk=backtest.pk).update(
                status=status, report={"observations": 3}
            )


@pytest.mark.django_db
def test_the_sweeper_fails_a_back_test_whose_worker_stopped_beating(version):
    """GIVEN a back-test left running by a dead worker, one still beating and one done WHEN
    the sweeper runs THEN only the silent one is failed, with a message and no report."""
    now = timezone.now()
    ask = {"start": date(2025, 6, 1), "end": date(2026, 6, 1), "split_on": date(2026, 1, 1)}

    def make(status, minutes_ago, report=None):
        return ScoreBacktest.objects.create(
            scorecard_version=version,
            status=status,
            heartbeat_at=now - timedelta(minutes=minutes_ago),
            report=report,
            **ask,
        )

    dead = make(BacktestStatus.RUNNING, 45)
    alive = make(BacktestStatus.RUNNING, 2)
    done = make(BacktestStatus.DONE, 45, report={"observations": 1})
    assert score_backtests_sweep(now=now) == [dead.pk]
    dead.refresh_from_db()
    assert dead.status == BacktestStatus.FAILED and "worker" in dead.error
    assert dead.report is None and dead.suggestion is None and dead.finished_at == now
    alive.refresh_from_db()
    done.refresh_from_db()
    assert alive.status == BacktestStatus.RUNNING and done.status == BacktestStatus.DONE


def _wait_until(predicate, seconds: float = 60) -> bool:
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.3)
    return False


REFUSE_PROGRESS_PAST_HALF = """
CREATE FUNCTION backtest_test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'could not extend file: No space left on device (test)'; END $$;
CREATE TRIGGER backtest_test_refuse BEFORE UPDATE ON healthscores_scorebacktest FOR EACH ROW
WHEN (NEW.status = 'running' AND NEW.progress >= 0.5) EXECUTE FUNCTION backtest_test_refuse();
"""


@pytest.fixture
def database_refuses_progress_past_half(transactional_db):
    """The database fails the back-test's writes from half-way on (as a full disk would)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(REFUSE_PROGRESS_PAST_HALF)
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER backtest_test_refuse ON healthscores_scorebacktest")
        cursor.execute("DROP FUNCTION backtest_test_refuse()")


@pytest.mark.services
def test_on_a_real_worker_a_failing_back_test_and_a_dead_one_end_failed_without_figures(
    celery_worker, database_refuses_progress_past_half, org, client, account
):
    """GIVEN a real Celery worker WHEN a back-test fails mid-run (the database refuses its
    progress half-way, after its inputs were read) THEN it ends failed with the error and no
    report, on the API and the page; and WHEN a back-test's worker died (running, silent for
    an hour) THEN beat's sweeper task on the worker fails it the same way."""
    from healthscores.tasks import sweep_backtests
    from tests.api.conftest import token_client

    version = make_version([LOGINS])
    api = token_client(org.admin)
    today = timezone.localdate()
    end = today - timedelta(days=120)
    ask = {
        "scorecard_version": version.pk,
        "start": (end - timedelta(days=28 * 6)).isoformat(),
        "end": end.isoformat(),
        "split_on": (end - timedelta(days=28 * 2)).isoformat(),
    }
    account.contract_start = end - timedelta(days=400)
    account.save(update_fields=["contract_start"])
    created = api.post("/api/v1/score-backtests/", ask, format="json")
    assert created.status_code == 202, created.content
    pk = created.json()["id"]
    assert _wait_until(
        lambda: ScoreBacktest.objects.get(pk=pk).status == BacktestStatus.FAILED, 120
    )
    body = api.get(f"/api/v1/score-backtests/{pk}/").json()
    assert body["status"] == "failed" and "No space left on device" in body["error"]
    assert body["report"] is None and body["suggestion"] is None
    client.force_login(org.admin)
    page = client.get(f"/health/backtests/{pk}/").content.decode()
    assert "failed and left no report" in page and "Test period" not in page

    dead = ScoreBacktest.objects.create(
        scorecard_version=version,
        start=date(2025, 6, 1),
        end=date(2026, 6, 1),
        split_on=date(2026, 1, 1),
        status=BacktestStatus.RUNNING,
        progress=0.25,
        heartbeat_at=timezone.now() - timedelta(hours=1),
    )
    assert sweep_backtests.delay().get(timeout=120, disable_sync_subtasks=False) == [dead.pk]
    body = api.get(f"/api/v1/score-backtests/{dead.pk}/").json()
    assert body["status"] == "failed" and "worker" in body["error"]
    assert body["report"] is None and body["suggestion"] is None
