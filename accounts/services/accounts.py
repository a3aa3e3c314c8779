"""Creating and changing accounts and contacts; keeps ICP fit and the starting trust in step."""

from datetime import datetime, time

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import (
    Account,
    Contact,
    EntrySource,
    Segment,
    Stage,
    TrustEntry,
    TrustPolicy,
)
from accounts.selectors import account_owner_choices
from core.events import publish

from . import ledger
from .common import BulkResult, field_errors
from .icp import icp_scores_refresh

STARTING_TRUST_REASON = "Starting trust: a new customer extends a little goodwill."
# Changing these attributes can change the account's ICP fit.
ICP_INPUTS = {
    "industry",
    "employee_count",
    "region",
    "arr",
    "segment",
    "segment_id",
    "custom_attributes",
}


def opening_trust_at(account: Account) -> datetime:
    """When an account's starting trust takes effect: the start of its contract-start day (so a
    run back-dated to any day of the contract sees it), or now when the contract start is
    unknown or still ahead (the ledger never holds entries dated in the future)."""
    now = timezone.now()
    if account.contract_start is None:
        return now
    tz = timezone.get_current_timezone()
    return min(datetime.combine(account.contract_start, time.min, tzinfo=tz), now)


def _extend_starting_trust(account: Account, author=None) -> None:
    """A customer (not a prospect) starts its ledger with the policy's starting balance."""
    if account.stage == Stage.PROSPECT or account.ledger_seq:
        return
    points = TrustPolicy.current().starting_balance
    if points:
        ledger.trust_entry_append(
            account=account,
            points=points,
            reason=STARTING_TRUST_REASON,
            source=EntrySource.MILESTONE,
            author=author,
            occurred_at=opening_trust_at(account),
            apply_cushion=False,
        )


def opening_entry(account: Account) -> TrustEntry | None:
    """The account's starting-trust entry in force (the latest one not reversed), if any."""
    return (
        TrustEntry.objects.filter(
            account=account,
            source=EntrySource.MILESTONE,
            reason=STARTING_TRUST_REASON,
            reversed_by__isnull=True,
        )
        .order_by("-seq")
        .first()
    )


def _only_opening(account_ids: list[int]) -> set[int]:
    """Those of these accounts whose ledger holds no entry but starting trust and reversals of
    it (nothing has happened on them), in one query whatever their number."""
    busy = (
        TrustEntry.objects.filter(account_id__in=account_ids)
        .exclude(source=EntrySource.MILESTONE, reason=STARTING_TRUST_REASON)
        .exclude(source=EntrySource.REVERSAL, reverses__reason=STARTING_TRUST_REASON)
        .values_list("account_id", flat=True)
        .distinct()
    )
    return set(account_ids) - set(busy)


def _ledger_is_only_opening(account: Account) -> bool:
    """No entry but starting trust and reversals of it: nothing has happened on the account."""
    return account.pk in _only_opening([account.pk])


@transaction.atomic
def ledger_opening_redate(*, account: Account, author=None) -> TrustEntry | None:
    """Re-date the starting trust to the contract start, the append-only way.

    The opening entry is reversed with a reversal dated at the opening's own instant (the
    pair cancels out at every date), and a new opening entry is appended dated at the
    contract start. Returns the new entry, or None when the opening is already dated right
    (or the account has none). Entries after the opening are left as they are.
    """
    account = Account.objects.select_for_update().get(pk=account.pk)
    current = opening_entry(account)
    if current is None:
        return None
    start = account.contract_start
    if (
        start is None
        or start > timezone.localdate()
        or timezone.localtime(current.occurred_at).date() == start
    ):
        return None
    when = opening_trust_at(account)
    ledger.trust_entry_reverse(
        entry=current,
        reason="The starting trust is dated at the contract start.",
        author=author,
        occurred_at=current.occurred_at,
    )
    return ledger.trust_entry_append(
        account=account,
        points=current.points,
        reason=STARTING_TRUST_REASON,
        source=EntrySource.MILESTONE,
        author=author,
        occurred_at=when,
        apply_cushion=False,
    )


