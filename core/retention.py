"""Deleting old rows in short batches, for the scheduled retention purges (OPERATIONS.md)."""

from django.db import transaction
from django.db.models import QuerySet

PURGE_BATCH_SIZE = 5000


def rows_purge(queryset: QuerySet, *, batch_size: int = PURGE_BATCH_SIZE) -> int:
    """Delete the rows of `queryset` a batch at a time (each batch its own short transaction,
    so a large first purge never holds locks for long); returns how many rows went."""
    deleted = 0
    while True:
        ids = list(queryset.order_by("pk").values_list("pk", flat=True)[:batch_size])
        if not ids:
            return deleted
        with transaction.atomic():
            _count, by_model = queryset.model.objects.filter(pk__in=ids).delete()
        deleted += by_model.get(queryset.model._meta.label, 0)
