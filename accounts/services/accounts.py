"""Creating and changing accounts and contacts; keeps ICP fit and the starting trust in step."""

from datetime import datetime, time

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Account, Contact, EntrySource, Stage, TrustEntry, TrustPolicy

from . import ledger
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


def _ledger_is_only_opening(account: Account) -> bool:
    """No entry but starting trust and reversals of it: nothing has happened on the account."""
    return not (
        TrustEntry.objects.filter(account=account)
        .exclude(source=EntrySource.MILESTONE, reason=STARTING_TRUST_REASON)
        .exclude(source=EntrySource.REVERSAL, reverses__reason=STARTING_TRUST_REASON)
        .exists()
    )


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
