"""`manage.py reconcile_ledger`: check every account's goodwill ledger; exit 1 on a mismatch."""

from django.core.management.base import BaseCommand, CommandError

from accounts.services.ledger import ledger_reconcile


class Command(BaseCommand):
    help = "Check balance = sum of entries = last balance_after (and gap-free seq) per account."

    def handle(self, *args, **options):
        mismatches = ledger_reconcile()
        for row in mismatches:
            self.stderr.write(
                "account {account_id} ({account}): balance {balance}, sum of entries "
                "{sum_of_entries}, last balance_after {last_balance_after}, ledger_seq "
                "{ledger_seq}, {entries} entries up to seq {last_seq}".format(**row)
            )
        if mismatches:
            raise CommandError(f"{len(mismatches)} account ledger(s) do not reconcile.")
        self.stdout.write("Every goodwill ledger reconciles.")
