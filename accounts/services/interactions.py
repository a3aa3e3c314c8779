"""Logging interactions (one, or thousands in bulk), each with its ledger entry.

Re-sending an interaction with the same `external_id` never double-counts goodwill:
`interaction_log` returns the existing row, `interactions_bulk_upsert` updates it.
"""

import functools
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Account, Category, Channel, Contact, EntrySource, Interaction

from . import ledger
from .common import BulkResult, rows_insert, rows_update

# Fields a caller may set on an interaction (besides `account` and `author`).
INTERACTION_FIELDS = (
    "occurred_at",
    "channel",
    "category",
    "sentiment",
    "minutes",
    "work_type",
    "severity",
    "contact",
    "summary",
    "external_id",
)
_DEFAULTS = {"sentiment": 0, "minutes": 0, "work_type": "support", "summary": ""}
_FIELD_SET = frozenset(INTERACTION_FIELDS)


@functools.cache
def _fast_checks() -> dict:
    """Per field, a check that accepts the common well-formed value exactly as `Field.clean`
    would (same value, no error); anything else goes through `Field.clean` for its message."""
    fields = {f.name: f for f in Interaction._meta.concrete_fields}

    def choice(name):
        allowed = frozenset(value for value, _ in fields[name].choices)
        return lambda raw: type(raw) is str and raw in allowed

    def integer(name, nullable=False):
        low, high = _integer_range(fields[name])
        return lambda raw: (raw is None and nullable) or (type(raw) is int and low <= raw <= high)

    max_external = fields["external_id"].max_length
    return {
        "occurred_at": lambda raw: isinstance(raw, datetime),
        "channel": choice("channel"),
        "category": choice("category"),
        "work_type": choice("work_type"),
        "sentiment": integer("sentiment"),
        "minutes": integer("minutes"),
        "severity": integer("severity", nullable=True),
        "summary": lambda raw: type(raw) is str,
        "external_id": lambda raw: raw is None or (type(raw) is str and len(raw) <= max_external),
    }


def _integer_range(field) -> tuple[int, int]:
    """The bounds the field's own validators enforce (the database column's range); an empty
    range, so every value takes the slow path, if it has any other validator."""
    low, high = -(2**63), 2**63 - 1
    for validator in field.validators:
        if validator.code == "min_value":
            low = max(low, validator.limit_value)
        elif validator.code == "max_value":
            high = min(high, validator.limit_value)
        else:
            return 1, 0
    return low, high


def interaction_clean(
    *, account: Account | None, fields: dict, strict_severity: bool = True
) -> tuple[dict, dict]:
    """Validate interaction fields without touching the database: (cleaned, errors by field).

    `severity` belongs to escalations. Strictly (the app's form, the CSV import) an escalation
    needs one and another category must not have one. The API is lenient (`strict_severity`
    false): a system that does not know the severity records the escalation at severity unknown,
    which the trust rules score on their own (-18 points by default), and a severity sent with
    another category is ignored (stored empty)."""
    fast_checks = _fast_checks()
    errors: dict[str, list[str]] = {}
    unknown = set(fields) - _FIELD_SET
    if unknown:
        errors["non_field_errors"] = [f"Unknown field(s): {', '.join(sorted(unknown))}."]
    if account is None:
        errors["account"] = ["This field is required."]
    cleaned: dict = {}
    for name in INTERACTION_FIELDS:
        if name == "contact":
            continue
        raw = fields.get(name, _DEFAULTS.get(name))
        if raw == "" and name in ("external_id", "severity"):
            raw = None
        if name == "occurred_at" and raw is None:
            raw = timezone.now()
        if fast_checks[name](raw):
            value = raw
        else:
            try:
                value = Interaction._meta.get_field(name).clean(raw, None)
            except ValidationError as exc:
                errors[name] = list(exc.messages)
                continue
        if name == "occurred_at" and isinstance(value, datetime) and timezone.is_naive(value):
            value = timezone.make_aware(value)
        cleaned[name] = value
    sentiment = cleaned.get("sentiment")
    if sentiment is not None and not -2 <= sentiment <= 2:
        errors["sentiment"] = ["Sentiment runs from -2 (very negative) to +2 (very positive)."]
    severity = cleaned.get("severity")
    if cleaned.get("category") == Category.ESCALATION:
        if severity is None and strict_severity:
            errors["severity"] = ["An escalation needs a severity from 1 (minor) to 4 (critical)."]
        elif severity is not None and not 1 <= severity <= 4:
            errors["severity"] = ["Severity runs from 1 (minor) to 4 (critical)."]
    elif severity is not None and "category" in cleaned:
        if strict_severity:
            errors["severity"] = ["Severity applies to escalations only."]
        else:
            cleaned["severity"] = None
    contact = fields.get("contact")
    if contact is not None:
        if not isinstance(contact, Contact):
            errors["contact"] = ["Unknown contact."]
        elif account is not None and contact.account_id != account.pk:
            errors["contact"] = ["This contact works at another account."]
    cleaned["contact"] = contact if "contact" not in errors else None
    return cleaned, errors


