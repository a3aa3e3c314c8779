"""`manage.py recompute_scores [--as-of DATE] [--account ID] [--backfill DAYS]`, in-process."""

from datetime import date, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import Account
from core.progress import Progress
from healthscores.models import RunTrigger
from healthscores.services import scorable_accounts


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--as-of must be a date like 2026-01-31, not {value!r}") from None


class Command(BaseCommand):
    help = "Recompute health scores in this process (the same run the nightly job starts)."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=str, help="Score as of this date (default: today).")
        parser.add_argument("--account", type=int, action="append", help="Only this account id.")
        parser.add_argument(
            "--backfill", type=int, default=0, help="Also rebuild the DAYS days before --as-of."
        )

    def handle(self, *args, **options):
        from healthscores.services import health_rescore_accounts, score_run_in_process

        as_of = _date(options["as_of"]) if options["as_of"] else timezone.localdate()
        if as_of > timezone.localdate():
            raise CommandError("--as-of cannot be in the future.")
        backfill = options["backfill"]
        if backfill < 0 or backfill > 3650:
            raise CommandError("--backfill must be between 0 and 3650 days.")
        try:
            days = [as_of - timedelta(days=n) for n in range(backfill, -1, -1)]
        except OverflowError:
            raise CommandError("--backfill reaches before year 1; use fewer days.") from None
        if options["account"]:
            ids = options["account"]
            if any(not 0 < i < 2**63 for i in ids):
                raise CommandError("--account must be a positive account id.")
            missing = set(ids) - set(
                Account.objects.filter(pk__in=ids).values_list("pk", flat=True)
            )
            if missing:
                raise CommandError(f"No account with id {', '.join(map(str, sorted(missing)))}.")
            written = 0
            with Progress("rescoring accounts", len(days), stream=self.stdout) as progress:
                for day in days:
                    written += health_rescore_accounts(account_ids=ids, as_of=day)
                    progress.advance()
            self.stdout.write(
                f"rescored {len(ids)} account(s) for {len(days)} day(s): {written} snapshot(s)"
                + ("" if written else " (not customers on those dates: nothing to score)")
            )
            return
        for day in days:
            trigger = RunTrigger.MANUAL if day == as_of else RunTrigger.BACKFILL
            chunks = -(-scorable_accounts(day).count() // max(1, settings.SCORE_CHUNK_SIZE))
            with Progress(f"scores {day}", chunks, stream=self.stdout) as progress:
                run = score_run_in_process(as_of=day, trigger=trigger, progress=progress)
            self.stdout.write(
                f"{day}: {run.scored_accounts} accounts scored, status {run.status}"
                + (f", {run.failed_accounts} failed" if run.failed_accounts else "")
            )
            if run.failures:
                for failure in run.failures[-5:]:
                    self.stderr.write(
                        f"  chunk {failure['lo']}-{failure['hi']}: {failure['error']}"
                    )
