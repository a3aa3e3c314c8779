"""Scoring a block of accounts: measures, decay, quadrant, LTV and why-it-changed, in memory.

`health_compute` reads every input of the block with a fixed number of queries (see
`inputs.py`) and returns one `AccountHealth` per account; nothing is written here, so the same
code serves the nightly run, between-night rescoring, draft previews and back-tests.
"""

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from healthscores.documents import version_measure_meta
from healthscores.sentences import fmt_points, fmt_raw
from scorecards.models import MeasureKind, ScorecardVersion
from scorecards.selectors import ScorecardSet, band_for, published_scorecards

from .inputs import AccountBlock, ChunkInputs, SurveySpec, chunk_inputs_load
from .measures import (
    lifecycle_part,
    measure_rules,
    mrr_on,
    raw_value,
    revenue_through,
    rules_for_part,
    score_measures,
    tenure_days,
)

# --- tunables (documented in docs/ARCHITECTURE.md, "Health scores and the nightly run") ---
DECAY_WEIGHTS = {"burn": 0.35, "negative_share": 0.25, "days_since_value": 0.25, "slope": 0.15}
DECAY_DECAYING_AT = 35  # decay score from which an account is "decaying"
DECAY_IN_DECAY_AT = 60  # ... and "in decay"
VALUE_GRACE_DAYS, VALUE_FULL_DECAY_DAYS = 30, 120
SLOPE_FULL_DECAY = 1.0  # health falling this many points a day counts as full decay
HAPPY_AT = 60.0  # customer happiness (0-100) from which a customer counts as happy
PROFITABLE_MARGIN_PCT = 20.0  # margin (% of revenue) from which an account counts as profitable
MAX_EXPECTED_YEARS = 10.0
HAPPINESS_SURVEYS = [SurveySpec("nps", 180), SurveySpec("csat", 180)]
CHANGE_THRESHOLD = 0.5  # contribution changes smaller than this (points) are not worth a sentence
DECAY_ORDER = {"stable": 0, "decaying": 1, "in_decay": 2}


@dataclass
class AccountHealth:
    """The computed health of one account on one day (becomes a HealthSnapshot)."""

    account_id: int
    as_of: date
    version: ScorecardVersion
    overall: int
    band: str
    confidence: float
    measures: list[dict]  # stored form; documents.measures_expand makes them whole
    decay_score: int
    decay_status: str
    decay_components: list[dict]  # stored form; documents.decay_expand makes them whole
    customer_happiness: float | None
    company_happiness: float | None
    quadrant: str
    outcome_class: str
    churn_risk: float
    lifetime_value: Decimal
    economics: dict
    changes: list[dict] = field(default_factory=list)
    previous: dict | None = None
    delta_7: int | None = None
    delta_30: int | None = None
    momentum: float | None = None
    account_health_as_of: date | None = None


def slope_from_sums(sums: tuple | None, extra: tuple[float, float] | None = None) -> float | None:
    """Least-squares slope (points per day) from (n, sum x, sum y, sum xx, sum xy), optionally
    with one more (x, y) point; None with fewer than 3 points."""
    n, sx, sy, sxx, sxy = sums or (0.0, 0.0, 0.0, 0.0, 0.0)
    if extra is not None:
        x, y = extra
        n, sx, sy, sxx, sxy = n + 1, sx + x, sy + y, sxx + x * x, sxy + x * y
    if n < 3:
        return None
    var = n * sxx - sx * sx
    if var <= 1e-9:
        return None
    return (n * sxy - sx * sy) / var


def _clamp(value: float, low: float = 0.0, high: float = 100.0) -> float:
    return max(low, min(high, value))


