"""Reads over success plans used by other apps (placeholder until the success capability lands)."""

from collections.abc import Sequence
from datetime import date


def plan_progress_by_account(
    *, as_of: date, account_ids: Sequence[int] | None = None
) -> dict[int, dict]:
    """Per account with an active plan as of `as_of`: {"progress": 0..1 share of steps done,
    "expected": 0..1 share that should be done by now, "vector": "on_track"|"lagging"|
    "off_track", "outcome_class": "successful"|"delighted_only"|"satisfied_only"|"not_yet"}.
    Set-based: a constant number of queries whatever the number of accounts."""
    return {}
