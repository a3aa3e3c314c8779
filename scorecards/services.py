"""Writes to scorecards: drafts, edits, publishing, and CSM-entered manual measure values."""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from core.events import publish

from .defaults import build_default_scorecard
from .kinds import measure_params_clean
from .models import (
    Band,
    ManualMeasureValue,
    Measure,
    MeasureKind,
    MeasureStage,
    MissingPolicy,
    Scorecard,
    ScorecardVersion,
    VersionStatus,
)


@transaction.atomic
def scorecard_default_ensure() -> ScorecardVersion:
    """Return the default scorecard's published version, creating the shipped one if missing."""
    return build_default_scorecard(
        Scorecard=Scorecard, ScorecardVersion=ScorecardVersion, Measure=Measure, Band=Band
    )


def _copy_rules(*, source: ScorecardVersion, target: ScorecardVersion, weights=None) -> None:
    weights = weights or {}
    Measure.objects.bulk_create(
        Measure(
            version=target,
            key=m.key,
            label=m.label,
            kind=m.kind,
            weight=weights.get(m.key, m.weight),
            params=dict(m.params),
            bad=m.bad,
            good=m.good,
            missing_policy=m.missing_policy,
            position=m.position,
            stage=m.stage,
        )
        for m in source.measures.all()
    )
    Band.objects.bulk_create(
        Band(version=target, key=b.key, label=b.label, min_score=b.min_score, colour=b.colour)
        for b in source.bands.all()
    )


@transaction.atomic
def scorecard_create(*, name: str, segment, user, description: str = "") -> Scorecard:
    """Create a segment's scorecard with a draft copied from the default's published rules."""
    if Scorecard.objects.filter(segment=segment).exists():
        raise ValidationError({"segment": ["This segment already has a scorecard."]})
    if Scorecard.objects.filter(name=name).exists():
        raise ValidationError({"name": ["A scorecard with this name exists."]})
    scorecard = Scorecard.objects.create(name=name, segment=segment, description=description)
    draft = ScorecardVersion.objects.create(scorecard=scorecard, number=1, created_by=user)
    _copy_rules(source=scorecard_default_ensure(), target=draft)
    return scorecard


@transaction.atomic
def scorecard_version_draft_create(
    *,
    scorecard: Scorecard,
    user,
    source: ScorecardVersion | None = None,
    weights: dict[str, float] | None = None,
    notes: str = "",
) -> ScorecardVersion:
    """The scorecard's draft (created from `source` or the published version if none exists).

    `weights` (measure key -> weight) overrides the copied weights, e.g. suggested weights
    from a validation; an existing draft gets them applied in place.
    """
    Scorecard.objects.select_for_update().get(pk=scorecard.pk)
    draft = scorecard.versions.filter(status=VersionStatus.DRAFT).first()
    if draft is not None:
        for measure in draft.measures.all():
            if weights and measure.key in weights:
                measure.weight = weights[measure.key]
                measure.save(update_fields=["weight"])
        if notes:
            draft.notes = notes
            draft.save(update_fields=["notes"])
        return draft
    source = source or scorecard.versions.filter(status=VersionStatus.PUBLISHED).first()
    if source is None:
        source = scorecard.versions.order_by("-number").first()
    number = (
        scorecard.versions.order_by("-number").values_list("number", flat=True).first() or 0
    ) + 1
    draft = ScorecardVersion.objects.create(
        scorecard=scorecard,
        number=number,
        created_by=user,
        notes=notes,
        new_days=source.new_days if source is not None else None,
    )
    if source is not None:
        _copy_rules(source=source, target=draft, weights=weights)
    return draft


class VersionLocked(ValidationError):
    """A change to a published or archived version: those are immutable (start a draft)."""

    def __init__(self, version: ScorecardVersion):
        super().__init__(
            f"Version {version.number} is {version.status}; only a draft can change. "
            "Create a draft of the scorecard and edit that."
        )


def _draft_locked(version_id: int) -> ScorecardVersion:
    """The version under a row lock, or VersionLocked when it is not a draft."""
    version = ScorecardVersion.objects.select_for_update().get(pk=version_id)
    if version.status != VersionStatus.DRAFT:
        raise VersionLocked(version)
    return version


MEASURE_FIELDS = (
    "key",
    "label",
    "kind",
    "weight",
    "params",
    "bad",
    "good",
    "missing_policy",
    "stage",
)
NO_SPLIT_FOR_STAGE = (
    "Only a scorecard by lifecycle has measures for new or established accounts: set the "
    "version's new_days (how long an account counts as new) first."
)


