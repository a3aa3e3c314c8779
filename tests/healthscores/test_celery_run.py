"""A nightly run through a real Celery worker on PostgreSQL and Redis."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from healthscores.models import HealthSnapshot, RunStatus, ScoreRun
from healthscores.services import score_run_start
from tests import factories

from .conftest import add_interactions, add_ledger

pytestmark = [pytest.mark.services, pytest.mark.slow]


def test_a_run_fans_out_over_real_workers_and_scores_everyone_once(celery_worker, settings):
    """GIVEN 25 customers WHEN the nightly run starts with chunks of 4 on a real worker
    THEN the workers score every account exactly once and the run completes."""
    settings.SCORE_CHUNK_SIZE = 4
    today = timezone.localdate()
    accounts = [factories.AccountFactory(owner=None, icp_fit=3 * i) for i in range(25)]
    for account in accounts[:10]:
        add_ledger(account, [(today - timedelta(days=20), 30)])
        add_interactions(account, [(today - timedelta(days=3), "value_adding")])
    run = score_run_start(as_of=today, trigger="nightly")
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.is_finished:
            break
        time.sleep(0.3)
    assert run.status == RunStatus.COMPLETED, run.failures
    assert (run.chunks_total, run.scored_accounts) == (7, 25)
    assert HealthSnapshot.objects.filter(as_of=today).count() == 25
    assert score_run_start(as_of=today, trigger="nightly").pk == run.pk
    assert ScoreRun.objects.count() == 1
