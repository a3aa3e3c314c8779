"""A dependency-free progress bar for management commands (tty: redrawn line; else: every 10%)."""

import sys
import time
from typing import IO


class Progress:
    """Report progress of `total` steps under a label; use as a context manager."""

    def __init__(self, label: str, total: int, stream: IO[str] | None = None, width: int = 30):
        self.label, self.total, self.width = label, max(total, 0), width
        self.stream = stream or sys.stdout
        self.done = 0
        self.started = time.monotonic()
        self._last_decile = -1
        self._tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def __enter__(self) -> "Progress":
        self._draw()
        return self

    def __exit__(self, *exc) -> None:
        self.done = max(self.done, self.total) if exc[0] is None else self.done
        self._draw(final=True)

    def advance(self, steps: int = 1) -> None:
        self.done += steps
        self._draw()

    def _draw(self, final: bool = False) -> None:
        share = self.done / self.total if self.total else 1.0
        share = min(share, 1.0)
        decile = int(share * 10)
        if not self._tty and not final and decile == self._last_decile:
            return
        self._last_decile = decile
        filled = int(share * self.width)
        elapsed = time.monotonic() - self.started
        line = (
            f"{self.label:<28} [{'#' * filled}{'.' * (self.width - filled)}] "
            f"{self.done}/{self.total} {share:>4.0%} {elapsed:5.1f}s"
        )
        if self._tty:
            self.stream.write("\r" + line + ("\n" if final else ""))
        elif final or decile != 10:
            self.stream.write(line + "\n")
        self.stream.flush()