_CATEGORY_LABELS = dict(Category.choices)
_CHANNEL_LABELS = dict(Channel.choices)


def _reason(values: dict) -> str:
    """The ledger reason for an interaction, from its field values (`vars(interaction)` will do).

    It never copies the summary: the append-only ledger must hold no free text that can name a
    person, so erasing a contact (accounts.services.privacy) never needs to edit it. Pages show
    the summary from the linked interaction."""
    label = _CATEGORY_LABELS[values["category"]]
    channel = _CHANNEL_LABELS.get(values["channel"], values["channel"])
    sentiment = f"{values['sentiment']:+d}"
    severity = f", severity {values['severity']}" if values["severity"] else ""
    return f"{label} ({channel}, sentiment {sentiment}{severity})"[:300]


@transaction.atomic
def interaction_log(
    *, account: Account, author=None, strict_severity: bool = True, **fields
) -> Interaction:
    """Record one interaction and append its ladder or chute (idempotent on external_id)."""
    account = Account.objects.select_for_update().get(pk=account.pk)
    external_id = (fields.get("external_id") or "").strip() or None
    if external_id:
        existing = Interaction.objects.filter(external_id=external_id).first()
        if existing is not None:
            if existing.account_id != account.pk:
                raise ValidationError(
                    {"external_id": ["This external_id is already used by another account."]}
                )
            return existing
        fields["external_id"] = external_id
    cleaned, errors = interaction_clean(
        account=account, fields=fields, strict_severity=strict_severity
    )
    if errors:
        raise ValidationError(errors)
    interaction = Interaction.objects.create(account=account, author=author, **cleaned)
    points = ledger.trust_points_for_interaction(
        category=interaction.category,
        sentiment=interaction.sentiment,
        severity=interaction.severity,
    )
    ledger.trust_entry_append(
        account=account,
        points=points,
        reason=_reason(vars(interaction)),
        source=EntrySource.INTERACTION,
        author=author,
        occurred_at=interaction.occurred_at,
        interaction=interaction,
    )
    _publish_logged([(interaction.account_id, interaction.pk, interaction.category)])
    return interaction


def _publish_logged(logged: list[tuple[int, int, str]]) -> None:
    """`interaction.logged` for each (account_id, interaction_id, category)."""
    for account_id, interaction_id, category in logged:
        ledger.publish(
            "interaction.logged",
            account_id=account_id,
            interaction_id=interaction_id,
            category=category,
        )


@dataclass
class _Row:
    index: int
    account: Account
    cleaned: dict
    existing: Interaction | None = None
    instance: Interaction | None = None
    author: object = None
    sent: frozenset = frozenset()  # the fields the caller gave (an update changes only these)


def interaction_rows_clean(
    rows: list[dict], *, strict_severity: bool = True
) -> tuple[list[_Row], list[dict]]:
    """Validate rows for a bulk upsert without writing: (valid rows, errors by row index)."""
    valid, errors, seen = [], [], {}
    for index, row in enumerate(rows):
        fields = {k: v for k, v in row.items() if k not in ("account", "author")}
        account = row.get("account")
        if account is not None and not isinstance(account, Account):
            cleaned, row_errors = {}, {"account": ["Unknown account."]}
        else:
            cleaned, row_errors = interaction_clean(
                account=account, fields=fields, strict_severity=strict_severity
            )
        external_id = cleaned.get("external_id")
        if external_id and not row_errors:
            if external_id in seen:
                row_errors = {
                    "external_id": [f"Duplicate of row {seen[external_id]} in this batch."]
                }
            else:
                seen[external_id] = index
        if row_errors:
            errors.append({"index": index, "errors": row_errors})
        else:
            valid.append(
                _Row(
                    index=index,
                    account=account,
                    cleaned=cleaned,
                    author=row.get("author"),
                    sent=frozenset(fields),
                )
            )
    return valid, errors


