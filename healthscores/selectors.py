"""Reads over computed health for pages, the API and other apps (dashboards, success)."""

from datetime import date, timedelta

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from .models import ChunkStatus, HealthSnapshot, ScoreBacktest, ScoreRun, ScoreValidation
from .services.compute import why_changed


def snapshot_latest(account_id: int, *, as_of: date | None = None) -> HealthSnapshot | None:
    """The account's newest snapshot (on or before `as_of` if given), with its version's bands."""
    qs = HealthSnapshot.objects.filter(account_id=account_id)
    if as_of is not None:
        qs = qs.filter(as_of__lte=as_of)
    return (
        qs.select_related("scorecard_version__scorecard")
        .prefetch_related("scorecard_version__bands")
        .order_by("-as_of")
        .first()
    )


def snapshot_history(account_id: int, *, days: int = 90, until: date | None = None) -> QuerySet:
    """(as_of, overall, band, decay_score) of the account's snapshots over the last `days`."""
    until = until or timezone.localdate()
    qs = HealthSnapshot.objects.filter(
        account_id=account_id, as_of__lte=until, as_of__gt=until - timedelta(days=days)
    )
    return qs.order_by("as_of").values("as_of", "overall", "band", "decay_score", "confidence")


WHY_PERIODS = (7, 30, 90)
WHY_DEFAULT_DAYS = 30


def health_change(account_id: int, *, days: int, until: date | None = None) -> dict | None:
    """How and why an account's health moved over the last `days` (two queries).

    Compares the newest snapshot with the one `days` earlier (or the oldest within the period
    when history is shorter) measure by measure: `causes` are the measures that moved the score
    the way it went, biggest first, so a Yellow→Red drop over a month is attributed to what
    fell over that month, not to yesterday's half-point wobble; `others` moved against it.
    """
    snapshots = HealthSnapshot.objects.filter(account_id=account_id).select_related(
        "scorecard_version"
    )
    if until is not None:
        snapshots = snapshots.filter(as_of__lte=until)
    latest = snapshots.order_by("-as_of").first()
    if latest is None:
        return None
    start = latest.as_of - timedelta(days=days)
    earlier = (
        snapshots.filter(as_of__lte=start).order_by("-as_of").first()
        or snapshots.filter(as_of__gt=start, as_of__lt=latest.as_of).order_by("as_of").first()
    )
    change = {"days": days, "latest": latest, "earlier": earlier, "causes": [], "others": []}
    if earlier is None:
        return change
    changes = why_changed(latest.measures, {"measures": earlier.measures})
    delta = round(latest.overall - earlier.overall, 1)
    causes = [c for c in changes if delta and (c["delta"] < 0) == (delta < 0)]
    change.update(
        delta=delta,
        band_changed=latest.band != earlier.band,
        causes=causes,
        others=[c for c in changes if c not in causes],
        explained=round(sum(c["delta"] for c in causes), 1),
    )
    return change


def runs_recent(limit: int = 30) -> list[ScoreRun]:
    """The latest runs with their chunk progress (done / failed / open) in one extra query."""
    runs = list(ScoreRun.objects.order_by("-started_at", "-id")[:limit])
    progress = run_progress_many([r.pk for r in runs])
    for run in runs:
        run.progress = progress.get(run.pk, {"done": 0, "failed": 0, "open": 0, "scored": 0})
    return runs


def run_progress_many(run_ids: list[int]) -> dict[int, dict]:
    from .models import ScoreRunChunk

    rows = (
        ScoreRunChunk.objects.filter(run_id__in=run_ids)
        .values("run_id")
        .annotate(
            done=Count("pk", filter=Q(status=ChunkStatus.DONE)),
            failed=Count("pk", filter=Q(status=ChunkStatus.FAILED)),
            open=Count("pk", filter=Q(status__in=[ChunkStatus.PENDING, ChunkStatus.RUNNING])),
            scored=Sum("scored_accounts", filter=Q(status=ChunkStatus.DONE)),
        )
        .order_by()
    )
    return {row.pop("run_id"): {**row, "scored": row["scored"] or 0} for row in rows}


