"""A worker holding delayed tasks (webhook retries waiting for their countdown) survives Redis
restarts: it reconnects, stays up, and every retry is delivered once."""

import http.server
import json
import threading
import time

import pytest

from integrations.models import WebhookDelivery
from integrations.services import webhook_create
from tests import factories

from .conftest import slow_fault

pytestmark = [pytest.mark.services]


class FlakyReceiver:
    """Answers 500 to the first POST of each delivery and 200 after; records the 200s."""

    def __init__(self):
        self.seen: dict[str, int] = {}
        self.accepted: list[str] = []
        lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                delivery = self.headers["X-Csplatform-Delivery"]
                with lock:
                    receiver.seen[delivery] = receiver.seen.get(delivery, 0) + 1
                    ok = receiver.seen[delivery] > 1
                    if ok:
                        receiver.accepted.append(delivery)
                self.send_response(200 if ok else 500)
                self.end_headers()
                self.wfile.write(json.dumps({"ok": ok}).encode())

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


def _wait(predicate, seconds: float, step: float = 0.2) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


@slow_fault
def test_worker_holding_delayed_retries_survives_three_redis_restarts(
    private_redis, workers_on, settings
):
    """GIVEN 12 webhook deliveries whose first attempt failed, so the worker holds 12 retries
    with a countdown WHEN Redis is restarted three times while they wait THEN the worker
    process is still running afterwards, and every delivery reaches the receiver exactly once
    with a 200 (none lost, none doubled)."""
    receiver = FlakyReceiver()
    try:
        factories.UserFactory(username="hooks")
        hook = webhook_create(name="Flaky", url=receiver.url, events=["cta.opened"])
        deliveries = [
            WebhookDelivery.objects.create(webhook=hook, event="cta.opened", payload={"n": n})
            for n in range(12)
        ]
        workers = workers_on(private_redis.url)
        workers.env["WEBHOOK_RETRY_BASE_SECONDS"] = "12"
        worker = workers.start("holder")
        from csplatform.celery import app
        from integrations.tasks import webhook_deliver

        with app.connection_for_write(private_redis.url) as conn:
            for delivery in deliveries:
                webhook_deliver.apply_async((delivery.pk,), {"attempt": 1}, connection=conn)
        retrying = WebhookDelivery.objects.filter(status="retrying", attempts=1)
        assert _wait(lambda: retrying.count() == len(deliveries), 60), "first attempts not made"

        for _ in range(3):  # the retries are now countdown tasks held by the worker
            private_redis.stop()
            time.sleep(1)
            private_redis.start()
            time.sleep(1.5)

        delivered = WebhookDelivery.objects.filter(status="delivered")
        assert _wait(lambda: delivered.count() == len(deliveries), 90), (
            f"{delivered.count()}/{len(deliveries)} delivered; worker alive: "
            f"{worker.poll() is None} (see artifacts/faults-worker.log)"
        )
        assert worker.poll() is None, "the worker died during the Redis restarts"
        time.sleep(3)  # a duplicate retry would arrive now
        assert sorted(receiver.accepted) == sorted(str(d.pk) for d in deliveries)
    finally:
        receiver.close()
