"""Computed health: daily snapshots, score runs and their chunks, alerts, validation results.

A `HealthSnapshot` is written once per (account, as_of) by the scoring services and never
edited afterwards; the only write path is the idempotent upsert of the same as_of date (a
redelivered chunk, or between-night rescoring of today's snapshot). History is therefore an
honest record of what the score said on each day and which scorecard version said it.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from .documents import decay_expand, measures_expand


class DecayStatus(models.TextChoices):
    STABLE = "stable", "Stable"
    DECAYING = "decaying", "Decaying"
    IN_DECAY = "in_decay", "In decay"


class Quadrant(models.TextChoices):
    SUCCESS = "success", "Success (happy and profitable)"
    HAPPY_UNPROFITABLE = "happy_unprofitable", "Happy but unprofitable"
    PROFITABLE_UNHAPPY = "profitable_unhappy", "Profitable but unhappy"
    HARD_LOOK = "hard_look", "Hard look (unhappy and unprofitable)"


class HealthSnapshot(models.Model):
    """An account's health on one day: the score, how it was built, and what it means."""

    # No index of its own: the unique (account, as_of) constraint's index leads with it.
    account = models.ForeignKey(
        "accounts.Account",
        on_delete=models.CASCADE,
        related_name="health_snapshots",
        db_index=False,
    )
    as_of = models.DateField()
    # The version and run references are kept by Django (PROTECT, SET_NULL), not by database
    # constraints: the nightly run writes 100,000 rows that all name the one run and a version
    # it has just read, and the database re-checked both for every row at commit (measured:
    # a quarter of a chunk's commit). The account reference keeps its constraint.
    scorecard_version = models.ForeignKey(
        "scorecards.ScorecardVersion",
        on_delete=models.PROTECT,
        related_name="snapshots",
        db_constraint=False,
    )
    run = models.ForeignKey(
        "healthscores.ScoreRun",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="snapshots",
        db_constraint=False,
    )
    overall = models.PositiveSmallIntegerField()
    band = models.CharField(max_length=20)
    confidence = models.FloatField(help_text="Share of the measure weight that had data (0-1).")
    # Stored compact (numbers), read whole ([{key, label, kind, raw, score, weight, contribution,
    # missing, stale, detail, unit}], the sentence written on read): healthscores/documents.py.
    measures = models.JSONField(default=list)
    # Why it changed: [{key, label, delta, sentence}] against the previous snapshot.
    changes = models.JSONField(default=list, blank=True)
    previous_as_of = models.DateField(null=True, blank=True)
    decay_score = models.PositiveSmallIntegerField()
    decay_status = models.CharField(max_length=10, choices=DecayStatus.choices)
    decay_components = models.JSONField(default=list)
    customer_happiness = models.FloatField(null=True, blank=True)
    company_happiness = models.FloatField(
        null=True, blank=True, help_text="Margin over the last 90 days, % of revenue."
    )
    quadrant = models.CharField(max_length=24, choices=Quadrant.choices)
    outcome_class = models.CharField(max_length=20, blank=True)
    churn_risk = models.FloatField(help_text="Estimated probability of churning within a year.")
    lifetime_value = models.DecimalField(max_digits=16, decimal_places=2)
    economics = models.JSONField(default=dict, blank=True)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["account_id", "-as_of"]
        constraints = [
            # The key's index also carries `overall` (INCLUDE): the 30-day trend and the
            # 7/30-day deltas read it for every account every night without the wide rows.
            models.UniqueConstraint(
                fields=["account", "as_of"], include=["overall"], name="snapshot_account_as_of"
            ),
            models.CheckConstraint(condition=Q(overall__lte=100), name="snapshot_overall_range"),
            models.CheckConstraint(condition=Q(decay_score__lte=100), name="snapshot_decay_range"),
        ]
        indexes = [models.Index(fields=["as_of", "band"])]

    def __str__(self) -> str:
        return f"{self.account_id} on {self.as_of}: {self.overall} ({self.band})"

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        loaded = instance.__dict__
        if "measures" in loaded:
            instance.measures = measures_expand(
                instance.measures, loaded.get("scorecard_version_id"), loaded.get("as_of")
            )
        if "decay_components" in loaded:
            instance.decay_components = decay_expand(instance.decay_components)
        return instance

    @property
    def confidence_pct(self) -> int:
        return round(self.confidence * 100)


class RunTrigger(models.TextChoices):
    NIGHTLY = "nightly", "Nightly"
    MANUAL = "manual", "Manual"
    BACKFILL = "backfill", "Backfill"
    EVENT = "event", "Between-night rescore"


class RunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    PARTIAL = "partial", "Completed with failures"
    FAILED = "failed", "Failed"


