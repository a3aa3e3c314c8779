"""`manage.py grant_app_role ROLE`: give the runtime database role what the app needs, no more.

Run it as the owner role that ran `migrate` (docker-compose.yml's `migrate` service does). The
app role may read and write every table but owns none, so it cannot disable a trigger or alter
a table, and on the goodwill ledger it may only SELECT and INSERT: the append-only trigger
and the missing UPDATE/DELETE/TRUNCATE privileges both stand between it and history.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from psycopg2 import sql

from accounts.models import TrustEntry

APPEND_ONLY_TABLES = [TrustEntry._meta.db_table]


class Command(BaseCommand):
    help = "Grant a non-owner runtime role DML on every table (SELECT/INSERT only on the ledger)."

    def add_arguments(self, parser):
        parser.add_argument("role", help="The role the web, worker and beat processes log in as.")

    def handle(self, *args, role: str, **options):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT r.rolsuper, r.rolbypassrls, pg_has_role(r.oid, current_user, 'MEMBER') "
                "FROM pg_roles r WHERE r.rolname = %s",
                [role],
            )
            found = cursor.fetchone()
        if found is None:
            raise CommandError(f"Role {role!r} does not exist; create it first (OPERATIONS.md).")
        superuser, bypass_rls, owner_member = found
        if superuser or bypass_rls or owner_member:
            raise CommandError(
                f"Role {role!r} is a superuser or a member of the role running this command "
                "(the owner): it could disable the ledger's trigger. Use a plain LOGIN role."
            )
        name = sql.Identifier(role)
        statements = [
            sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(name),
            sql.SQL(
                "GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA public "
                "TO {}"
            ).format(name),
            sql.SQL("GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {}").format(
                name
            ),
            # Tables and sequences later migrations create get the same grants.
            sql.SQL(
                "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE, "
                "TRUNCATE ON TABLES TO {}"
            ).format(name),
            sql.SQL(
                "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON "
                "SEQUENCES TO {}"
            ).format(name),
            *(
                sql.SQL("REVOKE UPDATE, DELETE, TRUNCATE ON {} FROM {}").format(
                    sql.Identifier(table), name
                )
                for table in APPEND_ONLY_TABLES
            ),
        ]
        with transaction.atomic(), connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement.as_string(cursor.connection))
        self.stdout.write(
            f"{role}: read/write on every table, SELECT/INSERT only on "
            f"{', '.join(APPEND_ONLY_TABLES)}; owns nothing, so it cannot disable triggers."
        )
