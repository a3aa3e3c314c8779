"""Measure arithmetic: raw value per kind, piecewise-linear normalisation, missing-data policy."""

import math
from dataclasses import dataclass
from datetime import date, timedelta

from healthscores.sentences import NO_PREVIOUS_WINDOW
from scorecards.models import (
    AccountAttribute,
    Measure,
    MeasureKind,
    MeasureStage,
    MissingPolicy,
    UsageAggregation,
)

from .inputs import ChunkInputs, SurveySpec, UsageSpec

NEUTRAL_SCORE = 50.0


LIFECYCLE_NEW_DAYS, LIFECYCLE_ESTABLISHED_DAYS = 90, 365


def normalise(raw: float, *, bad: float, good: float) -> float:
    """0 at `bad`, 100 at `good`, linear between and clamped outside (either direction).
    Equal thresholds make a step: 100 at or above it, 0 below (a pass/fail threshold)."""
    if good == bad:
        return 100.0 if raw >= good else 0.0
    share = (raw - bad) / (good - bad)
    return max(0.0, min(1.0, share)) * 100.0


def curve_points(params: dict) -> tuple[tuple[float, float], ...] | None:
    """A measure's scoring curve ([[raw, score], ...] in `params`) sorted by raw, or None."""
    points = (params or {}).get("curve")
    if not points:
        return None
    return tuple(sorted((float(raw), float(score)) for raw, score in points))


def curve_score(raw: float, points: tuple[tuple[float, float], ...]) -> float:
    """Piecewise-linear through the curve's points, flat beyond the first and the last."""
    if raw <= points[0][0]:
        return points[0][1]
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        if raw <= x1:
            return y0 if x1 == x0 else y0 + (y1 - y0) * (raw - x0) / (x1 - x0)
    return points[-1][1]


def tenure_days(account: dict, inputs: ChunkInputs) -> int | None:
    """Days since the account became a customer: the earlier of its contract start and its
    first subscription started by `as_of`; None when neither is known."""
    starts = [start for start, _end, _mrr in inputs.subscriptions.get(account["id"], [])]
    if account.get("contract_start") is not None:
        starts.append(account["contract_start"])
    starts = [day for day in starts if day <= inputs.as_of]
    return (inputs.as_of - min(starts)).days if starts else None


def lifecycle_stage(tenure: int, params: dict) -> int:
    """0 new (first `new_days`), 1 growing (until `established_days`), 2 established."""
    new_days = int((params or {}).get("new_days") or LIFECYCLE_NEW_DAYS)
    established = int((params or {}).get("established_days") or LIFECYCLE_ESTABLISHED_DAYS)
    return 0 if tenure < new_days else 1 if tenure < established else 2


def lifecycle_part(tenure: float | None, new_days: int | None) -> str:
    """Which measures of a lifecycle scorecard score an account: `new` while its tenure is
    under `new_days`, else `established` (also when its tenure is unknown: no start date)."""
    if new_days and tenure is not None and tenure < new_days:
        return MeasureStage.NEW
    return MeasureStage.ESTABLISHED


def rules_for_part(rules: list, part: str) -> list:
    """The measures that score an account in `part`: its own and those for all accounts."""
    return [rule for rule in rules if rule.stage in (MeasureStage.ALL, part)]


@dataclass(slots=True)
class RawValue:
    """A measure's raw value (None when the account has no data) and the few numbers its
    sentence needs besides (`x`, see healthscores/sentences.py)."""

    raw: float | None
    x: list | None = None
    stale: bool = False


