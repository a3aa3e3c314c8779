"""Celery tasks of the accounts app (thin: each calls one service)."""

import logging

from celery import shared_task

from .services.icp import icp_scores_refresh
from .services.ledger import ledger_reconcile

logger = logging.getLogger(__name__)


@shared_task(name="accounts.tasks.ledger_reconcile_nightly")
def ledger_reconcile_nightly() -> int:
    """Check balance = Σ entries = last balance_after for every account; log each mismatch."""
    mismatches = ledger_reconcile()
    for row in mismatches:
        logger.error("goodwill ledger mismatch: %s", row)
    return len(mismatches)


@shared_task(name="accounts.tasks.icp_scores_refresh_all")
def icp_scores_refresh_all() -> int:
    """Rescore every account's ICP fit (after an ICP, criterion or segment changed)."""
    return icp_scores_refresh()