@transaction.atomic
def interactions_bulk_upsert(
    *, rows: list[dict], author=None, notify: bool = True, strict_severity: bool = True
) -> BulkResult:
    """Create or update many interactions by external_id, appending ledger entries in bulk.

    Each row holds `account` (an Account instance), the interaction fields and optionally its
    own `author` (a User; defaults to `author`). Valid rows are written; invalid ones are
    reported by index. An update changes only the fields the row names (a retry without
    `occurred_at` keeps the original time). Updating an interaction whose rule points differ
    from its current effect (its entry's base points plus the corrections already linked to
    it) appends one correcting entry linked to it, so re-sending the same row again, even
    concurrently, changes nothing (the original entry stays, as history). `notify=False` (history
    backfills) publishes only `account.inputs_changed`, not the per-row `interaction.logged` /
    `ledger.entry_appended`.
    """
    valid, errors = interaction_rows_clean(rows, strict_severity=strict_severity)
    result = BulkResult(errors=errors)
    if not valid:
        return result
    external_ids = [r.cleaned["external_id"] for r in valid if r.cleaned.get("external_id")]
    # Locked (in pk order, so concurrent re-sends queue instead of deadlocking) before their
    # effect is read: a second re-send of the same ticket waits for the first to commit, then
    # sees its correction. Not joined to anything: PostgreSQL probes the external_id index.
    existing = {
        i.external_id: i
        for i in Interaction.objects.filter(external_id__in=external_ids)
        .select_for_update()
        .order_by("pk")
    }
    effects = ledger.interaction_effects(interaction_ids=[i.pk for i in existing.values()])
    keep = []
    for row in valid:
        row.existing = existing.get(row.cleaned.get("external_id"))
        if row.existing is not None and row.existing.account_id != row.account.pk:
            result.errors.append(
                {
                    "index": row.index,
                    "errors": {"external_id": ["This external_id belongs to another account."]},
                }
            )
        else:
            keep.append(row)
    result.errors.sort(key=lambda e: e["index"])
    if not keep:
        return result
    rules = ledger.trust_rules_load()

    @functools.cache
    def points(category: str, sentiment: int, severity: int | None) -> int:
        return ledger.trust_points_from_rules(
            rules, category=category, sentiment=sentiment, severity=severity
        )

    def price(values: dict) -> int:
        return points(values["category"], values["sentiment"], values["severity"])

    to_create, to_update, pending = [], [], []
    for row in keep:
        if row.existing is None:
            to_create.append(row)
            continue
        instance = row.existing
        # A re-sent row changes what it names and keeps the rest: a retry without
        # `occurred_at` must not move the interaction to now.
        for name, value in row.cleaned.items():
            if name in row.sent:
                setattr(instance, name, value)
        if row.author is not None:
            instance.author = row.author
        to_update.append(instance)
        new_points = price(vars(instance))
        old_points = effects.get(instance.pk, 0)
        if new_points != old_points:
            pending.append(
                ledger.PendingEntry(
                    account_id=instance.account_id,
                    points=new_points - old_points,
                    corrects_id=instance.pk,
                    reason=(
                        f"Re-classified interaction {instance.external_id}: "
                        f"{_reason(vars(instance))}"
                    ),
                    source=EntrySource.INTERACTION,
                    occurred_at=timezone.now(),
                    author=author,
                    apply_cushion=False,
                )
            )
    rows_update(
        Interaction, to_update, [n for n in INTERACTION_FIELDS if n != "external_id"] + ["author"]
    )
    now = timezone.now()
    new_rows = []
    for row in to_create:
        values = {name: value for name, value in row.cleaned.items() if name != "contact"}
        values["contact_id"] = row.cleaned["contact"].pk if row.cleaned["contact"] else None
        values["account_id"] = row.account.pk
        values["author_id"] = getattr(row.author or author, "pk", None)
        values["created_at"] = now
        new_rows.append(values)
    new_ids = rows_insert(Interaction, new_rows)
    for row, values, pk in zip(to_create, new_rows, new_ids, strict=True):
        pending.append(
            ledger.PendingEntry(
                account_id=values["account_id"],
                points=price(values),
                reason=_reason(values),
                source=EntrySource.INTERACTION,
                occurred_at=values["occurred_at"],
                interaction_id=pk,
                author=row.author or author,
            )
        )
    # The account rows are locked only now, so the locks are held for the ledger part alone.
    ledger.trust_entries_bulk_append(pending=pending, notify=notify)
    if notify:
        logged = [
            (v["account_id"], pk, v["category"]) for v, pk in zip(new_rows, new_ids, strict=True)
        ]
        _publish_logged(logged)  # into the outbox, in this transaction
    result.created, result.updated = len(to_create), len(to_update)
    return result
