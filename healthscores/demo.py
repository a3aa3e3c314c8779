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


def _validation(today, stdout) -> None:
    """One back-test of the published default scorecard, so Score validation shows what it
    does from the first minute: scored as of 70 days ago against who churned in the 60 days
    after."""
    from healthscores.models import ScoreValidation
    from healthscores.services import score_validation_run
    from scorecards.models import ScorecardVersion, VersionStatus

    if ScoreValidation.objects.exists():
        return
    version = ScorecardVersion.objects.filter(
        scorecard__is_default=True, status=VersionStatus.PUBLISHED
    ).first()
    if version is None:
        return
    result = score_validation_run(
        version=version, as_of=today - timedelta(days=70), horizon_days=60
    )
    stdout.write(
        f"health: score validation as of {result.as_of}: {result.accounts} accounts, "
        f"{result.churned} churned within {result.horizon_days} days"
    )
