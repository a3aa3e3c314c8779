"""Measure arithmetic: raw value per kind, piecewise-linear normalisation, missing-data policy."""

from dataclasses import dataclass
from datetime import date, timedelta

from scorecards.models import Measure, MeasureKind, MissingPolicy, UsageAggregation

from .inputs import ChunkInputs, SurveySpec, UsageSpec

NEUTRAL_SCORE = 50.0


def normalise(raw: float, *, bad: float, good: float) -> float:
    """0 at `bad`, 100 at `good`, linear between and clamped outside (either direction)."""
    share = (raw - bad) / (good - bad)
    return max(0.0, min(1.0, share)) * 100.0


def fmt_raw(raw: float | None, unit: str = "") -> str:
    if raw is None:
        return "no data"
    if abs(raw - round(raw)) < 0.05 or abs(raw) >= 100:
        text = f"{raw:.0f}"
    else:
        text = f"{raw:.2f}" if abs(raw) < 1 else f"{raw:.1f}"
    if unit == "%":
        return f"{text}%"
    return f"{text} {unit}".strip()


def fmt_points(delta: float) -> str:
    return f"{delta:+.1f}".replace("-", "\u2212")


@dataclass
class RawValue:
    """A measure's raw value (None when the account has no data) and how it was obtained."""

    raw: float | None
    detail: str
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
    as_of = inputs.as_of
    kind = rule.kind
    if kind == MeasureKind.ICP_FIT:
        fit = account["icp_fit"]
        return RawValue(fit, "No ICP fit computed." if fit is None else f"Fits the ICP at {fit}%.")
    if kind == MeasureKind.GOODWILL:
        row = inputs.ledger.get(acc)
        if row is None:
            return RawValue(None, "No goodwill ledger entries yet.")
        return RawValue(
            float(row["balance"] or 0), f"Goodwill balance {row['balance'] or 0} points."
        )
    if kind == MeasureKind.DECAY:
        return RawValue(float(decay_score), f"Decay score {decay_score}/100.")
    if kind == MeasureKind.INTERACTION_MIX:
        n = rule.mix_n
        total, positive = inputs.mix.get(n, {}).get(acc, (0, 0))
        if not total:
            return RawValue(None, "No interactions logged.")
        share = 100.0 * positive / total
        return RawValue(
            share,
            f"{positive} of the last {total} interactions built the relationship or added value.",
        )
    if kind == MeasureKind.DAYS_SINCE_VALUE:
        day = (inputs.interactions.get(acc) or {}).get("last_value_on")
        if day is None:
            return RawValue(None, "No value-adding interaction on record.")
        days = max(0, (as_of - day).days)
        return RawValue(
            float(days), f"Last value-adding interaction {days} days ago ({day:%d %b %Y})."
        )
    if kind == MeasureKind.USAGE:
        return _usage_raw(rule, account, inputs)
    if kind == MeasureKind.SURVEY:
        spec = rule.survey
        found = inputs.surveys.get((spec.kind, spec.window_days), {}).get(acc)
        if found is None:
            return RawValue(None, f"No {spec.kind.upper()} response in {spec.window_days} days.")
        avg, n = found
        return RawValue(
            avg,
            f"Average {spec.kind.upper()} {avg:.1f} from {n} response{'s' * (n != 1)} "
            f"in {spec.window_days} days.",
        )
    if kind == MeasureKind.SUCCESS_PLAN:
        plan = inputs.plans.get(acc)
        if not plan:
            return RawValue(None, "No active success plan.")
        progress, expected = float(plan.get("progress") or 0), float(plan.get("expected") or 0)
        gap = 100.0 * (progress - expected)
        return RawValue(gap, f"{progress:.0%} of steps done, {expected:.0%} expected by now.")
    if kind == MeasureKind.MRR_TREND:
        window = int(rule.params.get("window_days") or 90)
        rows = inputs.subscriptions.get(acc, [])
        now, then = mrr_on(rows, as_of), mrr_on(rows, as_of - timedelta(days=window))
        if not now and not then:
            return RawValue(None, "No subscription revenue on record.")
        change = 100.0 if not then else 100.0 * (now - then) / then
        return RawValue(change, f"MRR {then:,.0f} \u2192 {now:,.0f} over {window} days.")
    if kind == MeasureKind.MANUAL:
        value = inputs.manual.get(acc, {}).get(rule.key)
        if value is None:
            return RawValue(None, "No value entered by the CSM.")
        if as_of > value["valid_until"]:
            return RawValue(
                None,
                f"Stale since {value['valid_until']:%d %b %Y}: "
                f"was {value['score']} ({value['reason']}).",
                stale=True,
            )
        return RawValue(
            float(value["score"]),
            f"{value['score']}: {value['reason']} (valid until {value['valid_until']:%d %b %Y}).",
        )
    return RawValue(None, f"Unknown measure kind {kind!r}.")


def _usage_raw(rule: MeasureRule, account: dict, inputs: ChunkInputs) -> RawValue:
    spec = rule.usage
    params = rule.params
    aggregation = params.get("aggregation") or UsageAggregation.SUM
    row = inputs.usage.get((spec.metric, spec.window_days), {}).get(account["id"])
    window = f"{spec.window_days} days"
    if not row or not row["cur_rows"]:
        return RawValue(None, f"No {spec.metric} data in the last {window}.")
    total = float(row["cur_sum"] or 0)
    if aggregation == UsageAggregation.CHANGE:
        if not row["prev_rows"]:
            return RawValue(None, f"No {spec.metric} data for the {window} before to compare with.")
        before = float(row["prev_sum"] or 0)
        change = (
            100.0
            if before == 0 and total > 0
            else (0.0 if before == 0 else 100.0 * (total - before) / before)
        )
        return RawValue(
            change,
            f"{spec.metric}: {before:,.0f} \u2192 {total:,.0f} "
            f"(last {window} vs the {window} before).",
        )
    if aggregation == UsageAggregation.ACTIVE_DAYS:
        value, what = float(row["cur_active"]), f"days with {spec.metric}"
    elif aggregation == UsageAggregation.AVG:
        value, what = total / spec.window_days, f"{spec.metric} per day"
    else:
        value, what = total, f"{spec.metric}"
    if params.get("per_seat") and aggregation != UsageAggregation.ACTIVE_DAYS:
        seats = account.get("seats")
        if seats:
            value, what = value / seats, f"{what} per seat ({seats} seats)"
    return RawValue(value, f"{fmt_raw(value)} {what} in the last {window}.")


def score_measures(
    rules: list[MeasureRule], raws: list[RawValue]
) -> tuple[float, float, list[dict]]:
    """Overall 0-100, confidence 0-1 and each measure's document: raw value, score (0-100 or
    None when left out), weight and contribution in points, rounded as stored."""
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
        documents.append(
            {
                "key": rule.key,
                "label": rule.label,
                "kind": rule.kind,
                "raw": None if raw is None else round(raw, 2),
                "score": None if score is None else round(score, 1),
                "weight": rule.weight,
                "contribution": round(contribution, 2),
                "missing": raw is None,
                "stale": value.stale,
                "detail": value.detail,
                "unit": rule.unit,
            }
        )
    return overall, with_data / (total_weight or 1.0), documents