def decay_compute(account_id: int, inputs: ChunkInputs) -> tuple[int, str, list[dict]]:
    """Decay 0-100 from goodwill burn, c/d/e share, days since value and the health slope.
    Each component keeps the numbers its sentence is written from (`x`, sentences.py)."""
    as_of = inputs.as_of
    ledger = inputs.ledger.get(account_id) or {}
    balance = int(ledger.get("balance") or 0)
    change = int(ledger.get("gained") or 0) + int(ledger.get("burned") or 0)
    net_burn = max(0, -change)
    balance_then = balance - change
    if net_burn == 0:
        burn = 0.0
    elif balance_then <= 0:
        burn = 100.0
    else:
        burn = _clamp(100.0 * net_burn / balance_then)

    recent = inputs.interactions.get(account_id) or {}
    total, negative = int(recent.get("recent") or 0), int(recent.get("recent_negative") or 0)
    share = 100.0 * negative / total if total else 0.0

    last_value = recent.get("last_value_on")
    if last_value is None:
        days_score, days_x = 100.0, []
    else:
        days = max(0, (as_of - last_value).days)
        days_score = _clamp(
            100.0 * (days - VALUE_GRACE_DAYS) / (VALUE_FULL_DECAY_DAYS - VALUE_GRACE_DAYS)
        )
        days_x = [days]

    slope = slope_from_sums(inputs.trend.get(account_id))
    if slope is None:
        slope_score, slope_x = 0.0, []
    else:
        slope_score = _clamp(100.0 * -slope / SLOPE_FULL_DECAY)
        slope_x = [round(slope, 4)]

    decay = round(
        DECAY_WEIGHTS["burn"] * burn
        + DECAY_WEIGHTS["negative_share"] * share
        + DECAY_WEIGHTS["days_since_value"] * days_score
        + DECAY_WEIGHTS["slope"] * slope_score
    )
    components = [
        _component("burn", burn, [change, balance_then]),
        _component("negative_share", share, [negative, total]),
        _component("days_since_value", days_score, days_x),
        _component("slope", slope_score, slope_x),
    ]
    status = (
        "in_decay"
        if decay >= DECAY_IN_DECAY_AT
        else "decaying"
        if decay >= DECAY_DECAYING_AT
        else "stable"
    )
    return decay, status, components


def _component(key: str, score: float, x: list) -> dict:
    """A decay component in its stored form (`documents.decay_expand` adds label and sentence)."""
    component = {"key": key, "score": round(score), "weight": DECAY_WEIGHTS[key]}
    if x:
        component["x"] = x
    return component


def churn_risk_from_score(overall: float) -> float:
    """Probability of churning within a year implied by the overall score (logistic curve)."""
    return round(0.03 + 0.9 / (1.0 + math.exp((overall - 40.0) / 8.0)), 4)


def economics_compute(
    account: dict, inputs: ChunkInputs, overall: float
) -> tuple[dict, float | None, float]:
    """Revenue to date, 90-day margin, churn risk and lifetime value of one account."""
    rows = inputs.subscriptions.get(account["id"], [])
    as_of = inputs.as_of
    discount = 1.0 - float(account["discount_pct"] or 0) / 100.0
    revenue_to_date = revenue_through(rows, as_of, discount_pct=account["discount_pct"])
    mrr_now = mrr_on(rows, as_of) * discount
    recent = inputs.interactions.get(account["id"]) or {}
    minutes = int(recent.get("recent_minutes") or 0)
    revenue_90 = mrr_now * 3
    cost_90 = minutes / 60.0 * float(account["hourly_cost"] or 0) + 3 * float(
        account["monthly_support_cost"] or 0
    )
    margin_90 = revenue_90 - cost_90
    margin_pct = (
        round(100.0 * margin_90 / revenue_90, 1)
        if revenue_90
        else (None if not cost_90 else -100.0)
    )
    risk = churn_risk_from_score(overall)
    expected_years = min(MAX_EXPECTED_YEARS, (1.0 - risk) / risk)
    future_margin = margin_90 * 4 * expected_years
    ltv = revenue_to_date + future_margin
    economics = {
        "revenue_to_date": round(revenue_to_date, 2),
        "mrr": round(mrr_now, 2),
        "revenue_90": round(revenue_90, 2),
        "cost_90": round(cost_90, 2),
        "minutes_90": minutes,
        "chargeable_minutes_90": int(recent.get("chargeable_minutes") or 0),
        "margin_90": round(margin_90, 2),
        "margin_pct": margin_pct,
        "expected_years": round(expected_years, 2),
        "future_margin": round(future_margin, 2),
    }
    return economics, margin_pct, ltv


