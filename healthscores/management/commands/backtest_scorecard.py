"""`manage.py backtest_scorecard VERSION --start D --end D --split D [--step 28] [--horizon 90]`.

Runs a back-test over time in this process (the page and the API queue it on a worker) and
prints the training and test figures of the version and of the suggested weights.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from healthscores.models import BacktestStatus
from healthscores.services.backtest import score_backtest_create, score_backtest_process
from scorecards.models import ScorecardVersion


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"not a date (YYYY-MM-DD): {value!r}") from None


class Command(BaseCommand):
    help = "Back-test a scorecard version over many dates and print its report."

    def add_arguments(self, parser):
        parser.add_argument("version", type=int, help="Scorecard version id.")
        parser.add_argument("--start", required=True, type=_date)
        parser.add_argument("--end", required=True, type=_date)
        parser.add_argument("--split", required=True, type=_date, help="First test date.")
        parser.add_argument("--step", type=int, default=28, help="Days between dates (28).")
        parser.add_argument("--horizon", type=int, default=90, help="Churn horizon (90 days).")
        parser.add_argument(
            "--new-days",
            type=int,
            default=None,
            help="Fit the suggestion separately for accounts younger than this (lifecycle).",
        )

    def handle(self, *args, version, start, end, split, step, horizon, new_days, **options):
        found = ScorecardVersion.objects.filter(pk=version).first()
        if found is None:
            raise CommandError(f"no scorecard version {version}")
        try:
            backtest = score_backtest_create(
                version=found,
                start=start,
                end=end,
                split_on=split,
                step_days=step,
                horizon_days=horizon,
                new_days=new_days,
                enqueue=False,
            )
        except ValidationError as exc:
            raise CommandError(
                "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
            ) from None
        backtest = score_backtest_process(backtest_id=backtest.pk)
        if backtest.status != BacktestStatus.DONE:
            raise CommandError(f"back-test {backtest.pk} failed: {backtest.error}")
        report, judged = backtest.report, (backtest.suggestion or {}).get("judged") or {}
        self.stdout.write(f"back-test {backtest.pk}: {report['observations']} observations")
        for period in ("train", "test"):
            for name, source in (("version", report["current"]), ("suggested", judged)):
                row = source.get(period)
                if row:
                    self.stdout.write(
                        f"  {period:5} {name:9} AUC {row['auc']} {row['auc_ci']} "
                        f"lift {row['top_decile_lift']} ({row['observations']} obs, "
                        f"{row['churned']} churned)"
                    )
