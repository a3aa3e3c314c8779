"""A task travels through the real Redis broker to a real Celery worker process and back."""

import pytest

pytestmark = pytest.mark.services


def test_task_round_trips_through_a_real_worker(celery_worker):
    from csplatform.celery import ping

    result = ping.delay(41)
    # disable_sync_subtasks: other tests may have run an in-process worker, which marks the
    # whole process as "inside a task"; this test process is not a worker.
    assert result.get(timeout=30, disable_sync_subtasks=False) == 42