def happiness_compute(
    account_id: int, inputs: ChunkInputs, overall: float
) -> tuple[float, list[str]]:
    """Customer happiness 0-100: surveys, interaction sentiment and the CSM pulse (else health)."""
    parts, sources = [], []
    nps = inputs.surveys.get(("nps", 180), {}).get(account_id)
    if nps:
        parts.append(nps[0] * 10)
        sources.append("NPS")
    csat = inputs.surveys.get(("csat", 180), {}).get(account_id)
    if csat:
        parts.append((csat[0] - 1) / 4 * 100)
        sources.append("CSAT")
    recent = inputs.interactions.get(account_id) or {}
    if recent.get("recent_sentiment") is not None:
        parts.append((float(recent["recent_sentiment"]) + 2) / 4 * 100)
        sources.append("sentiment")
    pulse = inputs.manual.get(account_id, {}).get("csm_pulse")
    if pulse and inputs.as_of <= pulse["valid_until"]:
        parts.append(float(pulse["score"]))
        sources.append("CSM pulse")
    if not parts:
        return float(overall), ["health score"]
    return sum(parts) / len(parts), sources


def quadrant_for(happiness: float, margin_pct: float | None) -> str:
    happy = happiness >= HAPPY_AT
    profitable = margin_pct is not None and margin_pct >= PROFITABLE_MARGIN_PCT
    if happy and profitable:
        return "success"
    if happy:
        return "happy_unprofitable"
    if profitable:
        return "profitable_unhappy"
    return "hard_look"


def why_changed(
    measures: list[dict], previous: dict | None, labels: dict[str, tuple[str, str]] | None = None
) -> list[dict]:
    """Per-measure contribution change against the previous snapshot, as CSM-readable sentences.

    `previous` holds either `values` ({key: (raw, contribution)}, as the nightly inputs load
    it) or whole `measures` documents; labels and units come from `labels` ({key: (label,
    unit)}, today's scorecard version) or today's documents, and for a measure no longer on
    the scorecard from the previous snapshot's version."""
    if not previous:
        return []
    before = previous.get("values")
    if before is None:
        before = {m["key"]: (m["raw"], m["contribution"]) for m in previous.get("measures") or []}
    changes = []
    for cur in measures:
        key = cur["key"]
        old = before.get(key)
        delta = cur["contribution"] - (old[1] if old else 0.0)
        if abs(delta) < CHANGE_THRESHOLD:
            continue
        if labels is not None:
            label, unit = labels[key]
        else:
            label, unit = cur.get("label", key), cur.get("unit", "")
        raw = cur["raw"]
        points = f"{fmt_points(delta)} points"
        old_raw = old[0] if old else None
        if old is None:
            sentence = f"{label}: added to the scorecard ({fmt_raw(raw, unit)}), {points}"
        elif raw is None and old_raw is not None:
            sentence = f"{label}: no data any more (was {fmt_raw(old_raw, unit)}), {points}"
        elif raw is not None and old_raw is None:
            sentence = f"{label}: new data, {fmt_raw(raw, unit)}, {points}"
        elif raw is not None and abs(raw - old_raw) > 1e-9:
            verb = "rose" if raw > old_raw else "fell"
            was, is_now = fmt_raw(old_raw, unit), fmt_raw(raw, unit)
            sentence = f"{label}: {verb} from {was} to {is_now}, {points}"
        else:
            is_now = fmt_raw(raw, unit)
            sentence = f"{label}: unchanged at {is_now}, {points} as the other measures moved"
        changes.append({"key": key, "label": label, "delta": round(delta, 1), "sentence": sentence})
    current = {m["key"] for m in measures}
    for key, (_raw, contribution) in before.items():
        if key in current or abs(contribution) < CHANGE_THRESHOLD:
            continue
        label = _previous_label(previous, key)
        sentence = f"{label}: no longer on the scorecard, {fmt_points(-contribution)} points"
        changes.append(
            {"key": key, "label": label, "delta": round(-contribution, 1), "sentence": sentence}
        )
    changes.sort(key=lambda c: -abs(c["delta"]))
    return changes


def _previous_label(previous: dict, key: str) -> str:
    for m in previous.get("measures") or []:
        if m["key"] == key and m.get("label"):
            return m["label"]
    meta = version_measure_meta(previous.get("scorecard_version_id"))
    return meta.get(key, {}).get("label", key)


