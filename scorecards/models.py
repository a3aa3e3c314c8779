"""How health is judged: versioned scorecards, their measures and grading bands, manual values.

A `Scorecard` belongs to a segment (or is the default); its rules live in `ScorecardVersion`s
that move draft -> published -> archived. Exactly one version per scorecard is published at a
time and every snapshot records the version it was scored with, so history stays explainable.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Scorecard(models.Model):
    """The health rules for one segment, or the default used for every other account."""

    name = models.CharField(max_length=100, unique=True)
    segment = models.OneToOneField(
        "accounts.Segment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="scorecard",
    )
    is_default = models.BooleanField(default=False)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_scorecard"
            ),
            models.CheckConstraint(
                condition=Q(is_default=False) | Q(segment__isnull=True),
                name="default_scorecard_has_no_segment",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("scorecards:detail", args=[self.pk])


class VersionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    ARCHIVED = "archived", "Archived"


class ScorecardVersion(models.Model):
    """One immutable-once-published set of measures and bands of a scorecard."""

    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(
        max_length=10, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    notes = models.TextField(blank=True, help_text="What changed and why.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    new_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Scorecards by lifecycle: accounts with fewer days of tenure than this are "
        "scored with the measures for new accounts, the rest with those for established "
        "ones (measures for all accounts count in both). Empty: one set for every account.",
    )

    class Meta:
        ordering = ["scorecard_id", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["scorecard", "number"], name="scorecard_version_unique"
            ),
            models.UniqueConstraint(
                fields=["scorecard"],
                condition=Q(status="published"),
                name="one_published_version_per_scorecard",
            ),
            models.UniqueConstraint(
                fields=["scorecard"],
                condition=Q(status="draft"),
                name="one_draft_version_per_scorecard",
            ),
            models.CheckConstraint(
                condition=Q(status__in=VersionStatus.values), name="scorecard_version_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(new_days__isnull=True) | Q(new_days__gte=1, new_days__lte=3650),
                name="scorecard_version_new_days_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scorecard} v{self.number} ({self.status})"

    @property
    def is_draft(self) -> bool:
        return self.status == VersionStatus.DRAFT

    @property
    def total_weight(self) -> float:
        return sum(m.weight for m in self.measures.all())


class MeasureKind(models.TextChoices):
    ICP_FIT = "icp_fit", "ICP fit"
    GOODWILL = "goodwill_balance", "Goodwill balance"
    DECAY = "decay", "Decay score"
    INTERACTION_MIX = "interaction_mix", "Interaction mix (share of a/b in the last N)"
    DAYS_SINCE_VALUE = "days_since_value", "Days since last value-adding interaction"
    USAGE = "usage", "Product usage metric"
    SURVEY = "survey", "NPS / CSAT"
    SUCCESS_PLAN = "success_plan", "Success-plan progress"
    MRR_TREND = "mrr_trend", "MRR trend"
    MANUAL = "manual", "Manual (CSM-entered)"
    TENURE = "tenure", "Tenure (days since contract start or first subscription)"
    LIFECYCLE = "lifecycle", "Lifecycle stage by tenure (0 new, 1 growing, 2 established)"
    USAGE_TREND = "usage_trend", "Usage change: log ratio of a metric's last two windows"
    USAGE_RATIO = "usage_ratio", "Ratio of two usage metrics over a window"
    ACCOUNT_ATTRIBUTE = "account_attribute", "Account attribute (seats, employees, MRR, ARR…)"

    @classmethod
    def usage_kinds(cls) -> tuple[str, ...]:
        """Kinds that read the usage metrics (and need a `metric` parameter)."""
        return (cls.USAGE, cls.USAGE_TREND, cls.USAGE_RATIO)


class AccountAttribute(models.TextChoices):
    """What an account-attribute measure reads (`healthscores.services.measures`)."""

    SEATS = "seats", "Seats"
    EMPLOYEE_COUNT = "employee_count", "Employee count"
    MRR = "mrr", "MRR (from the subscriptions as of the date)"
    ARR = "arr", "ARR (12 × MRR from the subscriptions as of the date)"
    CUSTOM = "custom", "A numeric custom attribute"


class MeasureStage(models.TextChoices):
    """Which accounts of a lifecycle scorecard a measure scores (`ScorecardVersion.new_days`)."""

    ALL = "all", "All accounts"
    NEW = "new", "New accounts"
    ESTABLISHED = "established", "Established accounts"


class MissingPolicy(models.TextChoices):
    EXCLUDE = "exclude", "Leave out (lowers confidence)"
    ZERO = "zero", "Score 0"
    NEUTRAL = "neutral", "Score 50 (neutral)"


class UsageAggregation(models.TextChoices):
    SUM = "sum", "Sum over the window"
    AVG = "avg", "Average per day over the window"
    ACTIVE_DAYS = "active_days", "Days with usage in the window"
    CHANGE = "change", "% change vs the previous window"


class Measure(models.Model):
    """One weighted signal of a scorecard version, normalised to 0-100.

    The score is piecewise-linear from `bad` (0 points) to `good` (100 points); when `bad` is
    greater than `good`, lower raw values are better (e.g. days since value was delivered);
    when they are equal the measure is pass/fail: 100 at or above the threshold, 0 below.
    `params` holds the kind's settings: usage `metric`, `aggregation`, `window_days`,
    `per_seat`, `no_rows` (`zero`: no rows in the window of an account with usage history of
    the metric counts as no use, the default; `missing`: leave it to the missing policy);
    usage trend `metric`, `window_days`, `no_rows`; usage ratio `metric` (numerator),
    `denominator`, `window_days`; account attribute `attribute` (seats, employee_count, mrr,
    arr or custom), `custom_key` (the custom attribute's key) and `per_seat`; lifecycle
    `new_days` (90) and `established_days` (365);
    `curve` (any kind): [[raw, score], ...] points of a piecewise-linear scoring curve, used
    instead of the straight line from `bad` to `good`; interaction mix `n`; survey `survey`
    (nps|csat) and `window_days`; MRR trend `window_days`; manual `valid_days`.
    """

    version = models.ForeignKey(ScorecardVersion, on_delete=models.CASCADE, related_name="measures")
    key = models.SlugField(max_length=40)
    label = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=MeasureKind.choices)
    weight = models.FloatField(default=10)
    params = models.JSONField(default=dict, blank=True)
    bad = models.FloatField(help_text="Raw value scoring 0.")
    good = models.FloatField(help_text="Raw value scoring 100.")
    missing_policy = models.CharField(
        max_length=8, choices=MissingPolicy.choices, default=MissingPolicy.EXCLUDE
    )
    position = models.PositiveSmallIntegerField(default=0)
    stage = models.CharField(
        max_length=12,
        choices=MeasureStage.choices,
        default=MeasureStage.ALL,
        help_text="On a lifecycle scorecard: score only new or only established accounts.",
    )

    class Meta:
        ordering = ["version_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="measure_key_unique"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="measure_weight_positive"),
            models.CheckConstraint(
                condition=Q(kind__in=MeasureKind.values), name="measure_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(missing_policy__in=MissingPolicy.values), name="measure_missing_valid"
            ),
            models.CheckConstraint(
                condition=Q(stage__in=MeasureStage.values), name="measure_stage_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.weight:g})"

    @property
    def settings_display(self) -> list[tuple[str, str]]:
        """This measure's settings in words, for pages ("Aggregation: Average")."""
        from .kinds import params_display  # kinds reads this module's enums

        return params_display(self.kind, self.params)

    @property
    def higher_is_better(self) -> bool:
        return self.good >= self.bad


class Band(models.Model):
    """A grade of the overall score: an account is in the band with the highest min_score <= it."""

    version = models.ForeignKey(ScorecardVersion, on_delete=models.CASCADE, related_name="bands")
    key = models.SlugField(max_length=20)
    label = models.CharField(max_length=40)
    min_score = models.PositiveSmallIntegerField()
    colour = models.CharField(max_length=7, default="#98a2b3", help_text="#rrggbb")

    class Meta:
        ordering = ["version_id", "min_score"]
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="band_key_unique"),
            models.UniqueConstraint(fields=["version", "min_score"], name="band_min_unique"),
            models.CheckConstraint(condition=Q(min_score__lte=100), name="band_min_range"),
        ]

    def __str__(self) -> str:
        return f"{self.label} (>= {self.min_score})"


class ManualMeasureValue(models.Model):
    """A CSM's score for a manual measure, with the reason and how long it stays valid.

    The value counts from `valid_from` until `valid_until`; after that it is stale and the
    measure is treated as missing until someone enters a fresh value.
    """

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="manual_measure_values"
    )
    measure_key = models.SlugField(max_length=40)
    score = models.PositiveSmallIntegerField()
    reason = models.CharField(max_length=300)
    valid_from = models.DateField()
    valid_until = models.DateField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["account_id", "measure_key", "-valid_from", "-id"]
        indexes = [models.Index(fields=["account", "measure_key", "valid_from"])]
        constraints = [
            models.CheckConstraint(condition=Q(score__lte=100), name="manual_score_range"),
            models.CheckConstraint(
                condition=Q(valid_until__gte=models.F("valid_from")), name="manual_valid_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.measure_key}={self.score} for {self.account_id} from {self.valid_from}"

    def is_stale(self, on) -> bool:
        return on > self.valid_until
