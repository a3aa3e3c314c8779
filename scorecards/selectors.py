"""Reads over scorecards: which published version scores which account, bands, versions."""

from dataclasses import dataclass, field

from django.db.models import Prefetch

from .models import Band, Measure, Scorecard, ScorecardVersion, VersionStatus


@dataclass
class ScorecardSet:
    """The published versions in force: one per segment that has a scorecard, plus the default."""

    default: ScorecardVersion
    by_segment: dict[int, ScorecardVersion] = field(default_factory=dict)

    def for_segment(self, segment_id: int | None) -> ScorecardVersion:
        return self.by_segment.get(segment_id, self.default) if segment_id else self.default

    @property
    def versions(self) -> list[ScorecardVersion]:
        return [self.default, *self.by_segment.values()]


def version_queryset():
    """Versions with their measures and bands loaded (three queries for any number)."""
    return ScorecardVersion.objects.select_related("scorecard").prefetch_related(
        Prefetch("measures", queryset=Measure.objects.order_by("position", "id")),
        Prefetch("bands", queryset=Band.objects.order_by("min_score")),
    )


def published_scorecards() -> ScorecardSet:
    """Every published version, keyed by segment; creates the default if it is missing."""
    versions = list(version_queryset().filter(status=VersionStatus.PUBLISHED))
    default = next((v for v in versions if v.scorecard.is_default), None)
    if default is None:
        from .services import scorecard_default_ensure

        default = version_queryset().get(pk=scorecard_default_ensure().pk)
    by_segment = {v.scorecard.segment_id: v for v in versions if v.scorecard.segment_id is not None}
    return ScorecardSet(default=default, by_segment=by_segment)


def version_with_rules(version_id: int) -> ScorecardVersion:
    return version_queryset().get(pk=version_id)


def band_for(score: float | None, bands) -> Band | None:
    """The band with the highest min_score <= score (bands sorted by min_score ascending)."""
    if score is None:
        return None
    chosen = None
    for band in bands:
        if score >= band.min_score:
            chosen = band
    return chosen or (bands[0] if bands else None)


def scorecard_list():
    """Scorecards with their versions for the settings page (constant queries)."""
    return Scorecard.objects.select_related("segment").prefetch_related(
        Prefetch("versions", queryset=ScorecardVersion.objects.order_by("-number"))
    )


def manual_measures_for_account(account) -> list[Measure]:
    """The manual measures of the published scorecard that scores `account`."""
    version = published_scorecards().for_segment(account.segment_id)
    return [m for m in version.measures.all() if m.kind == "manual"]
