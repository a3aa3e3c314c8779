"""Between nightly runs: changed inputs rescore the account soon, a burst only once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.events import publish
from healthscores.models import HealthSnapshot
from healthscores.services import rescore_pending, rescore_queue
from tests import factories

from .conftest import add_interactions

pytestmark = pytest.mark.django_db


@pytest.fixture
def scheduled(monkeypatch):
    """Capture rescore tasks instead of running them (as a real broker would, later)."""
    calls = []
    from healthscores import tasks

    monkeypatch.setattr(tasks.rescore_accounts, "apply_async", lambda *a, **kw: calls.append(kw))
    return calls


def test_a_burst_of_input_changes_schedules_one_rescore_of_every_account(db, scheduled):
    """GIVEN three accounts WHEN ten input changes arrive in a burst
    THEN one rescore task is scheduled with a countdown, and it rescores all three once."""
    accounts = [factories.AccountFactory(owner=None) for _ in range(3)]
    for i in range(10):
        rescore_queue(account_ids=[accounts[i % 3].pk])
    assert len(scheduled) == 1 and scheduled[0]["countdown"] > 0
    assert rescore_pending() == 3
    today = timezone.localdate()
    assert HealthSnapshot.objects.filter(as_of=today).count() == 3
    assert rescore_pending() == 0  # the queue was drained


def test_a_change_after_the_rescore_started_schedules_the_next_one(db, scheduled):
    account = factories.AccountFactory(owner=None)
    rescore_queue(account_ids=[account.pk])
    rescore_pending()
    rescore_queue(account_ids=[account.pk])
    assert len(scheduled) == 2


def test_logging_an_interaction_updates_todays_health_without_a_run(
    db, django_capture_on_commit_callbacks
):
    """GIVEN an account scored this morning WHEN escalations are logged and the accounts app
    publishes account.inputs_changed THEN its current health and today's snapshot update."""
    account = factories.AccountFactory(owner=None, icp_fit=90)
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        publish("account.inputs_changed", account_ids=[account.pk])
    morning = HealthSnapshot.objects.get(account=account, as_of=today)
    add_interactions(account, [(today - timedelta(days=1), "escalation")] * 4)
    with django_capture_on_commit_callbacks(execute=True):
        publish("account.inputs_changed", account_ids=[account.pk])
    evening = HealthSnapshot.objects.get(account=account, as_of=today)
    assert evening.pk == morning.pk
    assert evening.decay_score > morning.decay_score
    account.refresh_from_db()
    assert account.decay_score == evening.decay_score and account.health_as_of == today
