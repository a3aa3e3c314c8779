"""Fault-injection helpers: a private Redis the test may stop, and Celery workers it may kill.

The slow scenarios (a worker killed with SIGKILL, Redis restarted mid-run) run under
`make faults` (RUN_FAULTS=1); the fast ones run with the rest of the suite. Nothing here
touches the shared Redis on 6379: the test starts its own redis-server on another loopback
port and stops only that one.
"""

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
from django.conf import settings

from csplatform import embedded
from tests.conftest import IN_CI, celery_worker_argv, database_url_of

BASE_DIR = Path(settings.BASE_DIR)
# A slow fault drill: `make test` does not collect it (tests/conftest.py deselects it unless
# RUN_FAULTS is set), so it neither runs nor shows as skipped there; `make faults` runs it.
slow_fault = pytest.mark.fault_drill


def _free_port(preferred: int) -> int:
    for port in range(preferred, preferred + 50):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError("no free loopback port for a private redis-server")


# The system's redis-server if there is one, else the Valkey binary the project installs.
REDIS_SERVER = shutil.which("redis-server") or embedded.valkey_binary()


class PrivateRedis:
    """A redis-server on 127.0.0.1:<port> with an append-only file, as production runs it,
    so queued messages survive a restart."""

    def __init__(self, directory: Path, port: int):
        self.dir = directory
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"private redis-server on {self.port} did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: redis fsyncs the append-only file and exits
            self.proc.wait(timeout=20)


@pytest.fixture
def private_redis(tmp_path):
    redis = PrivateRedis(tmp_path, _free_port(6390))
    redis.start()
    yield redis
    redis.stop()


class Workers:
    """Celery worker processes on the test database and a given broker, each in its own
    process group so a test can SIGKILL one with all its pool children."""

    def __init__(self, broker_url: str):
        from django.db import connection

        self.env = {
            **os.environ,
            "DATABASE_URL": database_url_of(connection),
            "CELERY_BROKER_URL": broker_url,
            "CELERY_RESULT_BACKEND": broker_url,
            "REDIS_URL": broker_url,
            "CONN_MAX_AGE": "0",
            # Test receivers listen on loopback (refused by default: SSRF).
            "WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
            # Unacknowledged messages of a dead worker come back after this many seconds.
            "CELERY_VISIBILITY_TIMEOUT": "5",
            # A chunk left running this long is the sweeper's to finish (900 s in production).
            "SCORE_CHUNK_STALE_SECONDS": "5",
        }
        self.procs: list[subprocess.Popen] = []
        self.log_path = BASE_DIR / "artifacts" / "faults-worker.log"
        self.log_path.parent.mkdir(exist_ok=True)

    def start(self, name: str) -> subprocess.Popen:
        log = open(self.log_path, "ab")  # noqa: SIM115 -- kept open by the child
        proc = subprocess.Popen(
            celery_worker_argv(f"{name}-{os.getpid()}@%h", "--without-heartbeat"),
            cwd=BASE_DIR,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs.append(proc)
        return proc

    @staticmethod
    def kill9(proc: subprocess.Popen) -> None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture
def workers_on(transactional_db):
    """workers_on(broker_url) -> Workers; every worker started is stopped afterwards."""
    from csplatform.celery import app

    made: list[Workers] = []
    app.conf.task_always_eager = False

    def make(broker_url: str) -> Workers:
        made.append(Workers(broker_url))
        return made[-1]

    yield make
    app.conf.task_always_eager = True
    for workers in made:
        workers.stop_all()


__all__ = ["IN_CI", "slow_fault"]
