"""FilterSets for the health API."""

import django_filters as filters

from ..models import ScoreRun, ScoreValidation


class ScoreRunFilter(filters.FilterSet):
    as_of_after = filters.DateFilter(field_name="as_of", lookup_expr="gte")
    as_of_before = filters.DateFilter(field_name="as_of", lookup_expr="lte")

    class Meta:
        model = ScoreRun
        fields = ["as_of", "status", "trigger"]


class ScoreValidationFilter(filters.FilterSet):
    scorecard_version = filters.NumberFilter(field_name="scorecard_version_id")

    class Meta:
        model = ScoreValidation
        fields = ["as_of"]
