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
taking the worker down. Registered for `redis://` URLs in `csplatform/celery.py`.
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


class Channel(redis.Channel):
    QoS = QoS


class Transport(redis.Transport):
    Channel = Channel
