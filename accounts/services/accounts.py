"""Creating and changing accounts and contacts; keeps ICP fit and the starting trust in step."""

from django.db import transaction

from accounts.models import Account, Contact, EntrySource, Stage, TrustPolicy

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
            occurred_at=None,
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
    """Change an account's attributes; rescore ICP fit when a fit input changed."""
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
    if ICP_INPUTS & set(fields):
        icp_scores_refresh(account_ids=[account.pk])
    ledger.publish("account.inputs_changed", account_ids=[account.pk])
    account.refresh_from_db()
    return account


@transaction.atomic
def contact_upsert(*, account: Account, external_id: str | None = None, **fields) -> Contact:
    """Create a contact, or update the one with this external_id."""
    contact = Contact.objects.filter(external_id=external_id).first() if external_id else None
    contact = contact or Contact(external_id=external_id or None)
    contact.account = account
    for name, value in fields.items():
        setattr(contact, name, value)
    contact.full_clean()
    contact.save()
    return contact


@transaction.atomic
def contact_update(*, contact: Contact, **fields) -> Contact:
    """Change a contact's details (the account it belongs to stays)."""
    for name, value in fields.items():
        setattr(contact, name, value)
    contact.full_clean()
    contact.save()
    return contact
