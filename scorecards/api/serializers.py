"""Serializers for the scorecards API: scorecards, versions, measures, bands and previews."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.fields import ApiModelSerializer, ApiSerializer, StrictCharField
from scorecards.kinds import KIND_PARAMS, measure_params_clean
from scorecards.models import Band, Measure, Scorecard, ScorecardVersion

WEIGHT_MAX = 1000.0  # weights are relative; a bound keeps their sum finite


def _params_help() -> str:
    lines = ["The kind's settings; a setting the kind does not take is a 400 field error."]
    for kind, params in KIND_PARAMS.items():
        names = ", ".join(
            f"`{p.name}`{' (required)' if p.required else ''}"
            + (f" one of {'/'.join(c for c, _ in p.choices)}" if p.choices else "")
            for p in params
        )
        lines.append(f"{kind}: {names}.")
    return " ".join(lines)


@extend_schema_field({"type": "object", "additionalProperties": True})
class ParamsField(serializers.JSONField):
    """A measure's kind settings: a JSON object (checked against its kind in `validate`)."""

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError("Send the settings as a JSON object.")
        return super().to_internal_value(data)


class MeasureSerializer(ApiModelSerializer):
    """A weighted signal of a version; writes go to drafts only (a published version is 409).

    The settings a measure takes depend on its kind, so a body's `kind` and `params` travel
    together: a create or replacement names the kind (its params default to none), and a
    partial update sends both or neither. The schema shows one body shape per kind
    (scorecards.api.schema)."""

    params = ParamsField(required=False, help_text=_params_help())

    class Meta:
        model = Measure
        fields = [
            "id",
            "version",
            "key",
            "label",
            "kind",
            "weight",
            "params",
            "bad",
            "good",
            "missing_policy",
            "position",
            "stage",
        ]
        extra_kwargs = {
            "position": {"required": False},
            "stage": {"required": False},
            "bad": {"help_text": "Raw value scoring 0."},
            "good": {
                "help_text": "Raw value scoring 100; equal to `bad`, a pass/fail threshold "
                "(100 at or above it, 0 below)."
            },
        }

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            fields["version"].read_only = True
        return fields

    def validate_version(self, version):
        if not version.is_draft:
            # The version as it stands (published or archived), not the request: a 409.
            raise serializers.ValidationError(
                "Measures are added to a draft; create a draft of the scorecard first.",
                code="conflict",
            )
        return version

    def validate_weight(self, weight):
        if not 0 < weight <= WEIGHT_MAX:
            raise serializers.ValidationError(f"Use a weight above 0, at most {WEIGHT_MAX:g}.")
        return weight

    def validate(self, attrs):
        """The params must fit the kind sent with them: field errors under `params`."""
        if self.partial and ("kind" in attrs) != ("params" in attrs):
            missing = "params" if "kind" in attrs else "kind"
            raise serializers.ValidationError(
                {missing: ["Send kind and params together: the settings depend on the kind."]}
            )
        if "kind" in attrs:
            cleaned, errors = measure_params_clean(attrs["kind"], attrs.get("params") or {})
            if errors:
                raise serializers.ValidationError({"params": errors})
            attrs["params"] = cleaned
        return attrs


class BandSerializer(ApiModelSerializer):
    colour = serializers.RegexField(
        r"^#[0-9a-fA-F]{6}$",
        max_length=7,
        required=False,
        default="#98a2b3",
        error_messages={"invalid": "Use a colour like #1f9d55."},
    )

    class Meta:
        model = Band
        fields = ["key", "label", "min_score", "colour"]
        extra_kwargs = {"min_score": {"max_value": 100}}


class BandSetSerializer(ApiSerializer):
    """The whole set of a draft's grading bands: the lowest covers from 0 (its `min_score` is
    stored as 0, whatever was sent); min scores and keys are unique."""

    bands = BandSerializer(many=True, allow_empty=False)


