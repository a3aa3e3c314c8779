"""`manage.py flush`, allowed to empty the append-only goodwill ledger.

Wiping the whole database is a deliberate act (and how the test-suite resets between
transactional tests); only this command lifts the trigger's guard on accounts_trustentry, for
its own session and its own duration.

Asked not to reset the sequences (only Django's test runner asks: between transactional tests),
it deletes the rows in one transaction instead of truncating every table. PostgreSQL's TRUNCATE
gives each table and index new files, about 0.3 s for the project's ~60 tables however few rows
they hold; deleting the few rows a test leaves takes about 10 ms. Foreign keys are deferrable
(Django creates them so), so the order of the tables does not matter.
"""

from django.core.management.base import CommandError
from django.core.management.commands.flush import Command as FlushCommand
from django.core.management.sql import emit_post_migrate_signal
from django.db import connections, transaction


class Command(FlushCommand):
    def handle(self, **options):
        connection = connections[options["database"]]
        with connection.cursor() as cursor:
            cursor.execute("SET csplatform.ledger_maintenance = 'on'")
        try:
            if options.get("reset_sequences", True) or options["interactive"]:
                return super().handle(**options)
            return self._delete_every_row(connection, **options)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET csplatform.ledger_maintenance")

    def _delete_every_row(self, connection, **options) -> None:
        tables = connection.introspection.django_table_names(
            only_existing=True, include_views=False
        )
        if not tables:
            return
        statements = ["SET CONSTRAINTS ALL DEFERRED"] + [
            f"DELETE FROM {connection.ops.quote_name(table)}" for table in sorted(tables)
        ]
        try:
            with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
                cursor.execute("; ".join(statements))
        except Exception as exc:
            raise CommandError(
                f"Database {connection.settings_dict['NAME']} couldn't be emptied: {exc}"
            ) from exc
        if not options.get("inhibit_post_migrate", False):
            emit_post_migrate_signal(options["verbosity"], False, connection.alias)
