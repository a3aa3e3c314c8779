"""The outbox loses no event and applies none twice when production misbehaves: a process
SIGKILLed between commit and dispatch, the broker down while events are published, a worker
SIGKILLed in the middle of deliveries. Real PostgreSQL outside test transactions, real Celery
workers, a private redis-server (never the shared one)."""

import http.server
import subprocess
import sys
import threading
import time

import pytest

from core.models import OutboxMessage
from integrations.models import WebhookAttempt, WebhookDelivery
from integrations.services import webhook_create
from tests import factories

from .conftest import BASE_DIR, slow_fault

pytestmark = [pytest.mark.services]


class CountingReceiver:
    """A receiver that answers 200 after `delay` seconds and records each delivery id it got
    (the effect a receiver keeps is one per id: it dedupes on X-Csplatform-Delivery)."""

    def __init__(self, delay: float = 0.0):
        self.got: list[str] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                time.sleep(delay)
                receiver.got.append(self.headers["X-Csplatform-Delivery"])
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = CountingReceiver()
    yield r
    r.close()


def _wait(predicate, seconds: float, step: float = 0.25) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


def _publisher(env: dict, account_id: int, count: int, *flags: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tests.faults.publisher", str(account_id), str(count), *flags],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _sweep(broker_url: str) -> None:
    """What beat does every minute: send the outbox sweeper to the workers."""
    from core.tasks import outbox_sweep_task
    from csplatform.celery import app

    with app.connection_for_write(broker_url) as conn:
        outbox_sweep_task.apply_async(connection=conn)


def _drill_env(workers) -> dict:
    workers.env.update(
        {
            "OUTBOX_SWEEP_GRACE_SECONDS": "1",
            "WEBHOOK_CLAIM_SECONDS": "6",
            "WEBHOOK_RETRY_BASE_SECONDS": "2",
        }
    )
    return workers.env


def _assert_each_entry_delivered_once(receiver, hook, count: int) -> None:
    deliveries = WebhookDelivery.objects.filter(webhook=hook)
    assert deliveries.count() == count  # one delivery row per event: none lost, none doubled
    assert set(deliveries.values_list("status", flat=True)) == {"delivered"}
    assert set(receiver.got) == {str(pk) for pk in deliveries.values_list("pk", flat=True)}
    assert not OutboxMessage.objects.exclude(status="done").exists()
    successes = WebhookAttempt.objects.filter(delivery__webhook=hook, response_status=200)
    assert successes.count() == count


def _setup():
    owner = factories.UserFactory()
    account = factories.AccountFactory(owner=owner)
    return account


@slow_fault
def test_process_killed_between_commit_and_dispatch_loses_no_event(
    private_redis, workers_on, receiver
):
    """GIVEN a webhook on ledger entries WHEN a process commits 15 entries and is SIGKILLed
    before it hands their events to the broker THEN the events are in the outbox, and the
    sweeper on a real worker delivers each entry's webhook exactly once."""
    account = _setup()
    hook = webhook_create(name="BI", url=receiver.url, events=["ledger.entry_appended"])
    workers = workers_on(private_redis.url)
    env = _drill_env(workers)
    result = _publisher(env, account.pk, 15, "--die-at-dispatch")
    assert result.returncode == -9, result.stderr[-2000:]
    from accounts.models import TrustEntry

    entries = TrustEntry.objects.filter(account=account, reason__startswith="fault drill")
    assert entries.count() == 15
    pending = OutboxMessage.objects.filter(event="ledger.entry_appended", status="pending")
    assert pending.count() == 15  # committed with the entries, never dispatched
    workers.start("sweeper")
    time.sleep(1.5)
    _sweep(private_redis.url)
    assert _wait(lambda: len(set(receiver.got)) == 15, 90), receiver.got
    time.sleep(2)  # a duplicate would arrive now
    _assert_each_entry_delivered_once(receiver, hook, 15)


@slow_fault
def test_broker_down_while_events_are_published_loses_none(private_redis, workers_on, receiver):
    """GIVEN a running worker WHEN the broker is down while 12 entries are written (requests
    still succeed) and comes back after a while THEN the sweeper delivers every event once."""
    account = _setup()
    hook = webhook_create(name="BI", url=receiver.url, events=["ledger.entry_appended"])
    workers = workers_on(private_redis.url)
    env = _drill_env(workers)
    workers.start("steady")
    private_redis.stop()
    started = time.monotonic()
    result = _publisher(env, account.pk, 12)
    assert result.returncode == 0, result.stderr[-2000:]  # the writes succeed without a broker
    assert time.monotonic() - started < 60
    assert OutboxMessage.objects.filter(status="pending").count() >= 12
    time.sleep(5)  # "a minute" of outage, shortened
    private_redis.start()
    assert _wait(lambda: _sweep(private_redis.url) or len(set(receiver.got)) == 12, 120, step=3)
    time.sleep(2)
    _assert_each_entry_delivered_once(receiver, hook, 12)


@slow_fault
def test_worker_killed_mid_delivery_loses_and_doubles_nothing(private_redis, workers_on):
    """GIVEN 10 events whose receiver takes a second to answer WHEN the worker is SIGKILLed
    while delivering them and another worker starts THEN every event's webhook is delivered,
    each recorded once (a POST the dead worker made may reach the receiver again under the
    same delivery id, which is what receivers dedupe on)."""
    slow = CountingReceiver(delay=1.0)
    try:
        account = _setup()
        hook = webhook_create(name="Slow", url=slow.url, events=["ledger.entry_appended"])
        workers = workers_on(private_redis.url)
        env = _drill_env(workers)
        doomed = workers.start("doomed")
        result = _publisher(env, account.pk, 10)
        assert result.returncode == 0, result.stderr[-2000:]
        assert _wait(lambda: len(slow.got) >= 2, 60), "the worker delivered nothing"
        workers.kill9(doomed)
        assert len(set(slow.got)) < 10, "all delivered before the kill; slow the receiver"
        workers.start("rescuer")
        assert _wait(
            lambda: (
                _sweep(private_redis.url)
                or WebhookDelivery.objects.filter(webhook=hook, status="delivered").count() == 10
            ),
            150,
            step=3,
        )
        time.sleep(2)
        _assert_each_entry_delivered_once(slow, hook, 10)
    finally:
        slow.close()
