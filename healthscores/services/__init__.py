"""Health scoring services (writes and computations). Other apps call these names only."""

from .compute import AccountHealth, health_compute
from .inputs import AccountBlock, scorable_accounts
from .rescore import rescore_pending, rescore_queue
from .runs import (
    health_rescore_accounts,
    health_score_block,
    score_chunk_fail,
    score_chunk_process,
    score_run_finalise,
    score_run_in_process,
    score_run_start,
    score_run_sweep,
)
from .validation import score_validation_run, scorecard_coverage, scorecard_impact_preview

__all__ = [
    "AccountBlock",
    "AccountHealth",
    "health_compute",
    "health_rescore_accounts",
    "health_score_block",
    "rescore_pending",
    "rescore_queue",
    "scorable_accounts",
    "score_chunk_fail",
    "score_chunk_process",
    "score_run_finalise",
    "score_run_in_process",
    "score_run_start",
    "score_run_sweep",
    "score_validation_run",
    "scorecard_coverage",
    "scorecard_impact_preview",
]
