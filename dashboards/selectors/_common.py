"""Shared helpers for the dashboard selectors: vocabularies, optional models, sparklines."""

from collections.abc import Sequence
from datetime import date, timedelta

from healthscores.models import HealthSnapshot

# core/events.py vocabularies, in order from worst to best.
BANDS = ["red", "yellow", "green"]
BAND_LABELS = {"red": "Red", "yellow": "Yellow", "green": "Green", "": "Not scored"}
DECAY_STATUSES = ["in_decay", "decaying", "stable"]
DECAY_LABELS = {"stable": "Stable", "decaying": "Decaying", "in_decay": "In decay", "": "—"}
QUADRANTS = {
    "success": "Success",
    "happy_unprofitable": "Work to keep: happy, unprofitable",
    "profitable_unhappy": "Work to keep: profitable, unhappy",
    "hard_look": "Hard look",
}
QUADRANT_SHORT = {
    "success": "Success",
    "happy_unprofitable": "Happy, unprofitable",
    "profitable_unhappy": "Profitable, unhappy",
    "hard_look": "Hard look",
    "": "—",
}
RENEWAL_HORIZON_DAYS = 90


def sparkline_points(values: Sequence[float], *, width: int = 90, height: int = 24) -> str:
    """SVG polyline points for a small trend line (scores 0..100 on a fixed scale)."""
    if len(values) < 2:
        return ""
    step = width / (len(values) - 1)
    pad = 2
    span = height - 2 * pad
    return " ".join(
        f"{i * step:.1f},{pad + span - (max(0, min(100, v)) / 100) * span:.1f}"
        for i, v in enumerate(values)
    )


def health_series(account_ids: Sequence[int], *, since: date) -> dict[int, list[tuple[date, int]]]:
    """Daily overall scores per account from `since` on, in one query (empty before snapshots)."""
    if not account_ids:
        return {}
    rows = (
        HealthSnapshot.objects.filter(account_id__in=list(account_ids), as_of__gte=since)
        .order_by("account_id", "as_of")
        .values_list("account_id", "as_of", "overall")
    )
    series: dict[int, list[tuple[date, int]]] = {}
    for account_id, as_of, score in rows:
        if score is not None:
            series.setdefault(account_id, []).append((as_of, float(score)))
    return series


def days_ago(today: date, days: int) -> date:
    return today - timedelta(days=days)
