"""Serialising writers of one logical thing that has no row to lock yet."""

from django.db import connection


def lock_for_transaction(name: str) -> None:
    """Hold a PostgreSQL advisory lock on `name` until the surrounding transaction ends.

    Two upserts of the same external_id would otherwise both find no row and both insert;
    with the lock the second waits for the first to commit, then finds its row. Call inside
    `transaction.atomic()`.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [name])
