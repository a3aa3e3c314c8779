"""Writes for customer accounts: the goodwill ledger, interactions, ICP fit, customer signals,
config."""

from .accounts import (
    account_create,
    account_update,
    accounts_bulk_upsert,
    contact_update,
    contact_upsert,
)
from .common import BulkResult
from .customer_signals import (
    subscription_upsert,
    subscriptions_bulk_upsert,
    survey_record,
    usage_bulk_upsert,
)
from .icp import icp_scores_refresh
from .interactions import interaction_log, interactions_bulk_upsert
from .ledger import (
    LedgerError,
    ledger_reconcile,
    trust_entry_append,
    trust_entry_reverse,
    trust_points_for_interaction,
)

__all__ = [
    "BulkResult",
    "LedgerError",
    "account_create",
    "account_update",
    "accounts_bulk_upsert",
    "contact_update",
    "contact_upsert",
    "icp_scores_refresh",
    "interaction_log",
    "interactions_bulk_upsert",
    "ledger_reconcile",
    "subscription_upsert",
    "subscriptions_bulk_upsert",
    "survey_record",
    "trust_entry_append",
    "trust_entry_reverse",
    "trust_points_for_interaction",
    "usage_bulk_upsert",
]
