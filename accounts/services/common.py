"""Small shared pieces of the account services."""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection, models


@dataclass
class BulkResult:
    """What a bulk upsert did: counts, and per-row errors as {"index": i, "errors": {...}}."""

    created: int = 0
    updated: int = 0
    errors: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def field_errors(exc: ValidationError) -> dict[str, list[str]]:
    """A ValidationError as {field: [messages]} (non-field errors under "non_field_errors")."""
    if hasattr(exc, "error_dict"):
        return {name: list(ValidationError(errs).messages) for name, errs in exc.error_dict.items()}
    return {"non_field_errors": list(exc.messages)}


def rows_insert(model: type[models.Model], rows: list[dict]) -> list[int]:
    """Insert plain rows ({column attname: value}, every column but the id, values already of
    the column's Python type) and return their new ids in row order.

    One INSERT ... SELECT FROM unnest(one array per column) ... RETURNING id, the statement
    Django's `bulk_create` sends, without building a model instance and preparing each of its
    values first (most of a bulk request's CPU).
    """
    if not rows:
        return []
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields)
    params = [[row[f.attname] for row in rows] for f in fields]
    pk_column = model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({columns}) "
            f"SELECT * FROM unnest({arrays}) RETURNING {connection.ops.quote_name(pk_column)}",
            params,
        )
        return [pk for (pk,) in cursor.fetchall()]


def rows_update(model: type[models.Model], objs: list, field_names: list[str]) -> int:
    """Write `field_names` of each instance in `objs` back to its row.

    One UPDATE ... FROM unnest(one array per column): `bulk_update` builds a CASE WHEN id = ...
    branch per row and column, which PostgreSQL walks for every row it updates (measured:
    seconds for a 1,000-interaction re-send).
    """
    if not objs:
        return 0
    fields = [model._meta.get_field(name) for name in field_names]
    pk = model._meta.pk
    quote = connection.ops.quote_name
    arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in [pk, *fields])
    names = ", ".join(quote(f.column) for f in [pk, *fields])
    sets = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in fields)
    key = quote(pk.column)
    params = [[getattr(obj, f.attname) for obj in objs] for f in [pk, *fields]]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(model._meta.db_table)} AS t SET {sets} "
            f"FROM unnest({arrays}) AS v ({names}) WHERE t.{key} = v.{key}",
            params,
        )
        return cursor.rowcount
