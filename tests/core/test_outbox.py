"""The transactional outbox: an event exists exactly when the change that caused it committed,
a failing subscriber is retried (its half-done writes rolled back), a duplicate dispatch does
nothing, and what a dead broker never received the sweeper delivers."""

from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from core import events
from core.models import OutboxMessage
from integrations.models import WebhookDelivery
from users.models import Team

pytestmark = pytest.mark.django_db


@pytest.fixture
def subscriber():
    """A subscriber that writes a row (a team named after the payload) and can be made to fail."""
    calls = {"n": 0, "fail": 0}

    def make_team(*, name):
        calls["n"] += 1
        Team.objects.create(name=name)
        if calls["fail"]:
            calls["fail"] -= 1
            raise RuntimeError("receiver down")

    make_team.outbox_name = "tests.make_team"
    events.subscribe("test.happened", make_team)
    yield calls
    events._handlers["test.happened"].remove(make_team)


def test_an_event_is_written_with_the_change_and_vanishes_with_its_rollback(subscriber):
    with transaction.atomic():
        events.publish("test.happened", name="kept")
        with pytest.raises(RuntimeError), transaction.atomic():
            events.publish("test.happened", name="rolled back")
            raise RuntimeError("the publisher's change failed")
    assert list(OutboxMessage.objects.values_list("payload", "status", "handler")) == [
        ({"name": "kept"}, "pending", "tests.make_team")
    ]


def test_subscribers_run_after_commit_and_their_row_is_marked_done(
    subscriber, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        events.publish("test.happened", name="Alpha")
    message = OutboxMessage.objects.get()
    assert (message.status, message.attempts) == ("done", 1)
    assert Team.objects.filter(name="Alpha").count() == 1


def test_a_failing_subscriber_is_rolled_back_and_retried_later_by_the_sweeper(
    subscriber, django_capture_on_commit_callbacks, settings
):
    """GIVEN a subscriber that fails once (after writing) WHEN the event is delivered THEN its
    write is undone and the row waits with back-off; the sweeper's later run applies it once."""
    subscriber["fail"] = 1
    with django_capture_on_commit_callbacks(execute=True):
        events.publish("test.happened", name="Beta")
    message = OutboxMessage.objects.get()
    assert (message.status, message.attempts) == ("pending", 1)
    assert "receiver down" in message.last_error
    assert not Team.objects.filter(name="Beta").exists()
    assert events.outbox_sweep() == {}  # not due yet: back-off
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        assert events.outbox_sweep() == {"done": 1}
    assert Team.objects.filter(name="Beta").count() == 1
    assert subscriber["n"] == 2


def test_a_duplicate_dispatch_runs_the_subscriber_once(subscriber):
    events.publish("test.happened", name="Gamma")
    message = OutboxMessage.objects.get()
    assert events.outbox_messages_process(message_ids=[message.pk, message.pk]) == {
        "done": 1,
        "skipped": 1,
    }
    assert Team.objects.filter(name="Gamma").count() == 1


def test_a_subscriber_that_keeps_failing_ends_failed_for_an_operator(subscriber, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    subscriber["fail"] = 5
    events.publish("test.happened", name="Delta")
    message = OutboxMessage.objects.get()
    events.outbox_messages_process(message_ids=[message.pk])
    OutboxMessage.objects.filter(pk=message.pk).update(available_at=timezone.now())
    events.outbox_messages_process(message_ids=[message.pk])
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", 2)


def test_a_dead_broker_leaves_events_for_the_sweeper_without_failing_the_request(
    subscriber, django_capture_on_commit_callbacks, monkeypatch
):
    from kombu.exceptions import OperationalError

    from core import tasks
    from csplatform.celery import app

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6399. Connection refused.")

    app.conf.task_always_eager = False  # the autouse fixture puts it back
    monkeypatch.setattr(tasks.outbox_deliver, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        events.publish("test.happened", name="Epsilon")  # no exception reaches the caller
    assert OutboxMessage.objects.get().status == "pending"
    with time_machine.travel(timezone.now() + timedelta(minutes=1)):
        assert events.outbox_sweep() == {"done": 1}
    assert Team.objects.filter(name="Epsilon").count() == 1


def test_sweeper_requeues_a_webhook_delivery_whose_task_was_lost(org, monkeypatch):
    from integrations import services, tasks

    hook = services.webhook_create(
        name="CRM", url="https://crm.example.com/h", events=["cta.opened"]
    )
    lost = WebhookDelivery.objects.create(webhook=hook, event="cta.opened", payload={})
    sent = []
    monkeypatch.setattr(tasks.webhook_deliver, "delay", lambda pk, **kw: sent.append((pk, kw)))
    assert services.webhook_deliveries_sweep() == 0  # too fresh: its own task may be on the way
    with time_machine.travel(timezone.now() + timedelta(minutes=1)):
        assert services.webhook_deliveries_sweep() == 1
    assert sent == [(lost.pk, {"attempt": 1})]


def test_a_duplicate_webhook_task_for_an_attempt_already_made_sends_nothing(org, receiver):
    from integrations.services import webhook_create, webhook_delivery_attempt

    hook = webhook_create(name="R", url=receiver.url, events=["cta.opened"])
    delivery = WebhookDelivery.objects.create(webhook=hook, event="cta.opened", payload={})
    webhook_delivery_attempt(delivery_id=delivery.pk, attempt=1)
    again = webhook_delivery_attempt(delivery_id=delivery.pk, attempt=1)
    assert (again.status, again.attempts) == ("delivered", 1)
    assert len(receiver.requests) == 1


def test_delivered_rows_are_purged_after_the_retention_period(subscriber, settings):
    settings.OUTBOX_RETENTION_DAYS = 14
    events.publish("test.happened", name="Old")
    events.outbox_messages_process(message_ids=OutboxMessage.objects.values_list("pk", flat=True))
    assert events.outbox_messages_purge() == 0
    with time_machine.travel(timezone.now() + timedelta(days=15)):
        assert events.outbox_messages_purge() == 1


def test_the_outbox_purge_and_sweeper_are_scheduled_by_beat(settings):
    from csplatform.celery import app

    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["retention-outbox"]["task"] == "core.tasks.outbox_purge"
    assert schedule["outbox-sweeper"]["task"] == "core.tasks.outbox_sweep"
    assert {"core.tasks.outbox_purge", "core.tasks.outbox_sweep"} <= set(app.tasks)
