"""An account's end of life, for admins: archive (the default, reversible) or delete for good.

Archiving takes the account out of every book, list, page, report, rule and score run and
keeps all of its history (ledger, snapshots, CTAs, plans) for a later restore. Deleting removes
the account and everything recorded about it, its goodwill ledger included: the only way a
ledger ever leaves the database, whole and with its account, through the database function
`accounts_account_ledger_purge` (migration 0014), which refuses an account that is not archived.
Every change is audited (core.privacy.audit_record); a repeat changes nothing and records nothing.
"""

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Account
from core.models import AuditAction
from core.privacy import audit_record


def _locked(account: Account) -> Account:
    return Account.objects.select_for_update().get(pk=account.pk)


@transaction.atomic
def account_archive(*, account: Account, actor, request=None) -> tuple[Account, bool]:
    """Archive the account (history kept; restorable). Returns (account, changed)."""
    account = _locked(account)
    if account.archived_at is not None:
        return account, False
    account.archived_at = timezone.now()
    account.save(update_fields=["archived_at", "updated_at"])
    audit_record(
        action=AuditAction.ACCOUNT_ARCHIVED,
        target_type="account",
        target_id=account.pk,
        account_id=account.pk,
        actor=actor,
        request=request,
    )
    return account, True


@transaction.atomic
def account_restore(*, account: Account, actor, request=None) -> tuple[Account, bool]:
    """Bring an archived account back into books, lists and score runs. (account, changed)"""
    account = _locked(account)
    if account.archived_at is None:
        return account, False
    account.archived_at = None
    account.save(update_fields=["archived_at", "updated_at"])
    audit_record(
        action=AuditAction.ACCOUNT_RESTORED,
        target_type="account",
        target_id=account.pk,
        account_id=account.pk,
        actor=actor,
        request=request,
    )
    return account, True


@transaction.atomic
def account_delete(*, account: Account, actor, request=None) -> dict[str, int]:
    """Delete the account and everything recorded about it, for good; returns rows removed by
    kind (the audit record keeps these counts, nothing else about the account)."""
    account, _ = account_archive(account=account, actor=actor, request=request)
    account_id = account.pk
    with connection.cursor() as cursor:
        cursor.execute("SELECT accounts_account_ledger_purge(%s)", [account.pk])
        ledger_entries = cursor.fetchone()[0]
    _total, by_model = account.delete()
    counts = {"trustentry": ledger_entries}
    for label, count in sorted(by_model.items()):
        if count and label != "accounts.Account":
            counts[label.split(".", 1)[1].lower()] = count
    audit_record(
        action=AuditAction.ACCOUNT_DELETED,
        target_type="account",
        target_id=account_id,
        account_id=None,
        actor=actor,
        request=request,
        counts=counts,
    )
    return counts
