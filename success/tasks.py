"""Celery tasks for success plans and interventions (thin: parse ids/dates, call a service)."""

from datetime import date

from celery import shared_task
from django.utils import timezone


@shared_task(name="success.tasks.plan_steps_check_overdue")
def plan_steps_check_overdue(today: str | None = None) -> int:
    """Append the one-off chute for every plan step that passed its due date undone."""
    from success.services import plan_steps_chute_overdue

    day = date.fromisoformat(today) if today else timezone.localdate()
    return plan_steps_chute_overdue(today=day)


@shared_task(name="success.tasks.interventions_evaluate")
def interventions_evaluate_task(as_of: str, run_id: int | None = None) -> dict[str, int]:
    """Run every intervention rule over all accounts as of a score run's date (not after a
    back-fill or a run older than the newest: that is history)."""
    from success.services import interventions_evaluate
    from success.services.interventions import run_is_current

    day = date.fromisoformat(as_of)
    if not run_is_current(run_id=run_id, as_of=day):
        return {}
    return interventions_evaluate(as_of=day)


@shared_task(name="success.tasks.plan_shares_purge")
def plan_shares_purge_task() -> int:
    """Forget plan share links expired or revoked past SHARE_LINK_RETENTION_DAYS."""
    from success.services.plans import plan_shares_purge

    return plan_shares_purge()
