"""Demo health history: back-dated snapshots for the last 90 days (weekly, then daily for the
last 30), so trends, charts and "why it changed" have data from the first minute."""

from datetime import timedelta

from core.progress import Progress
from healthscores.models import HealthSnapshot, RunTrigger
from healthscores.services import score_run_in_process


def history_days(today) -> list:
    weekly = [today - timedelta(days=d) for d in range(89, 30, -7)]
    daily = [today - timedelta(days=d) for d in range(30, 0, -1)]
    return [*weekly, *daily]


def seed(*, rng, today, stdout, **_) -> None:
    days = history_days(today)
    done = set(
        HealthSnapshot.objects.filter(as_of__gte=days[0], as_of__lte=today)
        .values_list("as_of", flat=True)
        .distinct()
    )
    todo = [d for d in days if d not in done]
    with Progress("health history", len(todo) + 1, stream=stdout) as progress:
        for day in todo:
            score_run_in_process(as_of=day, trigger=RunTrigger.BACKFILL, force=False)
            progress.advance()
        # Today as a nightly run: it raises the alerts that later steps turn into CTAs.
        run = score_run_in_process(as_of=today, trigger=RunTrigger.NIGHTLY, force=False)
        progress.advance()
    stdout.write(
        f"health: {len(todo)} back-dated days scored, today {run.scored_accounts} accounts "
        f"({run.alerts_raised} alerts)"
    )
    _validation(today, stdout)
    _backtest(today, stdout)


def _default_published_version():
    """The published version of the default scorecard, which the demo's validation and
    back-test judge (None before one is published)."""
    from scorecards.models import ScorecardVersion, VersionStatus

    return ScorecardVersion.objects.filter(
        scorecard__is_default=True, status=VersionStatus.PUBLISHED
    ).first()


def _validation(today, stdout) -> None:
    """One back-test of the published default scorecard, so Score validation shows what it
    does from the first minute: scored as of 70 days ago against who churned in the 60 days
    after."""
    from healthscores.models import ScoreValidation
    from healthscores.services import score_validation_run

    if ScoreValidation.objects.exists():
        return
    version = _default_published_version()
    if version is None:
        return
    result = score_validation_run(
        version=version, as_of=today - timedelta(days=70), horizon_days=60
    )
    stdout.write(
        f"health: score validation as of {result.as_of}: {result.accounts} accounts, "
        f"{result.churned} churned within {result.horizon_days} days"
    )


def _backtest(today, stdout) -> None:
    """One finished back-test over time of the published default scorecard, so "Back-tests
    over time" has a report and its chart from the first minute. Run here, in this process,
    through the service a worker runs. The demo's churn falls in the last 60 days, so: a date
    every week from 11 to 3 weeks ago, churn within 21 days after each, the last four dates
    testing, so both periods see churn (about two seconds at 300 accounts)."""
    from healthscores.models import BacktestStatus, ScoreBacktest
    from healthscores.services.backtest import score_backtest_create, score_backtest_process

    if ScoreBacktest.objects.exists():
        return
    version = _default_published_version()
    if version is None:
        return
    backtest = score_backtest_create(
        version=version,
        start=today - timedelta(days=77),
        end=today - timedelta(days=21),
        split_on=today - timedelta(days=42),
        step_days=7,
        horizon_days=21,
        today=today,
        enqueue=False,
    )
    backtest = score_backtest_process(backtest_id=backtest.pk)
    if backtest.status != BacktestStatus.DONE:
        stdout.write(f"health: back-test over time failed: {backtest.error}")
        return
    test = backtest.report["current"].get("test") or {}
    stdout.write(
        f"health: back-test over time, {backtest.report['observations']} observations on "
        f"{len(backtest.report.get('dates', []))} dates, test AUC {test.get('auc')}"
    )
