"""The Redis broker transport, with one failure mode of kombu 5.7's taken out.

When Redis goes away under a worker that holds unacknowledged messages (tasks waiting for
their eta/countdown, such as webhook retries, or late-acked tasks in flight), the worker
closes the dead channel, and kombu's `Channel.close()` drops its connection pools *before*
the QoS tries to put those messages back on their queues. The restore then builds a client
from a transport whose connection is already gone, and fails with
`AttributeError: 'NoneType' object has no attribute 'hostname'` (in `_connparams`), which
Celery reports as an "Unrecoverable error" and the worker exits — the same failure kombu
issues #582 and #970 show (restore after teardown). No kombu release fixes it (5.7.0 is the
newest).

Nothing is lost by skipping that restore: kombu keeps every unacknowledged message in Redis
(the `unacked` hash, persisted with the append-only file) until it is acked, and any worker's
channel restores messages older than the visibility timeout. So here a restore that fails
because the connection is gone is logged and left to that mechanism (and the webhook sweeper
re-sends an overdue retry sooner; the attempt number makes a duplicate a no-op), instead of
taking the worker down.

The same teardown bites a second way: a task that was running when Redis went away finishes
after the worker reconnected, and its acknowledgement goes through the old, closed channel
(`'NoneType' object has no attribute 'client'` in `_connparams`), again an "Unrecoverable
error". Such an ack (or reject) is logged and the message forgotten by this channel; Redis keeps
it in the `unacked` hash, so it comes back after the visibility timeout and runs again, which
the tasks allow (a score chunk already done, a webhook attempt already made, are no-ops).
Registered for `redis://` URLs in `csplatform/celery.py`.
"""

import logging

from kombu.transport import redis

logger = logging.getLogger(__name__)


def _connection_gone(exc: BaseException) -> bool:
    import redis as redis_py

    return isinstance(exc, AttributeError | redis_py.exceptions.ConnectionError | OSError)


class QoS(redis.QoS):
    def restore_unacked(self, client=None):
        try:
            return super().restore_unacked(client)
        except Exception as exc:
            if not _connection_gone(exc):
                raise
            logger.warning(
                "broker connection gone while restoring %d unacknowledged message(s) (%r); "
                "they stay in Redis and come back after the visibility timeout",
                len(self._delivered),
                exc,
            )
            self._delivered.clear()
            return []

    def ack(self, delivery_tag):
        try:
            return super().ack(delivery_tag)
        except Exception as exc:
            self._forget_after_connection_loss(delivery_tag, exc, "acknowledged")

    def reject(self, delivery_tag, requeue=False):
        try:
            return super().reject(delivery_tag, requeue=requeue)
        except Exception as exc:
            self._forget_after_connection_loss(delivery_tag, exc, "rejected")

    def _forget_after_connection_loss(self, delivery_tag, exc: BaseException, what: str) -> None:
        if not _connection_gone(exc):
            raise exc
        logger.warning(
            "broker connection gone before message %s could be %s (%r); it stays in Redis "
            "and comes back after the visibility timeout",
            delivery_tag,
            what,
            exc,
        )
        # This channel's own bookkeeping only (kombu's in-memory QoS), not Redis.
        super(redis.QoS, self).ack(delivery_tag)


class Channel(redis.Channel):
    QoS = QoS


class Transport(redis.Transport):
    Channel = Channel
