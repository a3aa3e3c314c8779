"""Measure arithmetic: raw value per kind, piecewise-linear normalisation, missing-data policy."""

from dataclasses import dataclass
from datetime import date, timedelta

from healthscores.sentences import NO_PREVIOUS_WINDOW
from scorecards.models import Measure, MeasureKind, MissingPolicy, UsageAggregation

from .inputs import ChunkInputs, SurveySpec, UsageSpec

NEUTRAL_SCORE = 50.0


def normalise(raw: float, *, bad: float, good: float) -> float:
    """0 at `bad`, 100 at `good`, linear between and clamped outside (either direction)."""
    share = (raw - bad) / (good - bad)
    return max(0.0, min(1.0, share)) * 100.0


@dataclass(slots=True)
class RawValue:
    """A measure's raw value (None when the account has no data) and the few numbers its
    sentence needs besides (`x`, see healthscores/sentences.py)."""

    raw: float | None
    x: list | None = None
    stale: bool = False


def usage_spec(measure: Measure) -> UsageSpec:
    params = measure.params or {}
    return UsageSpec(
        metric=str(params.get("metric", "")), window_days=int(params.get("window_days") or 30)
    )


def survey_spec(measure: Measure) -> SurveySpec:
    params = measure.params or {}
    return SurveySpec(
        kind=str(params.get("survey") or "nps"), window_days=int(params.get("window_days") or 180)
    )


def mix_size(measure: Measure) -> int:
    return max(1, int((measure.params or {}).get("n") or 10))


def mrr_on(rows: list[tuple], day: date) -> float:
    return sum(mrr for start, end, mrr in rows if start <= day and (end is None or end > day))


@dataclass(frozen=True)
class MeasureRule:
    """A scorecard measure as scoring reads it: its parameters parsed once per chunk, not once
    per account (`measure_rules`)."""

    key: str
    label: str
    kind: str
    weight: float
    bad: float
    good: float
    missing_policy: str
    unit: str
    params: dict
    usage: UsageSpec | None = None
    survey: SurveySpec | None = None
    mix_n: int = 10


def measure_rules(measures) -> list[MeasureRule]:
    rules = []
    for m in measures:
        params = m.params or {}
        rules.append(
            MeasureRule(
                key=m.key,
                label=m.label,
                kind=m.kind,
                weight=m.weight,
                bad=m.bad,
                good=m.good,
                missing_policy=m.missing_policy,
                unit=str(params.get("unit", "")),
                params=params,
                usage=usage_spec(m) if m.kind == MeasureKind.USAGE else None,
                survey=survey_spec(m) if m.kind == MeasureKind.SURVEY else None,
                mix_n=mix_size(m),
            )
        )
    return rules


def raw_value(rule: MeasureRule, account: dict, inputs: ChunkInputs, decay_score: int) -> RawValue:
    """The raw value of one measure for one account from the block's pre-loaded inputs."""
    acc = account["id"]
    kind = rule.kind
    if kind == MeasureKind.ICP_FIT:
        return RawValue(account["icp_fit"])
    if kind == MeasureKind.GOODWILL:
        row = inputs.ledger.get(acc)
        return RawValue(None if row is None else float(row["balance"] or 0))
    if kind == MeasureKind.DECAY:
        return RawValue(float(decay_score))
    if kind == MeasureKind.INTERACTION_MIX:
        total, positive = inputs.mix.get(rule.mix_n, {}).get(acc, (0, 0))
        if not total:
            return RawValue(None)
        return RawValue(100.0 * positive / total, [positive, total])
    if kind == MeasureKind.DAYS_SINCE_VALUE:
        day = (inputs.interactions.get(acc) or {}).get("last_value_on")
        return RawValue(None if day is None else float(max(0, (inputs.as_of - day).days)))
    if kind == MeasureKind.USAGE:
        return _usage_raw(rule, account, inputs)
    if kind == MeasureKind.SURVEY:
        spec = rule.survey
        found = inputs.surveys.get((spec.kind, spec.window_days), {}).get(acc)
        return RawValue(None) if found is None else RawValue(found[0], [found[1]])
    if kind == MeasureKind.SUCCESS_PLAN:
        plan = inputs.plans.get(acc)
        if not plan:
            return RawValue(None)
        progress, expected = float(plan.get("progress") or 0), float(plan.get("expected") or 0)
        return RawValue(100.0 * (progress - expected), [round(progress, 4), round(expected, 4)])
    if kind == MeasureKind.MRR_TREND:
        window = int(rule.params.get("window_days") or 90)
        rows = inputs.subscriptions.get(acc, [])
        now, then = mrr_on(rows, inputs.as_of), mrr_on(rows, inputs.as_of - timedelta(days=window))
        if not now and not then:
            return RawValue(None)
        change = 100.0 if not then else 100.0 * (now - then) / then
        return RawValue(change, [round(then, 2), round(now, 2)])
    if kind == MeasureKind.MANUAL:
        value = inputs.manual.get(acc, {}).get(rule.key)
        if value is None:
            return RawValue(None)
        x = [value["score"], value["reason"], value["valid_until"].isoformat()]
        if inputs.as_of > value["valid_until"]:
            return RawValue(None, x, stale=True)
        return RawValue(float(value["score"]), x)
    return RawValue(None)


