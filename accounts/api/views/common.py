"""Helpers shared by the accounts API views: the bulk-upsert action and its row pre-checks."""

from django.conf import settings
from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from accounts.models import Account, Contact
from core.api.fields import ApiSerializer

from ..serializers import BulkResultSerializer

BULK_DESCRIPTION = (
    "Upsert up to 1,000 rows in one request. Valid rows are written and invalid ones are "
    "reported by their index in `rows` (from 0): 200 when every row was written, 207 "
    "Multi-Status when some were rejected. More than 1,000 rows, or a row that is not an "
    "object, rejects the whole request with 400."
)


class BulkEnvelopeSerializer(ApiSerializer):
    """`{"rows": [ {...}, ... ]}`; the fields a row takes are listed in the description.

    Rows are untyped in the schema on purpose: a row of the wrong shape is not a 400 for the
    whole request but an entry in the 207's `errors`, by its index.
    """

    rows = serializers.ListField(
        child=serializers.DictField(), max_length=settings.API_BULK_MAX_ROWS, min_length=0
    )


def bulk_rows(request) -> list[dict]:
    """The `rows` of a bulk request, or a 400 for a malformed envelope."""
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
    bad = [i for i, row in enumerate(rows) if not isinstance(row, dict)]
    if bad:
        raise ValidationError({"rows": [f"Row {bad[0]} is not a JSON object."]})
    return rows


def _type_ok(value, kinds) -> bool:
    if value is None:
        return type(None) in kinds
    if isinstance(value, bool):
        return bool in kinds
    if isinstance(value, str) and "\x00" in value:
        return False
    return isinstance(value, kinds)


def rows_split(rows: list, types: dict) -> tuple[list[dict], list[dict], list[int]]:
    """Split bulk rows into (errors of ill-typed rows, well-typed rows, their request indexes)."""
    pre_errors, kept, index = [], [], []
    for i, row in enumerate(rows):
        errors = row_type_errors(row, types)
        if errors:
            pre_errors.append({"index": i, "errors": errors})
        else:
            kept.append(row)
            index.append(i)
    return pre_errors, kept, index


def row_type_errors(row: dict, types: dict) -> dict:
    """Cheap JSON-type checks before a row reaches the service (which expects sane types)."""
    errors = {}
    for name, kinds in types.items():
        if name in row and not _type_ok(row[name], kinds):
            errors[name] = ["Wrong type (or a NUL character) for this field."]
    for name in row:
        if name not in types:
            errors[str(name)] = ["This field is not known; remove it."]
    return errors


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


def bulk_response(result, row_index: list[int], pre_errors: list[dict]) -> Response:
    """Merge service errors (re-indexed to the request) with pre-check errors."""
    errors = pre_errors + [
        {"index": row_index[e["index"]], "errors": e["errors"]} for e in result.errors
    ]
    errors.sort(key=lambda e: e["index"])
    body = {"created": result.created, "updated": result.updated, "errors": errors}
    return Response(body, status=status.HTTP_207_MULTI_STATUS if errors else status.HTTP_200_OK)


# `POST <resource>/bulk/`: upsert up to 1,000 rows, the same steps for every resource. The
# envelope is checked (400 for a malformed one), each row's JSON types are pre-checked against
# `bulk_row_types`, the accounts the rows name are resolved among those the user may see (one
# query), `bulk_prepare` turns the well-typed rows into the service's rows and `bulk_upsert`
# writes them; the answer is 200, or 207 with every error by its request index. A viewset gives
# those three, and the action's summary, description and examples with
# `extend_schema_view(bulk=extend_schema(...))`. (No docstring: the schema would show it as the
# description of the viewsets that have none.)
class BulkUpsertMixin:
    bulk_row_types: dict

    def bulk_prepare(self, rows: list[dict], accounts: list) -> list[dict]:
        """The service's rows; `accounts[i]` is rows[i]'s account, or the "unknown" marker."""
        raise NotImplementedError

    def bulk_upsert(self, rows: list[dict]):
        """Write the prepared rows; returns the service's BulkResult."""
        raise NotImplementedError

    @extend_schema(
        request=BulkEnvelopeSerializer,
        responses={200: BulkResultSerializer, 207: BulkResultSerializer},
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        rows = bulk_rows(request)
        pre_errors, kept, index = rows_split(rows, self.bulk_row_types)
        by_id, by_ext = resolve_accounts(request.user, kept)
        accounts = [row_account(row, by_id, by_ext) for row in kept]
        result = self.bulk_upsert(self.bulk_prepare(kept, accounts))
        return bulk_response(result, index, pre_errors)
