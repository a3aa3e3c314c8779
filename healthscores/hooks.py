"""Inputs that apps above health scores provide to scoring.

The layers point one way (docs/ARCHITECTURE.md, enforced by import-linter): healthscores may
not import success, yet the plan-progress measure reads success plans. `success` registers its
reader here when it loads (`SuccessConfig.ready`); scoring calls whatever is registered, and
with nothing registered plan progress is missing data like any other absent input.
"""

from collections.abc import Callable
from datetime import date

# (as_of=, account_ids=) -> {account_id: {"progress", "expected", "vector", ...}}
PlanProgressReader = Callable[..., dict[int, dict]]

_plan_progress_reader: PlanProgressReader | None = None


def plan_progress_reader_register(reader: PlanProgressReader) -> None:
    """Make `reader` the source of success-plan progress for scoring (one reader at a time)."""
    global _plan_progress_reader
    _plan_progress_reader = reader


def plan_progress_read(*, as_of: date, account_ids: list[int]) -> dict[int, dict]:
    """Plan progress per account from the registered reader, or {} when none is registered."""
    if _plan_progress_reader is None:
        return {}
    return _plan_progress_reader(as_of=as_of, account_ids=account_ids) or {}
