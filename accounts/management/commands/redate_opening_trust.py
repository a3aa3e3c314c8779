"""`manage.py redate_opening_trust`: date existing accounts' starting trust at contract start.

Accounts created before the starting trust followed the contract start have it dated at
their creation, so runs back-dated into the contract see no ledger. The fix is append-only
(`ledger_opening_redate`): the old opening is reversed at its own instant (the pair cancels
out at every date) and a new opening is appended at the contract start. Entries after the
opening stay as they are (their cushions were priced on the ledger as it stood then).
"""

from django.core.management.base import BaseCommand
from django.db.models import F, OuterRef, Subquery
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import Account, EntrySource, TrustEntry
from accounts.services.accounts import STARTING_TRUST_REASON, ledger_opening_redate


class Command(BaseCommand):
    help = "Re-date the starting-trust entry to the contract start (append-only), per account."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count the accounts that would change."
        )

    def handle(self, *args, dry_run: bool = False, **options):
        opening_day = (
            TrustEntry.objects.filter(
                account=OuterRef("pk"),
                source=EntrySource.MILESTONE,
                reason=STARTING_TRUST_REASON,
                reversed_by__isnull=True,
            )
            .order_by("-seq")
            .annotate(day=TruncDate("occurred_at", tzinfo=timezone.get_current_timezone()))
            .values("day")[:1]
        )
        candidates = (
            Account.objects.filter(
                contract_start__isnull=False, contract_start__lte=timezone.localdate()
            )
            .annotate(opening_day=Subquery(opening_day))
            .filter(opening_day__isnull=False)
            .exclude(opening_day=F("contract_start"))
            .order_by("pk")
        )
        ids = list(candidates.values_list("pk", flat=True))
        if dry_run:
            self.stdout.write(f"{len(ids)} account(s) would have their starting trust re-dated.")
            return
        changed = 0
        for account in Account.objects.filter(pk__in=ids).order_by("pk").iterator():
            changed += ledger_opening_redate(account=account) is not None
        self.stdout.write(f"Re-dated the starting trust of {changed} account(s).")