def _measure_errors(fields: dict) -> dict[str, list]:
    """Field errors of one measure's settings (params checked against its kind's definition)."""
    errors: dict[str, list] = {}
    if fields["kind"] not in MeasureKind.values:
        errors["kind"] = [f"Choose one of: {', '.join(MeasureKind.values)}."]
    else:
        fields["params"], param_errors = measure_params_clean(fields["kind"], fields["params"])
        if param_errors:
            errors["params"] = [
                f"{name}: {message}"
                for name, messages in param_errors.items()
                for message in messages
            ]
    if fields["weight"] is None or fields["weight"] <= 0:
        errors["weight"] = ["The weight must be positive."]
    if fields.get("stage", MeasureStage.ALL) not in MeasureStage.values:
        errors["stage"] = [f"Choose one of: {', '.join(MeasureStage.values)}."]
    return errors


@transaction.atomic
def measure_save(
    *, version: ScorecardVersion | None = None, measure: Measure | None = None, **changes
) -> Measure:
    """Add a measure to a draft (`version`) or change one of a draft's measures (`measure`).

    `changes` are any of MEASURE_FIELDS and `position`; params must fit the (new) kind.
    """
    unknown = set(changes) - {*MEASURE_FIELDS, "position"}
    if unknown:
        raise ValueError(f"Unknown measure fields: {sorted(unknown)}")
    draft = _draft_locked(measure.version_id if measure is not None else version.pk)
    if measure is None:
        measure = Measure(
            version=draft,
            params={},
            missing_policy=MissingPolicy.EXCLUDE,
            weight=10,
            position=(draft.measures.aggregate(top=Max("position"))["top"] or 0) + 1,
        )
    fields = {name: getattr(measure, name) for name in (*MEASURE_FIELDS, "position")}
    fields.update(changes)
    errors = _measure_errors(fields)
    # What the draft as it stands forbids (the API answers 409, not 400).
    if fields["stage"] != MeasureStage.ALL and not draft.new_days and "stage" not in errors:
        errors["stage"] = [ValidationError(NO_SPLIT_FOR_STAGE, code="conflict")]
    if draft.measures.filter(key=fields["key"]).exclude(pk=measure.pk).exists():
        message = "Another measure of this draft has this key."
        errors["key"] = [ValidationError(message, code="unique")]
    if errors:
        raise ValidationError(errors)
    for name, value in fields.items():
        setattr(measure, name, value)
    measure.save()
    return measure


@transaction.atomic
def measure_delete(*, measure: Measure) -> None:
    """Remove a measure from a draft (a draft may end up empty; publishing then refuses)."""
    _draft_locked(measure.version_id)
    measure.delete()


def _band_errors(bands: list[dict]) -> dict[str, list]:
    errors: dict[str, list] = {}
    mins = [b["min_score"] for b in bands]
    if not bands:
        errors["bands"] = ["A scorecard needs at least one band."]
    elif 0 not in mins:
        errors["bands"] = ["The lowest band must start at 0."]
    elif len(set(mins)) != len(mins):
        errors["bands"] = ["Two bands cannot start at the same score."]
    elif len({b["key"] for b in bands}) != len(bands):
        errors["bands"] = ["Band keys must be unique."]
    return errors


@transaction.atomic
def bands_replace(*, version: ScorecardVersion, bands: list[dict]) -> list[Band]:
    """Replace a draft's grading bands (key, label, min_score, colour) as one set; the lowest
    covers every score from 0, so its min_score is stored as 0 (a request cannot leave scores
    without a band, and the schema cannot say "one item is 0")."""
    draft = _draft_locked(version.pk)
    if bands:
        min(bands, key=lambda b: b["min_score"])["min_score"] = 0
    errors = _band_errors(bands)
    if errors:
        raise ValidationError(errors)
    draft.bands.all().delete()
    return Band.objects.bulk_create(
        Band(version=draft, **b) for b in sorted(bands, key=lambda b: b["min_score"])
    )


_UNCHANGED = object()


@transaction.atomic
def scorecard_version_settings_set(
    *, version: ScorecardVersion, notes=_UNCHANGED, new_days=_UNCHANGED
) -> ScorecardVersion:
    """Change what a draft says about itself (what changed and why) and its lifecycle split
    (`new_days`: accounts younger than this are scored with the measures for new accounts;
    None for one set of measures, refused while the draft has measures for one part)."""
    draft = _draft_locked(version.pk)
    fields = []
    if notes is not _UNCHANGED:
        draft.notes = notes
        fields.append("notes")
    if new_days is not _UNCHANGED:
        if new_days is not None and not 1 <= new_days <= 3650:
            raise ValidationError({"new_days": ["Use a number of days from 1 to 3650."]})
        if new_days is None and draft.measures.exclude(stage=MeasureStage.ALL).exists():
            message = (
                "This draft has measures for new or established accounts only: set them to "
                "all accounts (or delete them) before removing the split."
            )
            # The draft's measures forbid it, not the request: the API answers 409.
            raise ValidationError({"new_days": [ValidationError(message, code="conflict")]})
        draft.new_days = new_days
        fields.append("new_days")
    if fields:
        draft.save(update_fields=fields)
    return draft


