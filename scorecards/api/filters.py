"""FilterSets for the scorecards API."""

import django_filters as filters

from core.api.filters import IdFilter
from scorecards.models import Measure, Scorecard, ScorecardVersion


class ScorecardFilter(filters.FilterSet):
    segment = IdFilter(field_name="segment_id")

    class Meta:
        model = Scorecard
        fields = ["is_default"]


class ScorecardVersionFilter(filters.FilterSet):
    scorecard = IdFilter(field_name="scorecard_id")

    class Meta:
        model = ScorecardVersion
        fields = ["status"]


class MeasureFilter(filters.FilterSet):
    version = IdFilter(field_name="version_id")

    class Meta:
        model = Measure
        fields = ["kind"]