def usage_spec(measure: Measure, metric_param: str = "metric") -> UsageSpec:
    params = measure.params or {}
    return UsageSpec(
        metric=str(params.get(metric_param, "")), window_days=int(params.get("window_days") or 30)
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


DAYS_PER_MONTH = 365.25 / 12


def revenue_through(rows: list[tuple], day: date, *, discount_pct: float = 0) -> float:
    """Revenue earned up to `day`: each subscription's MRR pro rata per day, net of discount.

    The one definition of "revenue to date": the health snapshot's economics and the account
    page's lifetime-value chart both read it, so they cannot disagree.
    """
    gross = 0.0
    for start, end, mrr in rows:
        stop = min(end, day) if end else day
        gross += float(mrr) * max(0, (stop - start).days) / DAYS_PER_MONTH
    return gross * (1.0 - float(discount_pct or 0) / 100.0)


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
    usage_denominator: UsageSpec | None = None
    survey: SurveySpec | None = None
    mix_n: int = 10
    curve: tuple[tuple[float, float], ...] | None = None
    stage: str = MeasureStage.ALL

    @property
    def higher_is_better(self) -> bool:
        return self.good >= self.bad

    def score(self, raw: float) -> float:
        """The 0-100 score of a raw value: the curve if the measure has one, else bad -> good."""
        if self.curve:
            return max(0.0, min(100.0, curve_score(raw, self.curve)))
        return normalise(raw, bad=self.bad, good=self.good)


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
                usage=usage_spec(m) if m.kind in MeasureKind.usage_kinds() else None,
                usage_denominator=(
                    usage_spec(m, "denominator") if m.kind == MeasureKind.USAGE_RATIO else None
                ),
                survey=survey_spec(m) if m.kind == MeasureKind.SURVEY else None,
                mix_n=mix_size(m),
                curve=curve_points(params),
                stage=m.stage,
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
    if kind == MeasureKind.USAGE_TREND:
        return _usage_trend_raw(rule, account, inputs)
    if kind == MeasureKind.USAGE_RATIO:
        return _usage_ratio_raw(rule, account, inputs)
    if kind in (MeasureKind.TENURE, MeasureKind.LIFECYCLE):
        tenure = tenure_days(account, inputs)
        if tenure is None:
            return RawValue(None)
        if kind == MeasureKind.TENURE:
            return RawValue(float(tenure))
        return RawValue(float(lifecycle_stage(tenure, rule.params)), [tenure])
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
    if kind == MeasureKind.ACCOUNT_ATTRIBUTE:
        return _attribute_raw(rule, account, inputs)
    if kind == MeasureKind.MANUAL:
        value = inputs.manual.get(acc, {}).get(rule.key)
        if value is None:
            return RawValue(None)
        x = [value["score"], value["reason"], value["valid_until"].isoformat()]
        if inputs.as_of > value["valid_until"]:
            return RawValue(None, x, stale=True)
        return RawValue(float(value["score"]), x)
    return RawValue(None)


def custom_number(account: dict, key: str) -> float | None:
    """A custom attribute's value when it is a JSON number (not a boolean, not text)."""
    value = (account.get("custom_attributes") or {}).get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _attribute_raw(rule: MeasureRule, account: dict, inputs: ChunkInputs) -> RawValue:
    """An account attribute as of the run date. MRR and ARR come from the subscriptions started
    by then (those active on the day; ARR is 12 x MRR), or, for an account without any, from
    its own MRR / ARR fields; seats, employee count and custom attributes have no history, so
    every date reads their current value (docs/ARCHITECTURE.md, "Account attributes")."""
    attribute = rule.params.get("attribute")
    if attribute in (AccountAttribute.MRR, AccountAttribute.ARR):
        rows = inputs.subscriptions.get(account["id"])
        if rows:
            value = mrr_on(rows, inputs.as_of) * (12 if attribute == AccountAttribute.ARR else 1)
        else:
            value = account.get(attribute)
    elif attribute == AccountAttribute.CUSTOM:
        value = custom_number(account, str(rule.params.get("custom_key") or ""))
    else:
        value = account.get(attribute)
    if value is None:
        return RawValue(None)
    value = float(value)
    if rule.params.get("per_seat"):
        seats = account.get("seats")
        if not seats:
            return RawValue(None)
        return RawValue(value / seats, [seats])
    return RawValue(value)


@dataclass(slots=True)
class UsageWindows:
    """A metric's sums over the current window and the one before; None for a window without
    data (no rows, and not counted as no use; see `usage_windows`)."""

    total: float | None
    active: int
    before: float | None


def account_first_day(account: dict, inputs: ChunkInputs, metric: str) -> date | None:
    """The account's first day for a usage window: the earliest of its contract start, its
    first subscription and its first value of the metric, up to `as_of`."""
    starts = [start for start, _end, _mrr in inputs.subscriptions.get(account["id"], [])]
    if account.get("contract_start") is not None:
        starts.append(account["contract_start"])
    first_use = inputs.usage_first.get(metric, {}).get(account["id"])
    if first_use is not None:
        starts.append(first_use)
    starts = [day for day in starts if day <= inputs.as_of]
    return min(starts) if starts else None


def window_days_lived(first_day: date | None, window_end: date, window_days: int) -> int:
    """Days of the window (window_end - window_days, window_end] on or after the account's
    first day: the whole window when the first day is unknown or earlier, 0 when it is later."""
    if first_day is None:
        return window_days
    return max(0, min(window_days, (window_end - first_day).days + 1))


def usage_windows(spec: UsageSpec, params: dict, account: dict, inputs: ChunkInputs):
    """The metric's windows for one account. With `no_rows` = `zero` (the default) a window
    without rows that starts after the account's first value of the metric counts as no
    use (0), the honest reading of a quiet account; before its first value (or with
    `no_rows` = `missing`) it has no data.

    Windows count from the account's first day (`account_first_day`): a window that starts
    before it is read over the days the account existed and scaled to the full window (a sum
    or a count of active days "at this pace over the window"), so a young account's usage is
    not diluted by days before it was a customer; a previous window wholly before the first
    day has no data (a trend needs two windows the account lived through)."""
    acc = account["id"]
    row = inputs.usage.get((spec.metric, spec.window_days), {}).get(acc) or {}
    zero = (params.get("no_rows") or "zero") == "zero"
    first = inputs.usage_first.get(spec.metric, {}).get(acc) if zero else None
    total = float(row.get("cur_sum") or 0) if row.get("cur_rows") else None
    if total is None and first is not None:
        total = 0.0
    before = float(row.get("prev_sum") or 0) if row.get("prev_rows") else None
    if (
        before is None
        and first is not None
        and first <= inputs.as_of - timedelta(days=spec.window_days)
    ):
        before = 0.0
    active = int(row.get("cur_active") or 0)
    window = spec.window_days
    first_day = account_first_day(account, inputs, spec.metric)
    lived = window_days_lived(first_day, inputs.as_of, window)
    if 0 < lived < window:
        active = int(round(active * window / lived))
        total = None if total is None else total * window / lived
    lived_before = window_days_lived(first_day, inputs.as_of - timedelta(days=window), window)
    if lived_before == 0:
        before = None
    elif lived_before < window and before is not None:
        before = before * window / lived_before
    return UsageWindows(total, active, before)


def _usage_trend_raw(rule: MeasureRule, account: dict, inputs: ChunkInputs) -> RawValue:
    """ln((1 + this window) / (1 + the window before)): 0 steady, -0.69 halved, +0.69 doubled
    (for totals well above 1); symmetric, unlike a % change, and defined at zero use."""
    windows = usage_windows(rule.usage, rule.params, account, inputs)
    if windows.total is None:
        return RawValue(None)
    if windows.before is None:
        return RawValue(None, [NO_PREVIOUS_WINDOW])
    change = math.log1p(max(0.0, windows.total)) - math.log1p(max(0.0, windows.before))
    return RawValue(change, [round(windows.before, 2), round(windows.total, 2)])


def _usage_ratio_raw(rule: MeasureRule, account: dict, inputs: ChunkInputs) -> RawValue:
    """One metric's total over another's in the same window (e.g. replies per message)."""
    numerator = usage_windows(rule.usage, rule.params, account, inputs).total
    denominator = usage_windows(rule.usage_denominator, rule.params, account, inputs).total
    if not denominator or denominator <= 0:
        return RawValue(None)
    numerator = numerator or 0.0
    return RawValue(numerator / denominator, [round(numerator, 2), round(denominator, 2)])


def _usage_raw(rule: MeasureRule, account: dict, inputs: ChunkInputs) -> RawValue:
    spec = rule.usage
    params = rule.params
    aggregation = params.get("aggregation") or UsageAggregation.SUM
    windows = usage_windows(spec, params, account, inputs)
    if windows.total is None:
        return RawValue(None)
    total = windows.total
    if aggregation == UsageAggregation.CHANGE:
        if windows.before is None:
            return RawValue(None, [NO_PREVIOUS_WINDOW])
        before = windows.before
        change = (
            100.0
            if before == 0 and total > 0
            else (0.0 if before == 0 else 100.0 * (total - before) / before)
        )
        return RawValue(change, [round(before, 2), round(total, 2)])
    if aggregation == UsageAggregation.ACTIVE_DAYS:
        return RawValue(float(windows.active))
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
            score = rule.score(value.raw)
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
