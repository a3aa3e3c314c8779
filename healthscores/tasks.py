"""Celery tasks for health scoring (placeholders until the health capability lands)."""

from celery import shared_task


@shared_task(name="healthscores.tasks.nightly_score_run")
def nightly_score_run() -> None:
    """Start today's score run (implemented by the health capability)."""


@shared_task(name="healthscores.tasks.rescore_accounts")
def rescore_accounts(account_ids: list[int]) -> None:
    """Rescore a few accounts between nightly runs (implemented by the health capability)."""