@transaction.atomic
def account_create(*, author=None, **fields) -> Account:
    """Create an account, score its ICP fit and open its ledger with the starting trust."""
    account = Account(**fields)
    account.full_clean()
    account.save()
    _extend_starting_trust(account, author)
    icp_scores_refresh(account_ids=[account.pk])
    account.refresh_from_db()
    return account


@transaction.atomic
def account_update(*, account: Account, author=None, **fields) -> Account:
    """Change an account's attributes; rescore ICP fit when a fit input changed.

    A contract start set or moved while the ledger holds nothing but the starting trust moves
    the starting trust to it (see `ledger_opening_redate`); later entries keep it where it is.
    """
    # From the row: a ModelForm has already written the new values onto the instance.
    stored_start = (
        Account.objects.filter(pk=account.pk).values_list("contract_start", flat=True).first()
    )
    for name, value in fields.items():
        setattr(account, name, value)
    account.full_clean()
    # Never overwrite the ledger-maintained or job-maintained columns from a stale instance.
    editable = [
        f.name
        for f in Account._meta.concrete_fields
        if f.editable and not f.primary_key and f.name not in {"goodwill_balance", "ledger_seq"}
    ]
    account.save(update_fields=[*editable, "updated_at"])
    _extend_starting_trust(account, author)
    if account.contract_start != stored_start and _ledger_is_only_opening(account):
        # Set or moved before anything else happened: the opening follows the contract start.
        ledger_opening_redate(account=account, author=author)
    if ICP_INPUTS & set(fields):
        icp_scores_refresh(account_ids=[account.pk])
    ledger.publish("account.inputs_changed", account_ids=[account.pk])
    account.refresh_from_db()
    return account


def accounts_bulk_write(*, new: list[Account], changed: list[Account], columns, author) -> None:
    """Write accounts made or changed in bulk (CSV import, bulk API) in a few set-based queries:
    insert the new ones, update `columns` of the changed ones, open the ledger with the
    starting trust of every customer without one, rescore their ICP fit and tell the
    between-night rescore."""
    Account.objects.bulk_create(new, batch_size=1000)
    columns = sorted(set(columns))
    now = timezone.now()
    for account in changed:
        account.updated_at = now  # bulk_update leaves auto_now alone
    if changed and columns:
        Account.objects.bulk_update(changed, [*columns, "updated_at"], batch_size=500)
    starting = TrustPolicy.current().starting_balance
    if starting:
        ledger.trust_entries_bulk_append(
            pending=[
                ledger.PendingEntry(
                    account_id=a.pk,
                    points=starting,
                    reason=STARTING_TRUST_REASON,
                    source=EntrySource.MILESTONE,
                    occurred_at=opening_trust_at(a),
                    author=author,
                    apply_cushion=False,
                )
                for a in new + changed
                if a.stage != Stage.PROSPECT and not a.ledger_seq
            ]
        )
    ids = [a.pk for a in new + changed]
    icp_scores_refresh(account_ids=ids)
    publish("account.inputs_changed", account_ids=ids)