class ScorecardVersionSerializer(ApiModelSerializer):
    """A version with its rules: measures (weights, thresholds) and grading bands."""

    scorecard_name = serializers.CharField(source="scorecard.name", read_only=True)
    measures = MeasureSerializer(many=True, read_only=True)
    bands = BandSerializer(many=True, read_only=True)

    class Meta:
        model = ScorecardVersion
        fields = [
            "id",
            "scorecard",
            "scorecard_name",
            "number",
            "status",
            "notes",
            "created_at",
            "published_at",
            "new_days",
            "measures",
            "bands",
        ]
        read_only_fields = [f for f in fields if f not in ("notes", "new_days")]
        extra_kwargs = {"new_days": {"min_value": 1, "max_value": 3650}}


class VersionSummarySerializer(ApiModelSerializer):
    class Meta:
        model = ScorecardVersion
        fields = ["id", "number", "status", "published_at"]
        read_only_fields = fields


class ScorecardSerializer(ApiModelSerializer):
    """A segment's scorecard (or the default) and the numbers and states of its versions.

    Creating one (admins) gives it a draft copied from the default's published rules.
    """

    versions = VersionSummarySerializer(many=True, read_only=True)
    description = StrictCharField(required=False, allow_blank=True, default="")

    class Meta:
        model = Scorecard
        fields = ["id", "name", "segment", "is_default", "description", "created_at", "versions"]
        read_only_fields = ["id", "is_default", "created_at", "versions"]
        extra_kwargs = {"segment": {"required": True}}

    def validate_segment(self, segment):
        if segment is None:
            # The default scorecard (no segment) exists from the start: a conflict with it.
            raise serializers.ValidationError(
                "Name the segment: the default scorecard exists already.", code="conflict"
            )
        return segment


class PreviewQuerySerializer(serializers.Serializer):
    as_of = serializers.DateField(required=False, help_text="Score on this date (default today).")


class _MoverSerializer(serializers.Serializer):
    account_id = serializers.IntegerField()
    name = serializers.CharField()
    from_score = serializers.IntegerField()
    to_score = serializers.IntegerField()
    change = serializers.IntegerField()
    from_band = serializers.CharField()
    to_band = serializers.CharField()


class _MatrixRowSerializer(serializers.Serializer):
    from_band = serializers.CharField(source="from", help_text="'' for accounts not scored yet.")
    counts = serializers.ListField(child=serializers.IntegerField())


class _PreviewBandSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    colour = serializers.CharField()


class _CoverageSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    missing_policy = serializers.CharField()
    with_data = serializers.IntegerField()
    without_data = serializers.IntegerField()
    share_with_data = serializers.FloatField()
    effect = serializers.CharField(help_text="What the missing-data policy does to the rest.")


class ScorecardPreviewSerializer(serializers.Serializer):
    """A draft's impact on the portfolio if it were published on `as_of`."""

    as_of = serializers.DateField()
    accounts = serializers.IntegerField()
    published_version = serializers.IntegerField(
        allow_null=True, help_text="The number of the published version compared with."
    )
    compared_with = serializers.CharField(
        help_text="The version in force for these accounts today (the default scorecard's for a "
        "segment scorecard that was never published)."
    )
    up = serializers.IntegerField()
    down = serializers.IntegerField()
    same = serializers.IntegerField()
    avg_change = serializers.FloatField()
    bands = _PreviewBandSerializer(many=True)
    matrix = _MatrixRowSerializer(many=True)
    movers = _MoverSerializer(many=True, help_text="Biggest score changes, changed ones only.")
    coverage = _CoverageSerializer(many=True)


class KindParamSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    type = serializers.CharField()
    required = serializers.BooleanField()
    default = serializers.JSONField(allow_null=True)
    choices = serializers.ListField(child=serializers.CharField())
    min_value = serializers.FloatField(allow_null=True)
    max_value = serializers.FloatField(allow_null=True)
    help_text = serializers.CharField()


class MeasureKindSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()
    params = KindParamSerializer(many=True)
