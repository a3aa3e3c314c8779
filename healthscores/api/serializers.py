"""Serializers for the health API: snapshots with their breakdown, score runs, validations."""

from datetime import date, timedelta

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.fields import VisibleRelatedField
from core.api.fields import (
    ApiModelSerializer,
    ApiSerializer,
    BoundedDateField,
    StrictBooleanField,
    StrictIntegerField,
)
from scorecards.models import ScorecardVersion, VersionStatus

from ..models import HealthSnapshot, ScoreBacktest, ScoreRun, ScoreValidation

EARLIEST_AS_OF = date(2000, 1, 1)


class MeasureScoreSerializer(ApiSerializer):
    """One measure's part of the overall score (missing measures have no raw value or score)."""

    key = serializers.CharField()
    label = serializers.CharField()
    kind = serializers.CharField(required=False)
    raw = serializers.FloatField(allow_null=True, required=False, help_text="The raw value.")
    score = serializers.FloatField(allow_null=True, required=False, help_text="0-100.")
    weight = serializers.FloatField(required=False)
    contribution = serializers.FloatField(help_text="Points this measure adds to the overall.")
    missing = serializers.BooleanField(required=False)
    stale = serializers.BooleanField(required=False)
    detail = serializers.CharField(required=False, allow_blank=True)
    unit = serializers.CharField(required=False, allow_blank=True)


class ChangeSerializer(ApiSerializer):
    """Why the score moved: one measure's contribution change against the previous snapshot."""

    key = serializers.CharField()
    label = serializers.CharField()
    delta = serializers.FloatField(help_text="Change of the measure's contribution, in points.")
    sentence = serializers.CharField(help_text="The change, in words a CSM can repeat.")


class DecayComponentSerializer(ApiSerializer):
    key = serializers.CharField()
    label = serializers.CharField()
    score = serializers.IntegerField()
    weight = serializers.FloatField(required=False)
    detail = serializers.CharField(required=False, allow_blank=True)


class HealthSnapshotSerializer(ApiModelSerializer):
    """The account's health on `as_of`: score, band, breakdown, decay, quadrant, economics."""

    scorecard = serializers.CharField(source="scorecard_version.scorecard.name", read_only=True)
    scorecard_version_number = serializers.IntegerField(
        source="scorecard_version.number", read_only=True
    )
    measures = MeasureScoreSerializer(many=True, read_only=True)
    changes = ChangeSerializer(many=True, read_only=True)
    decay_components = DecayComponentSerializer(many=True, read_only=True)
    economics = serializers.DictField(read_only=True, help_text="Revenue, cost and margin inputs.")

    class Meta:
        model = HealthSnapshot
        fields = [
            "account",
            "as_of",
            "previous_as_of",
            "scorecard_version",
            "scorecard",
            "scorecard_version_number",
            "overall",
            "band",
            "confidence",
            "measures",
            "changes",
            "decay_score",
            "decay_status",
            "decay_components",
            "customer_happiness",
            "company_happiness",
            "quadrant",
            "outcome_class",
            "churn_risk",
            "lifetime_value",
            "economics",
            "computed_at",
        ]
        read_only_fields = fields


class WhyChangedSerializer(ApiModelSerializer):
    """The latest score against the one before it, measure by measure (largest first)."""

    changes = ChangeSerializer(many=True, read_only=True)

    class Meta:
        model = HealthSnapshot
        fields = ["account", "as_of", "previous_as_of", "overall", "band", "changes"]
        read_only_fields = fields


class HistoryPointSerializer(ApiSerializer):
    as_of = serializers.DateField()
    overall = serializers.IntegerField()
    band = serializers.CharField()
    decay_score = serializers.IntegerField()
    confidence = serializers.FloatField()


class HistoryQuerySerializer(serializers.Serializer):
    days = serializers.IntegerField(
        min_value=1, max_value=730, default=90, help_text="How many days (default 90)."
    )
    until = BoundedDateField(
        earliest=EARLIEST_AS_OF, required=False, help_text="The last day (default today)."
    )


class HealthHistorySerializer(ApiSerializer):
    account = serializers.IntegerField()
    days = serializers.IntegerField()
    until = serializers.DateField()
    points = HistoryPointSerializer(many=True)


