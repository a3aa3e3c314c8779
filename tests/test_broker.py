"""The Redis transport keeps a worker up when the broker's connection is gone under it
(csplatform/broker.py): a message it cannot acknowledge or restore stays in Redis for the
visibility timeout to bring back, instead of an "Unrecoverable error" ending the worker."""

import logging
from contextlib import contextmanager

import pytest

from csplatform.broker import QoS

GONE = AttributeError("'NoneType' object has no attribute 'client'")


class _Channel:
    """A channel closed by a broker restart: any client it builds fails as kombu's does."""

    unacked_key, unacked_index_key = "unacked", "unacked_index"

    def __init__(self, error: BaseException):
        self.error = error

    @contextmanager
    def conn_or_acquire(self, client=None):
        raise self.error
        yield


def _qos(error: BaseException) -> QoS:
    qos = QoS(_Channel(error))
    qos._on_collect.cancel()  # no restore attempt when the test's QoS is collected
    qos._delivered["task-1"] = object()
    return qos


@pytest.mark.parametrize("settle", ["ack", "reject"])
def test_a_task_settled_after_the_connection_went_is_forgotten_not_fatal(settle, caplog):
    qos = _qos(GONE)
    with caplog.at_level(logging.WARNING, logger="csplatform.broker"):
        getattr(qos, settle)("task-1")
    qos._flush()
    assert "task-1" not in qos._delivered
    assert "comes back after the visibility timeout" in caplog.text


def test_a_restore_after_the_connection_went_is_left_to_the_visibility_timeout(caplog):
    qos = _qos(GONE)
    with caplog.at_level(logging.WARNING, logger="csplatform.broker"):
        assert qos.restore_unacked() == []
    assert "come back after the visibility timeout" in caplog.text


def test_any_other_failure_still_stops_the_ack():
    qos = _qos(ValueError("a bug, not a lost connection"))
    with pytest.raises(ValueError):
        qos.ack("task-1")
