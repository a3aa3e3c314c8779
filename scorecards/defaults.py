"""The default scorecard shipped with the product (used by the data migration and as a fallback).

Weights are relative; thresholds are raw values scoring 0 ("bad") and 100 ("good").
"""

DEFAULT_SCORECARD_NAME = "Default scorecard"

DEFAULT_MEASURES: list[dict] = [
    {
        "key": "icp_fit",
        "label": "ICP fit",
        "kind": "icp_fit",
        "weight": 10,
        "bad": 30,
        "good": 80,
        "missing_policy": "exclude",
        "params": {},
    },
    {
        "key": "goodwill",
        "label": "Goodwill balance",
        "kind": "goodwill_balance",
        "weight": 15,
        "bad": 0,
        "good": 80,
        "missing_policy": "neutral",
        "params": {},
    },
    {
        "key": "decay",
        "label": "Decay score",
        "kind": "decay",
        "weight": 15,
        "bad": 70,
        "good": 10,
        "missing_policy": "exclude",
        "params": {},
    },
    {
        "key": "interaction_mix",
        "label": "Relationship + value share of last 10 interactions",
        "kind": "interaction_mix",
        "weight": 15,
        "bad": 30,
        "good": 80,
        "missing_policy": "exclude",
        "params": {"n": 10, "unit": "%"},
    },
    {
        "key": "days_since_value",
        "label": "Days since value was delivered",
        "kind": "days_since_value",
        "weight": 10,
        "bad": 90,
        "good": 14,
        "missing_policy": "zero",
        "params": {"unit": "days"},
    },
    {
        "key": "active_users_per_seat",
        "label": "Usage: active users per seat (30 d average)",
        "kind": "usage",
        "weight": 15,
        "bad": 0.1,
        "good": 0.5,
        "missing_policy": "exclude",
        "params": {
            "metric": "active_users",
            "aggregation": "avg",
            "window_days": 30,
            "per_seat": True,
        },
    },
    {
        "key": "reports_trend",
        "label": "Usage: reports run vs previous 30 d",
        "kind": "usage",
        "weight": 5,
        "bad": -30,
        "good": 5,
        "missing_policy": "exclude",
        "params": {
            "metric": "reports_run",
            "aggregation": "change",
            "window_days": 30,
            "unit": "%",
        },
    },
    {
        "key": "nps",
        "label": "NPS (average, 180 d)",
        "kind": "survey",
        "weight": 10,
        "bad": 5,
        "good": 9,
        "missing_policy": "exclude",
        "params": {"survey": "nps", "window_days": 180},
    },
    {
        "key": "plan_progress",
        "label": "Success plan: progress vs expected",
        "kind": "success_plan",
        "weight": 5,
        "bad": -30,
        "good": 0,
        "missing_policy": "exclude",
        "params": {"unit": "pts"},
    },
    {
        "key": "mrr_trend",
        "label": "MRR change (90 d)",
        "kind": "mrr_trend",
        "weight": 5,
        "bad": -10,
        "good": 5,
        "missing_policy": "exclude",
        "params": {"window_days": 90, "unit": "%"},
    },
    {
        "key": "csm_pulse",
        "label": "CSM pulse",
        "kind": "manual",
        "weight": 5,
        "bad": 0,
        "good": 100,
        "missing_policy": "exclude",
        "params": {"valid_days": 30},
    },
]

DEFAULT_BANDS: list[dict] = [
    {"key": "red", "label": "Red", "min_score": 0, "colour": "#d64545"},
    {"key": "yellow", "label": "Yellow", "min_score": 40, "colour": "#d99a06"},
    {"key": "green", "label": "Green", "min_score": 70, "colour": "#1f9d55"},
]


def build_default_scorecard(*, Scorecard, ScorecardVersion, Measure, Band):  # noqa: N803
    """Create the default scorecard with one published version; model classes are passed in so
    the data migration can use its historical models. Returns the published version."""
    from django.utils import timezone

    scorecard, _ = Scorecard.objects.get_or_create(
        is_default=True,
        defaults={
            "name": DEFAULT_SCORECARD_NAME,
            "description": "Used for every account whose segment has no scorecard of its own.",
        },
    )
    version = ScorecardVersion.objects.filter(scorecard=scorecard, status="published").first()
    if version is not None:
        return version
    number = ScorecardVersion.objects.filter(scorecard=scorecard).count() + 1
    version = ScorecardVersion.objects.create(
        scorecard=scorecard,
        number=number,
        status="published",
        notes="Shipped with csplatform.",
        published_at=timezone.now(),
    )
    Measure.objects.bulk_create(
        Measure(version=version, position=i, **spec) for i, spec in enumerate(DEFAULT_MEASURES)
    )
    Band.objects.bulk_create(Band(version=version, **spec) for spec in DEFAULT_BANDS)
    return version