def run_progress(run: ScoreRun) -> dict:
    """Chunks done / failed / open and accounts scored so far, with a percentage."""
    progress = run_progress_many([run.pk]).get(
        run.pk, {"done": 0, "failed": 0, "open": 0, "scored": 0}
    )
    total = run.chunks_total or 1
    progress["percent"] = round(100 * (progress["done"] + progress["failed"]) / total)
    return progress


def validations_recent(limit: int = 20) -> QuerySet:
    return ScoreValidation.objects.select_related("scorecard_version__scorecard").order_by(
        "-created_at"
    )[:limit]


def backtests_recent(limit: int = 20) -> QuerySet:
    return ScoreBacktest.objects.select_related("scorecard_version__scorecard").order_by(
        "-created_at"
    )[:limit]


def _side_by_side(current: dict, suggested: dict | None, key: str, name: str) -> list[dict]:
    """Rows of a breakdown (tenure bands, segments) with the current and suggested figures."""
    theirs = {row[name]: row for row in (suggested or {}).get(key, [])}
    return [{"current": row, "suggested": theirs.get(row[name])} for row in current.get(key, [])]


def backtest_view(backtest: ScoreBacktest) -> dict:
    """What the back-test page shows: per period the version's and the suggestion's figures
    side by side, the per-date AUC chart, and the suggested measures."""
    report, suggestion = backtest.report, backtest.suggestion or {}
    if not report:
        return {"periods": [], "chart": None, "suggested": [], "left_out": []}
    judged = suggestion.get("judged") or {}
    periods = []
    for period, title in (("test", "Test period (out of time)"), ("train", "Training period")):
        current, suggested = report["current"][period], judged.get(period)
        periods.append(
            {
                "key": period,
                "title": title,
                "dates": report["periods"][period]["dates"],
                "current": current,
                "suggested": suggested,
                "tenure": _side_by_side(current, suggested, "tenure", "key"),
                "lifecycle": _side_by_side(current, suggested, "lifecycle", "key"),
                "versus": (suggestion.get("versus_current") or {}).get("overall")
                if period == "test"
                else None,
                "segments": _side_by_side(current, suggested, "segments", "name"),
            }
        )
    dates = report["dates"]

    def series(source: dict) -> list:
        by_date = {}
        for period in ("train", "test"):
            for row in (source.get(period) or {}).get("per_date", []):
                by_date[row["as_of"]] = row["auc"]
        return [by_date.get(d) for d in dates]

    datasets = [
        {"label": "This version", "data": series(report["current"]), "borderColor": "#2f5bea"},
    ]
    if judged:
        datasets.append(
            {"label": "Suggested weights", "data": series(judged), "borderColor": "#1f9d55"}
        )
    chart = {
        "type": "line",
        "data": {"labels": dates, "datasets": datasets},
        "options": {
            "maintainAspectRatio": False,
            "spanGaps": True,
            "scales": {"y": {"min": 0.3, "max": 1, "title": {"display": True, "text": "AUC"}}},
        },
    }
    measures = suggestion.get("measures", [])
    return {
        "periods": periods,
        "chart": chart,
        "suggested": [m for m in measures if "curve" in m],
        "left_out": [m for m in measures if "left_out" in m],
    }


def portfolio_health_at(accounts: QuerySet, as_of: date) -> QuerySet:
    """`accounts` (already scoped to what the caller may see) that have a snapshot on or before
    `as_of`, ordered by id, each annotated with that latest snapshot's id and band.

    Driven from the accounts, so a page of 50 probes the (account, as_of) index 50-odd times
    instead of ranking every snapshot of the history.
    """
    latest = HealthSnapshot.objects.filter(account=OuterRef("pk"), as_of__lte=as_of).order_by(
        "-as_of"
    )
    return (
        accounts.annotate(
            snapshot_id=Subquery(latest.values("pk")[:1]),
            snapshot_band=Subquery(latest.values("band")[:1]),
        )
        .filter(snapshot_id__isnull=False)
        .only("pk", "external_id", "name")
    )


def snapshots_by_id(ids: list[int]) -> dict[int, HealthSnapshot]:
    """The snapshots with these ids (their scorecard version joined), in one query."""
    return {
        s.pk: s
        for s in HealthSnapshot.objects.filter(pk__in=ids).select_related(
            "scorecard_version__scorecard"
        )
    }
