"""`manage.py reconcile_ledger`: check every goodwill ledger and interaction; exit 1 if off."""

from django.core.management.base import BaseCommand, CommandError

from accounts.services.ledger import interaction_effects_reconcile, ledger_reconcile


class Command(BaseCommand):
    help = (
        "Check balance = sum of entries = last balance_after (and gap-free seq) per account, "
        "and that each interaction's entries add up to its trust rule's points."
    )

    def handle(self, *args, **options):
        mismatches = ledger_reconcile()
        effects = interaction_effects_reconcile()
        for row in effects:
            self.stderr.write(
                "interaction {interaction_id} ({external_id}) at account {account_id}: its "
                "entries add up to {effect}, its rule says {expected}".format(**row)
            )
        for row in mismatches:
            self.stderr.write(
                "account {account_id} ({account}): balance {balance}, sum of entries "
                "{sum_of_entries}, last balance_after {last_balance_after}, ledger_seq "
                "{ledger_seq}, {entries} entries up to seq {last_seq}".format(**row)
            )
        if mismatches or effects:
            raise CommandError(
                f"{len(mismatches)} account ledger(s) and {len(effects)} interaction(s) "
                "do not reconcile."
            )
        self.stdout.write("Every goodwill ledger reconciles.")