def _lifecycle_errors(measures: list[dict], new_days: int | None) -> list[str]:
    """A lifecycle scorecard scores each part with at least one measure; a plain one has no
    measure for one part only."""
    stages = [m.get("stage") or MeasureStage.ALL for m in measures]
    if not new_days:
        if any(stage != MeasureStage.ALL for stage in stages):
            return [NO_SPLIT_FOR_STAGE]
        return []
    errors = []
    for part in (MeasureStage.NEW, MeasureStage.ESTABLISHED):
        if not any(stage in (MeasureStage.ALL, part) for stage in stages):
            errors.append(
                f"No measure scores {part} accounts: add one for them or for all accounts."
            )
    return errors


def _validate_rules(measures: list[dict], bands: list[dict], new_days: int | None = None) -> None:
    errors = []
    keys = [m["key"] for m in measures]
    if not measures:
        errors.append("A scorecard needs at least one measure.")
    if len(set(keys)) != len(keys):
        errors.append("Measure keys must be unique.")
    for m in measures:
        if m["weight"] <= 0:
            errors.append(f"{m['label']}: the weight must be positive.")
        if m["kind"] not in MeasureKind.values:
            errors.append(f"{m['label']}: unknown kind {m['kind']!r}.")
            continue
        _, param_errors = measure_params_clean(m["kind"], m.get("params"))
        for name, messages in param_errors.items():
            errors.extend(f"{m['label']}: {name}: {message}" for message in messages)
    mins = [b["min_score"] for b in bands]
    if not bands:
        errors.append("A scorecard needs at least one band.")
    elif 0 not in mins:
        errors.append("The lowest band must start at 0.")
    if len(set(mins)) != len(mins):
        errors.append("Two bands cannot start at the same score.")
    if len({b["key"] for b in bands}) != len(bands):
        errors.append("Band keys must be unique.")
    if measures:
        errors.extend(_lifecycle_errors(measures, new_days))
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def scorecard_version_update(
    *,
    version: ScorecardVersion,
    notes: str,
    measures: list[dict],
    bands: list[dict],
    new_days=_UNCHANGED,
) -> ScorecardVersion:
    """Replace a draft's measures and bands (published and archived versions never change),
    and its lifecycle split when `new_days` is given."""
    version = _draft_locked(version.pk)
    if new_days is _UNCHANGED:
        new_days = version.new_days
    _validate_rules(measures, bands, new_days)
    version.notes = notes
    version.new_days = new_days
    version.save(update_fields=["notes", "new_days"])
    version.measures.all().delete()
    version.bands.all().delete()
    Measure.objects.bulk_create(
        Measure(version=version, position=i, **m) for i, m in enumerate(measures)
    )
    Band.objects.bulk_create(Band(version=version, **b) for b in bands)
    return version


@transaction.atomic
def scorecard_version_publish(*, version: ScorecardVersion, user) -> ScorecardVersion:
    """Publish a draft: the previously published version is archived, history is kept."""
    Scorecard.objects.select_for_update().get(pk=version.scorecard_id)
    version = _draft_locked(version.pk)
    try:
        _validate_rules(
            list(
                version.measures.values(
                    "key", "label", "kind", "weight", "bad", "good", "params", "stage"
                )
            ),
            list(version.bands.values("key", "min_score")),
            version.new_days,
        )
    except ValidationError as exc:
        # The draft as it stands is incomplete; the request (no body) is not wrong: a 409.
        raise ValidationError([ValidationError(m, code="conflict") for m in exc.messages]) from None
    ScorecardVersion.objects.filter(
        scorecard_id=version.scorecard_id, status=VersionStatus.PUBLISHED
    ).update(status=VersionStatus.ARCHIVED)
    version.status = VersionStatus.PUBLISHED
    version.published_by = user
    version.published_at = timezone.now()
    version.save(update_fields=["status", "published_by", "published_at"])
    return version


@transaction.atomic
def manual_measure_value_set(
    *,
    account,
    measure: Measure,
    score: int,
    reason: str,
    author,
    valid_from: date | None = None,
) -> ManualMeasureValue:
    """Record a CSM's score for a manual measure; it stays valid for the measure's valid_days."""
    reason = (reason or "").strip()
    errors = {}
    if measure.kind != MeasureKind.MANUAL:
        errors["measure"] = ["Only manual measures take a CSM-entered score."]
    if score is None or not 0 <= int(score) <= 100:
        errors["score"] = ["The score must be between 0 and 100."]
    if not reason:
        errors["reason"] = ["Say why: a reason is required."]
    if errors:
        raise ValidationError(errors)
    valid_from = valid_from or timezone.localdate()
    valid_days = int((measure.params or {}).get("valid_days") or 30)
    value = ManualMeasureValue.objects.create(
        account=account,
        measure_key=measure.key,
        score=int(score),
        reason=reason[:300],
        valid_from=valid_from,
        valid_until=valid_from + timedelta(days=valid_days),
        author=author,
    )
    publish("account.inputs_changed", account_ids=[account.pk])
    return value