def _usage_raw(rule: MeasureRule, account: dict, inputs: ChunkInputs) -> RawValue:
    spec = rule.usage
    params = rule.params
    aggregation = params.get("aggregation") or UsageAggregation.SUM
    row = inputs.usage.get((spec.metric, spec.window_days), {}).get(account["id"])
    if not row or not row["cur_rows"]:
        return RawValue(None)
    total = float(row["cur_sum"] or 0)
    if aggregation == UsageAggregation.CHANGE:
        if not row["prev_rows"]:
            return RawValue(None, [NO_PREVIOUS_WINDOW])
        before = float(row["prev_sum"] or 0)
        change = (
            100.0
            if before == 0 and total > 0
            else (0.0 if before == 0 else 100.0 * (total - before) / before)
        )
        return RawValue(change, [round(before, 2), round(total, 2)])
    if aggregation == UsageAggregation.ACTIVE_DAYS:
        return RawValue(float(row["cur_active"]))
    value = total / spec.window_days if aggregation == UsageAggregation.AVG else total
    seats = account.get("seats")
    if params.get("per_seat") and seats:
        return RawValue(value / seats, [seats])
    return RawValue(value)


def score_measures(
    rules: list[MeasureRule], raws: list[RawValue]
) -> tuple[float, float, list[dict]]:
    """Overall 0-100, confidence 0-1 and each measure's document in its stored form: key, raw
    value, score (0-100, or None when left out) and contribution in points, rounded as stored,
    the numbers its sentence needs (`x`) and `stale` when true. `documents.measures_expand`
    adds what the scorecard version says (label, kind, weight, unit) and the sentence."""
    total_weight = 0.0
    with_data = counted = 0.0
    scores = []
    for rule, value in zip(rules, raws, strict=True):
        total_weight += rule.weight
        if value.raw is not None:
            score = normalise(value.raw, bad=rule.bad, good=rule.good)
            with_data += rule.weight
        elif rule.missing_policy == MissingPolicy.ZERO:
            score = 0.0
        elif rule.missing_policy == MissingPolicy.NEUTRAL:
            score = NEUTRAL_SCORE
        else:
            score = None
        if score is not None:
            counted += rule.weight
        scores.append(score)
    overall = 0.0 if counted else NEUTRAL_SCORE
    documents = []
    for rule, value, score in zip(rules, raws, scores, strict=True):
        contribution = 0.0
        if score is not None:
            contribution = score * rule.weight / counted
            overall += contribution
        raw = value.raw
        doc = {
            "key": rule.key,
            "raw": None if raw is None else round(raw, 2),
            "score": None if score is None else round(score, 1),
            "contribution": round(contribution, 2),
        }
        if value.x:
            doc["x"] = value.x
        if value.stale:
            doc["stale"] = True
        documents.append(doc)
    return overall, with_data / (total_weight or 1.0), documents
