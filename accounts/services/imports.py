"""CSV import of accounts, contacts and interactions as exported from a CRM.

All or nothing: every row is validated first; one bad row means nothing is written and every
bad row is reported with its line number (the header is line 1).
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import tablib
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from accounts.account_fields import ACCOUNT_CSV_ALIASES, ACCOUNT_KEY, ACCOUNT_WRITABLE
from accounts.models import (
    Account,
    Category,
    Channel,
    Contact,
    Interaction,
    Segment,
    WorkType,
)
from accounts.selectors import account_owner_choices
from core.dates import validate_sane_date
from core.progress import Progress
from users.models import User

from .accounts import accounts_bulk_write
from .interactions import interaction_rows_clean, interactions_bulk_upsert

KINDS = ("accounts", "contacts", "interactions")
MAX_ROWS = 50_000
ALIASES = {
    "accounts": ACCOUNT_CSV_ALIASES,
    "contacts": {
        "id": "external_id",
        "contact_id": "external_id",
        "account_id": "account",
        "account_external_id": "account",
        "full_name": "name",
        "job_title": "title",
    },
    "interactions": {
        "id": "external_id",
        "activity_id": "external_id",
        "account_id": "account",
        "account_external_id": "account",
        "date": "occurred_at",
        "type": "channel",
        "contact_id": "contact",
        "contact_external_id": "contact",
        "duration_minutes": "minutes",
        "owner": "author",
        "description": "summary",
    },
}
REQUIRED = {
    "accounts": ("external_id", "name"),
    "contacts": ("account", "name"),
    "interactions": ("account", "occurred_at", "channel", "category"),
}
COLUMNS = {
    "accounts": (ACCOUNT_KEY, *ACCOUNT_WRITABLE),
    "contacts": (
        "external_id",
        "account",
        "name",
        "email",
        "phone",
        "title",
        "is_champion",
        "is_decision_maker",
        "is_user",
    ),
    "interactions": (
        "external_id",
        "account",
        "occurred_at",
        "channel",
        "category",
        "sentiment",
        "minutes",
        "work_type",
        "severity",
        "contact",
        "author",
        "summary",
    ),
}
# The a-e of the top-10 review are accepted as category codes.
CATEGORY_LETTERS = dict(zip("abcde", Category.values, strict=True))
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y")
DATETIME_FORMATS = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M")


@dataclass
class ImportReport:
    """What an import found and did; `errors` is [{"line": n, "errors": {column: [msgs]}}]."""

    kind: str
    total: int = 0
    created: int = 0
    updated: int = 0
    errors: list[dict] = field(default_factory=list)
    preview: list[dict] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    committed: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


class _Invalid(Exception):
    pass


def _normalise(header: str) -> str:
    return header.strip().lower().replace(" ", "_").replace("-", "_")


def _parse_table(content: str, kind: str) -> tuple[list[str], list[list[str]], list[dict]]:
    """Headers (normalised, aliased) and rows; rows with a wrong column count are errors."""
    try:
        dataset = tablib.Dataset().load(content, format="csv")
        headers, rows = list(dataset.headers or []), [list(r) for r in dataset]
        errors = []
    except tablib.InvalidDimensions:
        reader = list(csv.reader(io.StringIO(content)))
        headers, rows, errors = reader[0], [], []
        for number, row in enumerate(reader[1:], start=2):
            if len(row) != len(headers):
                errors.append(
                    {
                        "line": number,
                        "errors": {"row": [f"Expected {len(headers)} columns, found {len(row)}."]},
                    }
                )
            rows.append(row)
    aliases = ALIASES[kind]
    headers = [aliases.get(_normalise(h), _normalise(h)) for h in headers]
    return headers, rows, errors


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _date(value: str) -> date | None:
    if not value:
        return None
    for fmt in DATE_FORMATS:
        try:
            parsed = datetime.strptime(value, fmt).date()
        except ValueError:
            continue
        return _sane(parsed)
    raise _Invalid("Enter a date as YYYY-MM-DD.")


def _sane(value):
    """The value, if its year is within the configured bounds (core.dates)."""
    try:
        validate_sane_date(value)
    except ValidationError as exc:
        raise _Invalid(exc.messages[0]) from None
    return value


def _datetime(value: str) -> datetime:
    for fmt in DATETIME_FORMATS + DATE_FORMATS:
        try:
            parsed = datetime.strptime(value.replace("Z", ""), fmt)
        except ValueError:
            continue
        return timezone.make_aware(_sane(parsed))
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _Invalid("Enter a date and time as YYYY-MM-DD HH:MM.") from None
    _sane(parsed)
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


def _int(value: str, *, low=None, high=None) -> int | None:
    if not value:
        return None
    try:
        number = int(Decimal(value.replace(",", "")))
    except (InvalidOperation, ValueError, OverflowError):  # "abc", "NaN", "Infinity"
        raise _Invalid("Enter a whole number.") from None
    if (low is not None and number < low) or (high is not None and number > high):
        raise _Invalid(f"Enter a number from {low} to {high}." if high is not None else "Too low.")
    return number


def _money(value: str) -> Decimal | None:
    if not value:
        return None
    try:
        amount = Decimal(value.replace(",", "").replace("$", "").replace("€", ""))
    except InvalidOperation:
        raise _Invalid("Enter an amount.") from None
    if not amount.is_finite():  # before comparing: NaN < 0 raises InvalidOperation
        raise _Invalid("Enter an amount.")
    return amount.quantize(Decimal("0.01"))


def _bool(value: str) -> bool | None:
    value = value.lower()
    if not value:
        return None
    if value in {"1", "true", "yes", "y", "x"}:
        return True
    if value in {"0", "false", "no", "n"}:
        return False
    raise _Invalid("Use yes or no.")


def _choice(value: str, choices, letters: dict | None = None) -> str | None:
    if not value:
        return None
    lowered = value.lower()
    if letters and lowered in letters:
        return letters[lowered]
    for stored, label in choices:
        if lowered in (stored, str(label).lower(), stored.replace("_", " ")):
            return stored
    raise _Invalid(f"Unknown value {value!r}.")


class _Lookups:
    """Everything the rows refer to, loaded in a handful of queries."""

    def __init__(self, kind: str, rows: list[dict], user):
        self.segments = {s.name.lower(): s for s in Segment.objects.all()}
        users = User.objects.filter(is_active=True)
        self.users = {u.username.lower(): u for u in users} | {
            u.email.lower(): u for u in users if u.email
        }
        scope = Account.objects.for_user(user) if user is not None else Account.objects.all()
        wanted = {r.get("account") for r in rows} | {r.get("external_id") for r in rows}
        wanted.discard("")
        wanted.discard(None)
        self.accounts = {a.external_id: a for a in scope.filter(external_id__in=wanted)}
        self.foreign_account_ids = set()
        # Who may become an account's owner (None: anyone active, for commands).
        self.owner_ids = (
            set(account_owner_choices(user=user).values_list("pk", flat=True))
            if kind == "accounts" and user is not None
            else None
        )
        if kind == "accounts":
            self.foreign_account_ids = set(
                Account.objects.filter(external_id__in=wanted)
                .exclude(pk__in=scope.values("pk"))
                .values_list("external_id", flat=True)
            )
        contact_ids = {r.get("contact") for r in rows} | {r.get("external_id") for r in rows}
        contact_ids.discard("")
        contact_ids.discard(None)
        self.contacts = {
            c.external_id: c for c in Contact.objects.filter(external_id__in=contact_ids)
        }
        self.interactions = {}
        if kind == "interactions":
            self.interactions = dict(
                Interaction.objects.filter(
                    external_id__in={r.get("external_id") for r in rows if r.get("external_id")}
                ).values_list("external_id", "account__external_id")
            )

    def account(self, external_id: str) -> Account:
        if not external_id:
            raise _Invalid("This field is required.")
        try:
            return self.accounts[external_id]
        except KeyError:
            raise _Invalid(f"No account you can see has external id {external_id!r}.") from None

    def user(self, name: str):
        if not name:
            return None
        try:
            return self.users[name.lower()]
        except KeyError:
            raise _Invalid(f"No active user {name!r}.") from None

    def owner(self, name: str):
        owner = self.user(name)
        if owner is not None and self.owner_ids is not None and owner.pk not in self.owner_ids:
            raise _Invalid(f"You may not assign accounts to {name!r} (see the owner rules).")
        return owner


def _convert(row: dict, converters: dict) -> tuple[dict, dict]:
    values, errors = {}, {}
    for column, convert in converters.items():
        if column not in row:
            continue
        try:
            values[column] = convert(row[column])
        except _Invalid as exc:
            errors[column] = [str(exc)]
    return values, errors


# --- accounts ----------------------------------------------------------------------------
def _account_converters(lookups: "_Lookups") -> dict:
    """How each importable cell becomes a value: by its model field's type (the model's own
    validation then applies its ranges and lengths), save the references looked up by name."""
    by_name = {
        "owner": lookups.owner,
        "segment": lambda v: _segment(v, lookups),
        "currency": lambda v: _text(v).upper() or None,
    }
    return {
        name: by_name.get(name) or _converter_for(Account._meta.get_field(name))
        for name in ACCOUNT_WRITABLE
    }


def _converter_for(model_field):
    if model_field.choices:
        return lambda v: _choice(v, model_field.choices)
    if isinstance(model_field, models.DecimalField):
        return _money
    if isinstance(model_field, models.IntegerField):
        return _int
    if isinstance(model_field, models.DateField):
        return _date
    return _text


def _account_rows(rows, lookups, user, progress):
    converters = _account_converters(lookups)
    plans, errors = [], []
    for line, row in rows:
        values, row_errors = _convert(row, converters)
        external_id = row["external_id"]
        if not external_id:
            row_errors["external_id"] = ["Required, so a re-import updates instead of duplicating."]
        elif external_id in lookups.foreign_account_ids:
            row_errors["external_id"] = ["This account exists but belongs to someone else."]
        existing = lookups.accounts.get(external_id)
        account = existing or Account(external_id=external_id or None)
        for name, value in values.items():
            model_field = Account._meta.get_field(name)
            if value is None and not model_field.null:
                if model_field.has_default():  # an empty cell keeps the value (or the default)
                    continue
                value = ""
            setattr(account, name, value)
        try:
            account.full_clean(validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                row_errors.setdefault(name, messages)
        if user is not None and not user.is_admin_role:
            row_errors.setdefault("row", ["Only admins import accounts."])
        if row_errors:
            errors.append({"line": line, "errors": row_errors})
        else:
            plans.append((line, account, existing is None, list(values)))
        progress.advance()
    return plans, errors


def _segment(value: str, lookups: _Lookups):
    if not value:
        return None
    try:
        return lookups.segments[value.lower()]
    except KeyError:
        raise _Invalid(f"Unknown segment {value!r}.") from None


def _write_accounts(plans, author) -> tuple[int, int]:
    new = [account for _, account, is_new, _ in plans if is_new]
    changed = [account for _, account, is_new, _ in plans if not is_new]
    columns = {c for *_, is_new, cols in plans if not is_new for c in cols}
    accounts_bulk_write(new=new, changed=changed, columns=columns, author=author)
    return len(new), len(changed)


# --- contacts ----------------------------------------------------------------------------
def _contact_rows(rows, lookups, user, progress):
    converters = {
        "account": lookups.account,
        "name": _text,
        "email": _text,
        "phone": _text,
        "title": _text,
        "is_champion": _bool,
        "is_decision_maker": _bool,
        "is_user": _bool,
    }
    plans, errors, seen = [], [], {}
    for line, row in rows:
        values, row_errors = _convert(row, converters)
        external_id = row.get("external_id") or None
        existing = lookups.contacts.get(external_id) if external_id else None
        if external_id in seen:
            row_errors["external_id"] = [f"Duplicate of line {seen[external_id]}."]
        elif external_id:
            seen[external_id] = line
        if (
            existing is not None
            and "account" in values
            and existing.account_id != values["account"].pk
        ):
            row_errors.setdefault("external_id", ["This contact belongs to another account."])
        contact = existing or Contact(external_id=external_id)
        for name, value in values.items():
            if value is not None:
                setattr(contact, name, value)
        try:
            contact.full_clean(validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                row_errors.setdefault(name, messages)
        if row_errors:
            errors.append({"line": line, "errors": row_errors})
        else:
            plans.append((line, contact, existing is None, list(values)))
        progress.advance()
    return plans, errors


def _write_contacts(plans, author) -> tuple[int, int]:
    new = [c for _, c, is_new, _ in plans if is_new]
    changed = [c for _, c, is_new, _ in plans if not is_new]
    Contact.objects.bulk_create(new, batch_size=1000)
    columns = sorted({c for *_, is_new, cols in plans if not is_new for c in cols})
    if changed and columns:
        Contact.objects.bulk_update(changed, columns, batch_size=500)
    return len(new), len(changed)


# --- interactions ------------------------------------------------------------------------
def _interaction_rows(rows, lookups, user, progress):
    converters = {
        "account": lookups.account,
        "occurred_at": _datetime,
        "channel": lambda v: _choice(v, Channel.choices),
        "category": lambda v: _choice(v, Category.choices, CATEGORY_LETTERS),
        "work_type": lambda v: _choice(v, WorkType.choices),
        "sentiment": lambda v: _int(v, low=-2, high=2),
        "severity": lambda v: _int(v, low=1, high=4),
        "minutes": lambda v: _int(v, low=0),
        "author": lookups.user,
        "summary": _text,
        "external_id": lambda v: _text(v) or None,
        "contact": lambda v: _contact(v, lookups),
    }
    converted, lines, errors = [], [], {}
    for line, row in rows:
        values, row_errors = _convert(row, converters)
        values = {k: v for k, v in values.items() if v is not None or k == "severity"}
        external_id = values.get("external_id")
        owner = lookups.interactions.get(external_id)
        if owner is not None and owner != row.get("account"):
            row_errors.setdefault("external_id", ["This interaction belongs to another account."])
        if row_errors:
            errors[line] = row_errors
        converted.append(values)
        lines.append(line)
        progress.advance()
    _, bulk_errors = interaction_rows_clean(
        [values for line, values in zip(lines, converted, strict=True) if line not in errors]
    )
    kept = [line for line in lines if line not in errors]
    for error in bulk_errors:
        errors[kept[error["index"]]] = error["errors"]
    plans = [
        (line, values, values.get("external_id") not in lookups.interactions, list(values))
        for line, values in zip(lines, converted, strict=True)
        if line not in errors
    ]
    return plans, [{"line": line, "errors": errs} for line, errs in sorted(errors.items())]


def _contact(value: str, lookups: _Lookups):
    if not value:
        return None
    try:
        return lookups.contacts[value]
    except KeyError:
        raise _Invalid(f"No contact has external id {value!r}.") from None


def _write_interactions(plans, author) -> tuple[int, int]:
    result = interactions_bulk_upsert(rows=[values for _, values, *_ in plans], author=author)
    if result.errors:  # validated above; a race with another writer lands here
        raise ValidationError(f"{len(result.errors)} interaction(s) failed on write.")
    return result.created, result.updated


VALIDATORS = {
    "accounts": (_account_rows, _write_accounts),
    "contacts": (_contact_rows, _write_contacts),
    "interactions": (_interaction_rows, _write_interactions),
}


def _label(kind: str, plan) -> str:
    _, obj, *_ = plan
    if kind == "interactions":
        return f"{obj['account'].name}: {obj.get('category')} on {obj.get('occurred_at'):%Y-%m-%d}"
    if kind == "contacts":
        return f"{obj.name} at {obj.account.name}"
    return f"{obj.name} ({obj.external_id})"


def csv_import(
    *, kind: str, content: str, user=None, dry_run: bool = False, stream=None
) -> ImportReport:
    """Validate a CRM CSV export and, when every row is valid and not a dry run, write it all.

    `user` limits contacts and interactions to accounts the user may see (None: all, for
    commands); only admins import accounts.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    report = ImportReport(kind=kind)
    if not content.strip():
        report.errors.append({"line": 1, "errors": {"file": ["The file is empty."]}})
        return report
    headers, raw_rows, shape_errors = _parse_table(content, kind)
    report.errors.extend(shape_errors)
    missing = [c for c in REQUIRED[kind] if c not in headers]
    if missing:
        report.errors.append(
            {"line": 1, "errors": {"header": [f"Missing column(s): {', '.join(missing)}."]}}
        )
        return report
    if len(raw_rows) > MAX_ROWS:
        report.errors.append(
            {"line": 1, "errors": {"file": [f"At most {MAX_ROWS:,} rows per import."]}}
        )
        return report
    report.ignored_columns = [h for h in headers if h not in COLUMNS[kind]]
    bad_shape = {e["line"] for e in shape_errors}
    rows = [
        (number, {h: _text(v) for h, v in zip(headers, row, strict=False) if h in COLUMNS[kind]})
        for number, row in enumerate(raw_rows, start=2)
        if number not in bad_shape
    ]
    report.total = len(raw_rows)
    if kind == "accounts":
        seen = {}
        for number, row in rows:
            if row["external_id"] in seen:
                report.errors.append(
                    {
                        "line": number,
                        "errors": {
                            "external_id": [f"Duplicate of line {seen[row['external_id']]}."]
                        },
                    }
                )
            seen.setdefault(row["external_id"], number)
        duplicates = {e["line"] for e in report.errors}
        rows = [(n, r) for n, r in rows if n not in duplicates]
    lookups = _Lookups(kind, [r for _, r in rows], user)
    validate, write = VALIDATORS[kind]
    with Progress(f"validating {kind}", len(rows), stream=stream or io.StringIO()) as progress:
        plans, errors = validate(rows, lookups, user, progress)
    report.errors = sorted(report.errors + errors, key=lambda e: e["line"])
    report.preview = [
        {"line": plan[0], "action": "create" if plan[2] else "update", "label": _label(kind, plan)}
        for plan in plans[:50]
    ]
    would_create = sum(1 for plan in plans if plan[2])
    report.created, report.updated = would_create, len(plans) - would_create
    if report.errors or dry_run:
        return report
    with transaction.atomic():
        report.created, report.updated = write(plans, user)
    report.committed = True
    return report
