"""FilterSets for the health API."""

import django_filters as filters

from accounts.models import Account
from core.api.filters import IdFilter

from ..models import ScoreRun, ScoreValidation


class ScoreRunFilter(filters.FilterSet):
    as_of_after = filters.DateFilter(field_name="as_of", lookup_expr="gte")
    as_of_before = filters.DateFilter(field_name="as_of", lookup_expr="lte")

    class Meta:
        model = ScoreRun
        fields = ["as_of", "status", "trigger"]


class ScoreValidationFilter(filters.FilterSet):
    scorecard_version = IdFilter(field_name="scorecard_version_id")

    class Meta:
        model = ScoreValidation
        fields = ["as_of"]


class PortfolioHealthFilter(filters.FilterSet):
    """Filters of `/health/?as_of=`: the account's segment, owner, stage, and the band of the
    snapshot that was in force on `as_of` (not today's band)."""

    segment = IdFilter(field_name="segment_id")
    owner = IdFilter(field_name="owner_id")
    band = filters.CharFilter(field_name="snapshot_band", help_text="e.g. red, yellow, green.")

    class Meta:
        model = Account
        fields = ["stage"]
