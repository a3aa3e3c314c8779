"""Serializers for the scorecards API: read-only views of versions, measures and bands."""

from rest_framework import serializers

from core.api.fields import ApiModelSerializer
from scorecards.models import Band, Measure, Scorecard, ScorecardVersion


class MeasureSerializer(ApiModelSerializer):
    class Meta:
        model = Measure
        fields = ["key", "label", "kind", "weight", "params", "bad", "good", "missing_policy"]
        read_only_fields = fields


class BandSerializer(ApiModelSerializer):
    class Meta:
        model = Band
        fields = ["key", "label", "min_score", "colour"]
        read_only_fields = fields


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
            "measures",
            "bands",
        ]
        read_only_fields = fields


class VersionSummarySerializer(ApiModelSerializer):
    class Meta:
        model = ScorecardVersion
        fields = ["id", "number", "status", "published_at"]
        read_only_fields = fields


class ScorecardSerializer(ApiModelSerializer):
    """A segment's scorecard (or the default) and the numbers and states of its versions."""

    versions = VersionSummarySerializer(many=True, read_only=True)

    class Meta:
        model = Scorecard
        fields = ["id", "name", "segment", "is_default", "description", "created_at", "versions"]
        read_only_fields = fields
