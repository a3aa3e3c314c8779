"""A small open-loop HTTP load generator (loopback only): fixed request rate, bounded time."""

import gc
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from queue import Empty, Queue

import requests


@dataclass
class LoadResult:
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    sent: int = 0
    duration_s: float = 0.0

    def pct(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        data = sorted(self.latencies_ms)
        return data[min(len(data) - 1, int(round(q / 100 * (len(data) - 1))))]

    @property
    def median(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else float("nan")

    @property
    def rate(self) -> float:
        return self.sent / self.duration_s if self.duration_s else 0.0


def constant_rate(
    *,
    make_request: Callable[[requests.Session, int], requests.Response],
    rate: float,
    seconds: float,
    threads: int = 16,
    session_factory: Callable[[], requests.Session] = requests.Session,
) -> LoadResult:
    """Send `rate` requests/s for `seconds`; latency is measured from the scheduled send time,
    so a stalled server shows up as latency instead of silently lowering the rate."""
    # The driver's own heap (data generation, Django) must not stall the sender threads with a
    # full garbage collection mid-measurement: move what exists now out of the collector's way.
    gc.collect()
    gc.freeze()
    total = int(rate * seconds)
    schedule: Queue = Queue()
    result = LoadResult()
    lock = threading.Lock()
    start = time.perf_counter() + 0.2
    for i in range(total):
        schedule.put((i, start + i / rate))

    def worker() -> None:
        session = session_factory()
        while True:
            try:
                i, due = schedule.get_nowait()
            except Empty:
                return
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            try:
                response = make_request(session, i)
                ok = response.status_code < 400
            except requests.RequestException:
                ok = False
            elapsed = (time.perf_counter() - due) * 1000
            with lock:
                result.sent += 1
                if ok:
                    result.latencies_ms.append(elapsed)
                else:
                    result.errors += 1

    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=seconds + 120)
    result.duration_s = max(time.perf_counter() - start, 1e-9)
    return result


def closed_loop(
    *,
    make_request: Callable[[requests.Session, int], requests.Response],
    seconds: float,
    threads: int = 8,
) -> LoadResult:
    """As many requests as `threads` clients can send in `seconds` (throughput floors)."""
    result = LoadResult()
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds
    counter = iter(range(10**9))

    def worker() -> None:
        session = requests.Session()
        while time.perf_counter() < deadline:
            i = next(counter)
            t0 = time.perf_counter()
            try:
                ok = make_request(session, i).status_code < 400
            except requests.RequestException:
                ok = False
            with lock:
                result.sent += 1
                if ok:
                    result.latencies_ms.append((time.perf_counter() - t0) * 1000)
                else:
                    result.errors += 1

    started = time.perf_counter()
    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    result.duration_s = time.perf_counter() - started
    return result