class ScoreRun(models.Model):
    """One scoring pass over the portfolio for an as_of date (idempotent per date)."""

    as_of = models.DateField()
    trigger = models.CharField(max_length=10, choices=RunTrigger.choices)
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    total_accounts = models.PositiveIntegerField(default=0)
    scored_accounts = models.PositiveIntegerField(default=0)
    failed_accounts = models.PositiveIntegerField(default=0)
    chunks_total = models.PositiveIntegerField(default=0)
    alerts_raised = models.PositiveIntegerField(default=0)
    # [{chunk, lo, hi, attempt, error}]
    failures = models.JSONField(default=list, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["as_of"])]
        constraints = [
            # A second trigger while a run for the date is under way joins that run.
            models.UniqueConstraint(
                fields=["as_of"], condition=Q(status="running"), name="one_running_run_per_date"
            ),
        ]

    def __str__(self) -> str:
        return f"run {self.pk} for {self.as_of} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status != RunStatus.RUNNING

    @property
    def duration_seconds(self) -> float | None:
        if not self.finished_at:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class ChunkStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ScoreRunChunk(models.Model):
    """A contiguous account-id range of a run, scored by one Celery task (retried if it dies)."""

    # The one retry limit for a chunk: how many tries before it is marked failed for good. The
    # Celery task retries up to it (`score_chunk`), and the sweeper stops at it (`attempts`).
    MAX_ATTEMPTS = 3

    run = models.ForeignKey(ScoreRun, on_delete=models.CASCADE, related_name="chunks")
    lo_id = models.BigIntegerField()
    hi_id = models.BigIntegerField()
    expected_accounts = models.PositiveIntegerField(default=0)
    scored_accounts = models.PositiveIntegerField(default=0)
    status = models.CharField(
        max_length=8, choices=ChunkStatus.choices, default=ChunkStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run_id", "lo_id"]
        indexes = [models.Index(fields=["run", "status"])]

    def __str__(self) -> str:
        return f"chunk {self.lo_id}-{self.hi_id} of run {self.run_id} ({self.status})"


class AlertKind(models.TextChoices):
    BAND_DROP = "band_drop", "Band dropped"
    BAND_RISE = "band_rise", "Band improved"
    DECAY = "decay_crossing", "Decay status worsened"
    QUADRANT = "quadrant_change", "Quadrant changed"


class HealthAlert(models.Model):
    """A health change worth acting on; later issues turn these into CTAs and webhooks."""

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="health_alerts"
    )
    as_of = models.DateField()
    kind = models.CharField(max_length=16, choices=AlertKind.choices)
    from_value = models.CharField(max_length=24, blank=True)
    to_value = models.CharField(max_length=24)
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    message = models.CharField(max_length=300)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-as_of", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "as_of", "kind"], name="alert_once_a_day")
        ]
        indexes = [models.Index(fields=["as_of", "published_at"])]

    def __str__(self) -> str:
        return self.message


class ScoreValidation(models.Model):
    """A back-test of a scorecard version at a past date against churn within a horizon."""

    scorecard_version = models.ForeignKey(
        "scorecards.ScorecardVersion", on_delete=models.CASCADE, related_name="validations"
    )
    as_of = models.DateField()
    horizon_days = models.PositiveSmallIntegerField(default=90)
    accounts = models.PositiveIntegerField()
    churned = models.PositiveIntegerField()
    roc_auc = models.FloatField(null=True, blank=True)
    top_decile_lift = models.FloatField(null=True, blank=True)
    # [{band, label, colour, accounts, churned, churn_rate}]
    band_rates = models.JSONField(default=list)
    # [{key, label, current_weight, suggested_weight, coefficient}]
    suggested_weights = models.JSONField(default=list)
    # [{fpr, tpr}] for the ROC chart
    roc_curve = models.JSONField(default=list)
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"validation of {self.scorecard_version} at {self.as_of}"


class BacktestStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ScoreBacktest(models.Model):
    """A back-test of a scorecard version over many dates, split into training and test periods.

    Every `step_days` from `start` to `end`, each account that was a customer is one
    observation: its measures as of that date, and whether it churned within `horizon_days`
    after it. Dates before `split_on` train, the rest test; a training observation whose label
    window reaches past `split_on` is embargoed. `report` (the version's own score) and
    `suggestion` (weights learned on the training period, judged on both) are written once, at
    the end: a failed back-test has neither.
    """

    scorecard_version = models.ForeignKey(
        "scorecards.ScorecardVersion", on_delete=models.CASCADE, related_name="backtests"
    )
    start = models.DateField()
    end = models.DateField()
    step_days = models.PositiveSmallIntegerField(default=28)
    horizon_days = models.PositiveSmallIntegerField(default=90)
    split_on = models.DateField()
    new_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Fit the suggestion separately for accounts younger than this many days and "
        "the rest (a lifecycle scorecard); empty: the version's own split, if it has one.",
    )
    status = models.CharField(
        max_length=8, choices=BacktestStatus.choices, default=BacktestStatus.QUEUED
    )
    progress = models.FloatField(default=0.0, help_text="Share of the dates scored (0-1).")
    error = models.CharField(max_length=300, blank=True)
    report = models.JSONField(null=True, blank=True)
    suggestion = models.JSONField(null=True, blank=True)
    applied_version = models.ForeignKey(
        "scorecards.ScorecardVersion",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the worker running it last showed progress (a stale one is failed).",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__lte=models.F("end")), name="backtest_start_before_end"
            ),
            # No half report: figures exist only on a finished back-test.
            models.CheckConstraint(
                condition=Q(status="done") | (Q(report__isnull=True) & Q(suggestion__isnull=True)),
                name="backtest_report_only_when_done",
            ),
            models.CheckConstraint(
                condition=Q(status__in=BacktestStatus.values), name="backtest_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="done") | Q(report__isnull=False),
                name="backtest_done_has_report",
            ),
        ]

    def __str__(self) -> str:
        return f"back-test of {self.scorecard_version} {self.start}..{self.end}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("healthscores:backtest_detail", args=[self.pk])