def _deltas(overall: int, as_of: date, anchors: list[tuple[date, int]], trend: tuple | None):
    def at_or_before(day: date):
        found = [v for d, v in anchors if d <= day]
        return found[-1] if found else None

    d7, d30 = at_or_before(as_of - timedelta(days=7)), at_or_before(as_of - timedelta(days=30))
    momentum = slope_from_sums(trend, extra=(0.0, float(overall)))
    return (
        None if d7 is None else overall - d7,
        None if d30 is None else overall - d30,
        None if momentum is None else round(momentum, 3),
    )


def _input_specs(versions: list[ScorecardVersion]):
    usage, surveys, mixes = [], list(HAPPINESS_SURVEYS), []
    for version in versions:
        for rule in measure_rules(version.measures.all()):
            if rule.usage is not None:
                usage.append(rule.usage)
            if rule.usage_denominator is not None:
                usage.append(rule.usage_denominator)
            elif rule.kind == MeasureKind.SURVEY:
                surveys.append(rule.survey)
            elif rule.kind == MeasureKind.INTERACTION_MIX:
                mixes.append(rule.mix_n)
    return usage, surveys, mixes


def health_compute(
    *,
    block: AccountBlock,
    as_of: date,
    scorecards: ScorecardSet | None = None,
    version: ScorecardVersion | None = None,
) -> list[AccountHealth]:
    """Score every scorable account of `block` on `as_of` (with `version` for all, if given)."""
    scorecards = scorecards or published_scorecards()
    versions = [version] if version is not None else scorecards.versions
    usage, surveys, mixes = _input_specs(versions)
    # Plans are always read: the outcome class needs them even without a plan measure.
    inputs = chunk_inputs_load(
        block=block, as_of=as_of, usage_specs=usage, survey_specs=surveys, mix_sizes=mixes
    )
    results = []
    rules: dict[int, tuple[list, list]] = {}  # version pk -> (measures, bands), read once
    for account in inputs.accounts:
        acc = account["id"]
        chosen = version or scorecards.for_segment(account["segment_id"])
        if chosen.pk not in rules:
            measure_list = measure_rules(chosen.measures.all())
            rules[chosen.pk] = (
                measure_list,
                list(chosen.bands.all()),
                {m.key: (m.label, m.unit) for m in measure_list},
            )
        measures, bands, labels = rules[chosen.pk]
        if chosen.new_days:  # a lifecycle scorecard: new or established measures by tenure
            part = lifecycle_part(tenure_days(account, inputs), chosen.new_days)
            measures = rules_for_part(measures, part)
        decay, decay_status, decay_components = decay_compute(acc, inputs)
        raws = [raw_value(m, account, inputs, decay) for m in measures]
        overall_f, confidence, measures_json = score_measures(measures, raws)
        overall = int(round(overall_f))
        band = band_for(overall, bands)
        economics, margin_pct, ltv = economics_compute(account, inputs, overall_f)
        happiness, sources = happiness_compute(acc, inputs, overall_f)
        economics["happiness_sources"] = sources
        plan = inputs.plans.get(acc) or {}
        previous = inputs.previous.get(acc)
        d7, d30, momentum = _deltas(
            overall, as_of, inputs.anchors.get(acc, []), inputs.trend.get(acc)
        )
        results.append(
            AccountHealth(
                account_id=acc,
                as_of=as_of,
                version=chosen,
                overall=overall,
                band=band.key if band else "",
                confidence=round(confidence, 3),
                measures=measures_json,
                decay_score=decay,
                decay_status=decay_status,
                decay_components=decay_components,
                customer_happiness=round(happiness, 1),
                company_happiness=margin_pct,
                quadrant=quadrant_for(happiness, margin_pct),
                outcome_class=str(plan.get("outcome_class") or ""),
                churn_risk=churn_risk_from_score(overall_f),
                lifetime_value=Decimal(str(round(ltv, 2))),
                economics=economics,
                changes=why_changed(measures_json, previous, labels),
                previous=previous,
                delta_7=d7,
                delta_30=d30,
                momentum=momentum,
                account_health_as_of=account["health_as_of"],
            )
        )
    return results
