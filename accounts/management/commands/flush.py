"""`manage.py flush`, allowed to empty the append-only goodwill ledger.

Wiping the whole database is a deliberate act (and how the test-suite resets between
transactional tests); only this command lifts the trigger's guard on accounts_trustentry, for
its own session and its own duration.
"""

from django.core.management.commands.flush import Command as FlushCommand
from django.db import connections


class Command(FlushCommand):
    def handle(self, **options):
        connection = connections[options["database"]]
        with connection.cursor() as cursor:
            cursor.execute("SET csplatform.ledger_maintenance = 'on'")
        try:
            return super().handle(**options)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET csplatform.ledger_maintenance")
