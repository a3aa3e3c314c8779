"""Helpers shared by the accounts API views: the bulk-upsert action and its row pre-checks."""

from django.conf import settings
from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from accounts.models import Account, Contact

from ..serializers import BulkResultSerializer

BULK_DESCRIPTION = (
    "Upsert up to 1,000 rows in one request. A malformed request (more than 1,000 rows, or a "
    "row of the wrong shape: a wrong type, a missing or unknown field, a value out of range) "
    "is rejected whole with 400, the row's errors under `errors.rows.<index>`. Well-formed "
    "rows are applied one by one: 200 when every row was written, 207 Multi-Status when some "
    "could not be (an unknown account or contact, a rule the row breaks), reported by their "
    "index in `rows` (from 0)."
)


def bulk_rows(request, row_serializer, *, parsed: bool = False) -> list[dict]:
    """The `rows` of a bulk request, each of the shape `row_serializer` declares, or a 400.

    The rows go on as sent (the service parses them); this only vouches for their shape, so
    every row the schema admits reaches the service and a malformed one never does. With
    `parsed`, each row's values as the serializer parsed them instead (its validated data).
    """
    data = request.data
    if not isinstance(data, dict) or not isinstance(data.get("rows"), list):
        raise ValidationError({"rows": ["Send a JSON object with a `rows` list."]})
    unknown = sorted(str(name) for name in data if name != "rows")
    if unknown:
        raise ValidationError({name: ["This field is not known; remove it."] for name in unknown})
    rows = data["rows"]
    if len(rows) > settings.API_BULK_MAX_ROWS:
        raise ValidationError(
            {"rows": [f"At most {settings.API_BULK_MAX_ROWS} rows per request; got {len(rows)}."]}
        )
    malformed, values = {}, []
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            malformed[str(i)] = {"non_field_errors": ["A row is a JSON object."]}
            continue
        shape = row_serializer(data=row)
        if not shape.is_valid():
            malformed[str(i)] = shape.errors
        elif parsed:
            values.append(dict(shape.validated_data))
    if malformed:
        raise ValidationError({"rows": malformed})
    return values if parsed else rows


def resolve_accounts(user, rows: list[dict]) -> tuple[dict, dict]:
    """Visible accounts named by the rows, by id and by external_id, in one query."""
    ids = {r["account"] for r in rows if isinstance(r.get("account"), int)}
    ids = {i for i in ids if not isinstance(i, bool) and 1 <= i < 2**31}
    exts = {r["account_external_id"] for r in rows if isinstance(r.get("account_external_id"), str)}
    if not ids and not exts:
        return {}, {}
    found = list(
        Account.objects.for_user(user)
        .filter(Q(pk__in=ids) | Q(external_id__in=exts))
        .only("id", "external_id", "goodwill_balance", "ledger_seq")
    )
    return {a.pk: a for a in found}, {a.external_id: a for a in found if a.external_id}


def resolve_contacts(user, rows: list[dict]) -> dict:
    ids = {r["contact"] for r in rows if isinstance(r.get("contact"), int)}
    ids = {i for i in ids if not isinstance(i, bool) and 1 <= i < 2**31}
    if not ids:
        return {}
    visible = Account.objects.for_user(user).values("pk")
    return {c.pk: c for c in Contact.objects.filter(pk__in=ids, account__in=visible)}


def row_account(row: dict, by_id: dict, by_ext: dict):
    """The row's account instance, or a marker the service reports as unknown."""
    if "account_external_id" in row:
        account = by_ext.get(row.get("account_external_id"))
        if "account" in row and (account is None or row.get("account") != account.pk):
            return "unknown"
        return account or "unknown"
    if "account" in row:
        return by_id.get(row.get("account"), "unknown")
    return None


def bulk_response(result) -> Response:
    """200 when the service wrote every row, else 207 with its errors by row index."""
    errors = sorted(result.errors, key=lambda e: e["index"])
    body = {"created": result.created, "updated": result.updated, "errors": errors}
    return Response(body, status=status.HTTP_207_MULTI_STATUS if errors else status.HTTP_200_OK)


# `POST <resource>/bulk/`: upsert up to 1,000 rows, the same steps for every resource. The
# envelope and each row's shape are checked against `bulk_row_serializer` (400 for a malformed
# one; the viewset's extend_schema names the typed envelope as the request), the accounts the
# rows name are resolved among those the user may see (one query), `bulk_prepare` turns the
# rows into the service's rows and `bulk_upsert` writes them; the answer is 200, or 207 with
# every error by its row index. A viewset gives those three, and the action's summary,
# description, request and examples with `extend_schema_view(bulk=extend_schema(...))`. (No
# docstring: the schema would show it as the description of the viewsets that have none.)
class BulkUpsertMixin:
    bulk_row_serializer: type

    def bulk_prepare(self, rows: list[dict], accounts: list) -> list[dict]:
        """The service's rows; `accounts[i]` is rows[i]'s account, or the "unknown" marker."""
        raise NotImplementedError

    def bulk_upsert(self, rows: list[dict]):
        """Write the prepared rows; returns the service's BulkResult."""
        raise NotImplementedError

    @extend_schema(responses={200: BulkResultSerializer, 207: BulkResultSerializer})
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        rows = bulk_rows(request, self.bulk_row_serializer)
        by_id, by_ext = resolve_accounts(request.user, rows)
        accounts = [row_account(row, by_id, by_ext) for row in rows]
        return bulk_response(self.bulk_upsert(self.bulk_prepare(rows, accounts)))