@transaction.atomic
def accounts_bulk_upsert(*, rows: list[dict], author) -> BulkResult:
    """Create or update many accounts by `external_id` (a CRM sync), in a few set-based
    queries whatever the number of rows; rows that cannot be written are reported by index.

    Each row holds the account's writable fields as parsed values, `owner` and `segment` as
    ids. An update changes only the fields its row names. The rules are those of one POST or
    PUT by external_id: the caller may update only accounts they can see (another's account
    is an error on the row, never overwritten), may name only owners the owner rules allow,
    and a new account is owned by the caller unless the row names an owner.
    """
    result = BulkResult()
    wanted = [row["external_id"] for row in rows]
    stored = {a.external_id: a for a in Account.objects.filter(external_id__in=wanted)}
    visible = set(
        Account.objects.for_user(author)
        .filter(external_id__in=wanted)
        .values_list("external_id", flat=True)
    )
    owners = {row["owner"] for row in rows if row.get("owner") is not None}
    allowed_owners = (
        set(account_owner_choices(user=author).filter(pk__in=owners).values_list("pk", flat=True))
        if owners
        else set()
    )
    segments = {row["segment"] for row in rows if row.get("segment") is not None}
    known_segments = (
        set(Segment.objects.filter(pk__in=segments).values_list("pk", flat=True))
        if segments
        else set()
    )
    new, changed, columns, seen = [], [], set(), {}
    contract_moved = []
    for index, row in enumerate(rows):
        external_id = row["external_id"]
        fields = {name: value for name, value in row.items() if name != "external_id"}
        errors: dict[str, list[str]] = {}
        if external_id in seen:
            errors["external_id"] = [f"Duplicate of row {seen[external_id]} in this batch."]
        existing = stored.get(external_id)
        if existing is not None and external_id not in visible:
            errors["external_id"] = [
                "An account with this external_id exists that you cannot change (another "
                "owner's, or archived)."
            ]
        if fields.get("owner") is not None and fields["owner"] not in allowed_owners:
            errors["owner"] = ["You may not assign accounts to this user (see the owner rules)."]
        if fields.get("segment") is not None and fields["segment"] not in known_segments:
            errors["segment"] = ["Unknown segment."]
        if errors:
            result.errors.append({"index": index, "errors": errors})
            continue
        seen[external_id] = index
        account = existing or Account(external_id=external_id, owner=author)
        before = account.contract_start
        for name in ("owner", "segment"):
            if name in fields:
                setattr(account, f"{name}_id", fields.pop(name))
        for name, value in fields.items():
            setattr(account, name, value)
        try:
            # owner and segment were checked above, in one query each for the batch
            account.full_clean(
                exclude=["owner", "segment"], validate_unique=False, validate_constraints=False
            )
        except ValidationError as exc:
            result.errors.append({"index": index, "errors": field_errors(exc)})
            continue
        if existing is None:
            new.append(account)
            continue
        changed.append(account)
        columns |= {
            f"{name}_id" if name in ("owner", "segment") else name
            for name in row
            if name != "external_id"
        }
        if account.contract_start != before:
            contract_moved.append(account)
    accounts_bulk_write(new=new, changed=changed, columns=columns, author=author)
    quiet = _only_opening([a.pk for a in contract_moved]) if contract_moved else set()
    for account in contract_moved:
        if account.pk in quiet:
            ledger_opening_redate(account=account, author=author)
    result.created, result.updated = len(new), len(changed)
    result.errors.sort(key=lambda e: e["index"])
    return result


@transaction.atomic
def contact_upsert(*, account: Account, external_id: str | None = None, **fields) -> Contact:
    """Create a contact, or update the one with this external_id."""
    contact = Contact.objects.filter(external_id=external_id).first() if external_id else None
    _refuse_erased(contact)
    contact = contact or Contact(external_id=external_id or None)
    contact.account = account
    for name, value in fields.items():
        setattr(contact, name, value)
    contact.full_clean()
    contact.save()
    return contact


def _refuse_erased(contact: Contact | None) -> None:
    """An erased contact's details stay erased (accounts.services.privacy)."""
    if contact is not None and contact.erased_at is not None:
        raise ValidationError(
            "This contact's personal data was erased; add a new contact if the person returns."
        )


@transaction.atomic
def contact_update(*, contact: Contact, **fields) -> Contact:
    """Change a contact's details (the account it belongs to stays)."""
    _refuse_erased(contact)
    for name, value in fields.items():
        setattr(contact, name, value)
    contact.full_clean()
    contact.save()
    return contact
