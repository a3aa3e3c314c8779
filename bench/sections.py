"""BENCHMARKS.md is shared by several benchmarks: each owns the section between its markers."""

from pathlib import Path


def section_write(path: Path, text: str, *, start: str, end: str) -> None:
    """Replace the section between `start` and `end` in `path` with `text` (which carries both
    markers), or append it when the file has no such section yet."""
    old = path.read_text() if path.exists() else "# Benchmarks\n"
    if start in old and end in old:
        new = old[: old.index(start)] + text + old[old.index(end) + len(end) :]
    else:
        new = old.rstrip("\n") + "\n\n" + text + "\n"
    path.write_text(new)
