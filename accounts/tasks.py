"""Celery tasks of the accounts app (thin: each calls one service)."""

import logging

from celery import shared_task
from django.core.mail import mail_admins

from .services.icp import icp_scores_refresh
from .services.ledger import interaction_effects_reconcile, ledger_reconcile

logger = logging.getLogger(__name__)


@shared_task(name="accounts.tasks.ledger_reconcile_nightly")
def ledger_reconcile_nightly() -> int:
    """Check balance = Σ entries = last balance_after for every account, and that each
    interaction's entries add up to its rule's points; log each mismatch at ERROR and mail the
    ADMINS a summary. Returns the number of mismatches."""
    balances = ledger_reconcile()
    effects = interaction_effects_reconcile()
    for row in balances:
        logger.error("goodwill ledger mismatch: %s", row)
    for row in effects:
        logger.error("goodwill ledger: an interaction's entries miss its rule: %s", row)
    if balances or effects:
        mail_admins(
            "Goodwill ledger does not reconcile",
            f"{len(balances)} account balance(s) disagree with their entries and "
            f"{len(effects)} interaction(s) have entries that miss their rule's points.\n"
            "Run `manage.py reconcile_ledger` for the list.",
            fail_silently=True,
        )
    return len(balances) + len(effects)


@shared_task(name="accounts.tasks.icp_scores_refresh_all")
def icp_scores_refresh_all() -> int:
    """Rescore every account's ICP fit (after an ICP, criterion or segment changed)."""
    return icp_scores_refresh()