class RunProgressSerializer(ApiSerializer):
    done = serializers.IntegerField(help_text="Chunks scored.")
    failed = serializers.IntegerField(help_text="Chunks that failed for good.")
    open = serializers.IntegerField(help_text="Chunks pending or running.")
    scored = serializers.IntegerField(help_text="Accounts scored by finished chunks.")
    percent = serializers.IntegerField()


class ScoreRunFailureSerializer(ApiSerializer):
    chunk = serializers.IntegerField()
    lo = serializers.IntegerField(help_text="First account id of the chunk.")
    hi = serializers.IntegerField(help_text="Last account id of the chunk.")
    attempt = serializers.IntegerField()
    error = serializers.CharField(allow_blank=True)
    at = serializers.CharField(required=False)


class ScoreRunSerializer(ApiModelSerializer):
    """A scoring pass over the portfolio for one date: status, progress and failures."""

    progress = serializers.SerializerMethodField()
    failures = ScoreRunFailureSerializer(many=True, read_only=True)
    requested_by = serializers.CharField(
        source="requested_by.username", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = ScoreRun
        fields = [
            "id",
            "as_of",
            "trigger",
            "status",
            "requested_by",
            "total_accounts",
            "scored_accounts",
            "failed_accounts",
            "chunks_total",
            "alerts_raised",
            "progress",
            "failures",
            "started_at",
            "finished_at",
            "duration_seconds",
        ]
        read_only_fields = fields

    @staticmethod
    def _percent(run: ScoreRun, progress: dict) -> int:
        if run.is_finished:
            return 100
        return round(100 * (progress["done"] + progress["failed"]) / (run.chunks_total or 1))

    @extend_schema_field(RunProgressSerializer)
    def get_progress(self, run: ScoreRun) -> dict:
        progress = dict(self.context.get("progress", {}).get(run.pk) or {})
        progress = {"done": 0, "failed": 0, "open": 0, "scored": 0, **progress}
        progress["percent"] = self._percent(run, progress)
        return RunProgressSerializer(progress).data


class ScoreRunStartSerializer(ApiSerializer):
    as_of = BoundedDateField(
        earliest=EARLIEST_AS_OF,
        latest=timezone.localdate,
        help_text="The date to score (today or earlier).",
    )
    force = StrictBooleanField(
        default=False,
        help_text="Start a fresh run even if the date's last run has finished (recompute).",
    )


class SuggestedWeightSerializer(ApiSerializer):
    key = serializers.CharField()
    label = serializers.CharField()
    current_weight = serializers.FloatField()
    suggested_weight = serializers.FloatField()
    coefficient = serializers.FloatField(allow_null=True)


class BandRateSerializer(ApiSerializer):
    band = serializers.CharField()
    label = serializers.CharField()
    colour = serializers.CharField()
    accounts = serializers.IntegerField()
    churned = serializers.IntegerField()
    churn_rate = serializers.FloatField(allow_null=True, help_text="Share that churned (0-1).")


class RocPointSerializer(ApiSerializer):
    x = serializers.FloatField(help_text="False-positive rate.")
    y = serializers.FloatField(help_text="True-positive rate.")


class ScoreValidationSerializer(ApiModelSerializer):
    """A back-test: how well the version's score at `as_of` predicted churn in the horizon."""

    band_rates = BandRateSerializer(many=True, read_only=True)
    suggested_weights = SuggestedWeightSerializer(many=True, read_only=True)
    roc_curve = RocPointSerializer(many=True, read_only=True)

    class Meta:
        model = ScoreValidation
        fields = [
            "id",
            "scorecard_version",
            "as_of",
            "horizon_days",
            "accounts",
            "churned",
            "roc_auc",
            "top_decile_lift",
            "band_rates",
            "suggested_weights",
            "roc_curve",
            "note",
            "created_at",
        ]
        read_only_fields = fields


@extend_schema_field(OpenApiTypes.INT)
class VersionIdField(VisibleRelatedField):
    """A scorecard version id (draft or published); archived ones look like missing ids."""


class ScoreValidationRequestSerializer(ApiSerializer):
    scorecard_version = VersionIdField(
        visible=lambda user: ScorecardVersion.objects.exclude(status=VersionStatus.ARCHIVED),
        help_text="A draft or published version.",
    )
    as_of = BoundedDateField(
        earliest=EARLIEST_AS_OF,
        latest=lambda: timezone.localdate() - timedelta(days=1),
        help_text="The past date to score the portfolio as of.",
    )
    horizon_days = StrictIntegerField(
        min_value=7,
        max_value=730,
        default=90,
        help_text="Churn counted up to this many days later.",
    )

    def validate(self, attrs):
        if attrs["as_of"] + timedelta(days=attrs["horizon_days"]) > timezone.localdate():
            # The outcome is not known yet: the same request succeeds once the horizon has
            # passed, so it conflicts with the present rather than being malformed (409).
            raise serializers.ValidationError(
                {
                    "horizon_days": [
                        serializers.ErrorDetail(
                            "The horizon must end by today: pick an earlier date or fewer days.",
                            code="conflict",
                        )
                    ]
                }
            )
        return attrs


class ScoreBacktestSerializer(ApiModelSerializer):
    """A back-test over time: status and progress while it runs; then the report of the
    version's own score and the suggested weights, each for the training and the test period
    (AUC with a 95% interval clustered by account, per-date AUC, top-decile lift, churn per
    band and per score decile, by tenure band and segment)."""

    report = serializers.JSONField(read_only=True, allow_null=True)
    suggestion = serializers.JSONField(read_only=True, allow_null=True)

    class Meta:
        model = ScoreBacktest
        fields = [
            "id",
            "scorecard_version",
            "start",
            "end",
            "step_days",
            "horizon_days",
            "split_on",
            "new_days",
            "status",
            "progress",
            "error",
            "report",
            "suggestion",
            "applied_version",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields


class ScorecardVersionRefSerializer(ApiSerializer):
    """The draft a suggestion was applied to."""

    id = serializers.IntegerField()
    scorecard = serializers.IntegerField()
    number = serializers.IntegerField()


class ScoreBacktestRequestSerializer(ApiSerializer):
    """What to back-test: a version, the dates (start to end every `step_days`), the horizon of
    the churn label and the split between the training and the test period."""

    scorecard_version = VersionIdField(
        visible=lambda user: ScorecardVersion.objects.exclude(status=VersionStatus.ARCHIVED),
        help_text="A draft or published version.",
    )
    start = BoundedDateField(
        earliest=EARLIEST_AS_OF, latest=timezone.localdate, help_text="The first observation date."
    )
    end = BoundedDateField(
        earliest=EARLIEST_AS_OF,
        latest=timezone.localdate,
        help_text="The last observation date (at most).",
    )
    step_days = StrictIntegerField(min_value=1, max_value=365, default=28)
    horizon_days = StrictIntegerField(
        min_value=7, max_value=730, default=90, help_text="Churn counted up to this many days."
    )
    split_on = BoundedDateField(
        earliest=EARLIEST_AS_OF,
        latest=timezone.localdate,
        help_text="Dates before it train the suggestion; dates on or after it test.",
    )
    new_days = StrictIntegerField(
        min_value=1,
        max_value=3650,
        required=False,
        allow_null=True,
        help_text="Fit the suggestion separately for accounts younger than this many days "
        "(tenure) and established ones, for a lifecycle scorecard; default: the version's own "
        "split, if it has one.",
    )

    def validate(self, attrs):
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return attrs


class PortfolioHealthQuerySerializer(serializers.Serializer):
    as_of = BoundedDateField(
        earliest=EARLIEST_AS_OF,
        latest=timezone.localdate,
        help_text="The day to read: each account's latest snapshot on or before it.",
    )


class PortfolioHealthRowSerializer(serializers.Serializer):
    """One account's health as it stood on the requested day."""

    account = serializers.IntegerField(source="account_id")
    account_external_id = serializers.CharField(allow_null=True)
    account_name = serializers.CharField()
    as_of = serializers.DateField(
        help_text="The snapshot's own date: the requested day, or the latest day before it "
        "that the account was scored."
    )
    overall = serializers.IntegerField()
    band = serializers.CharField()
    confidence = serializers.FloatField()
    decay_score = serializers.IntegerField()
    decay_status = serializers.CharField()
    churn_risk = serializers.FloatField()
    scorecard_version = serializers.IntegerField(source="scorecard_version_id")
    scorecard_version_number = serializers.IntegerField(source="scorecard_version.number")
    measures = MeasureScoreSerializer(many=True)
