"""The sentences that explain a measure's raw value and a decay component, rendered on read.

Scoring records numbers only: each measure's raw value plus, where its sentence needs more,
a few arguments (`x`: "2 of the last 10" needs 2 and 10); each decay component its score plus
its arguments. The sentence is written from those when a snapshot is read (`documents.py`),
so the nightly run neither formats nor stores 100,000 × 15 sentences, and the wording can
improve without rewriting history. Pure functions over plain values.
"""

import math
from datetime import date, timedelta

from core import formatting
from scorecards.models import AccountAttribute, MeasureKind, UsageAggregation

NO_PREVIOUS_WINDOW = "no_previous_window"  # `x` of a usage change without the window before


def fmt_raw(raw: float | None, unit: str = "") -> str:
    if raw is None:
        return "no data"
    whole = abs(raw - round(raw)) < 0.05 or abs(raw) >= 100
    decimals = 0 if whole else 2 if abs(raw) < 1 else 1
    text = formatting.number(raw, decimals)  # grouped, with a real minus: "−18.9", "46,755"
    if unit == "%":
        return f"{text}%"
    return f"{text} {unit}".strip()


def fmt_points(delta: float) -> str:
    return f"{delta:+.1f}".replace("-", "\u2212")


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def measure_sentence(
    kind: str, params: dict, raw: float | None, x: list | None, as_of: date | None = None
) -> str:
    """What a measure's raw value means, from the raw value and the arguments scoring kept."""
    params = params or {}
    x = x or []
    if kind == MeasureKind.ICP_FIT:
        return "No ICP fit computed." if raw is None else f"Fits the ICP at {raw:.0f}%."
    if kind == MeasureKind.GOODWILL:
        if raw is None:
            return "No goodwill ledger entries yet."
        return f"Goodwill balance {raw:.0f} points."
    if kind == MeasureKind.DECAY:
        return "No decay score." if raw is None else f"Decay score {raw:.0f}/100."
    if kind == MeasureKind.INTERACTION_MIX:
        if raw is None or len(x) < 2:
            return "No interactions logged."
        positive, total = x[0], x[1]
        return f"{positive} of the last {total} interactions built the relationship or added value."
    if kind == MeasureKind.DAYS_SINCE_VALUE:
        if raw is None:
            return "No value-adding interaction on record."
        days = int(raw)
        if as_of is None:
            return f"Last value-adding interaction {days} days ago."
        on = as_of - timedelta(days=days)
        return f"Last value-adding interaction {days} days ago ({formatting.day(on)})."
    if kind == MeasureKind.USAGE:
        return _usage_sentence(params, raw, x)
    if kind == MeasureKind.USAGE_TREND:
        return _usage_trend_sentence(params, raw, x)
    if kind == MeasureKind.USAGE_RATIO:
        metric, per = str(params.get("metric", "")), str(params.get("denominator", ""))
        window = int(params.get("window_days") or 30)
        if raw is None:
            return f"No {per} in the last {window} days to divide by."
        return f"{fmt_raw(raw)} {metric} per {per} in the last {window} days."
    if kind == MeasureKind.TENURE:
        return (
            "No contract start or subscription on record."
            if raw is None
            else (f"Customer for {raw:.0f} days.")
        )
    if kind == MeasureKind.LIFECYCLE:
        if raw is None:
            return "No contract start or subscription on record."
        stage = {0: "New", 1: "Growing", 2: "Established"}.get(int(raw), "Established")
        return f"{stage} (customer for {x[0]} days)." if x else f"{stage}."
    if kind == MeasureKind.SURVEY:
        survey = str(params.get("survey") or "nps").upper()
        window = int(params.get("window_days") or 180)
        if raw is None:
            return f"No {survey} response in {window} days."
        n = int(x[0]) if x else 0
        return f"Average {survey} {raw:.1f} from {n} response{'s' * (n != 1)} in {window} days."
    if kind == MeasureKind.SUCCESS_PLAN:
        if raw is None or len(x) < 2:
            return "No active success plan."
        return f"{x[0]:.0%} of steps done, {x[1]:.0%} expected by now."
    if kind == MeasureKind.MRR_TREND:
        window = int(params.get("window_days") or 90)
        if raw is None or len(x) < 2:
            return "No subscription revenue on record."
        return f"MRR {x[0]:,.0f} \u2192 {x[1]:,.0f} over {window} days."
    if kind == MeasureKind.ACCOUNT_ATTRIBUTE:
        return _attribute_sentence(params, raw, x)
    if kind == MeasureKind.MANUAL:
        if len(x) < 3:
            return "No value entered by the CSM."
        score, reason, until = x[0], x[1], _day(x[2])
        if raw is None:
            return f"Stale since {formatting.day(until)}: was {score} ({reason})."
        return f"{score}: {reason} (valid until {formatting.day(until)})."
    return f"Unknown measure kind {kind!r}."


ATTRIBUTE_NAMES = {
    AccountAttribute.SEATS: "seats",
    AccountAttribute.EMPLOYEE_COUNT: "employees",
    AccountAttribute.MRR: "MRR",
    AccountAttribute.ARR: "ARR",
}


def _attribute_sentence(params: dict, raw: float | None, x: list) -> str:
    attribute = params.get("attribute")
    name = ATTRIBUTE_NAMES.get(attribute) or str(params.get("custom_key") or "").replace("_", " ")
    per_seat = bool(params.get("per_seat"))
    if raw is None:
        if per_seat:
            return f"No {name} or no seats on record to divide by."
        return f"No {name} on record."
    if x:  # per seat: the seat count it was divided by
        return f"{fmt_raw(raw)} {name} per seat ({x[0]:,} seats)."
    if attribute in (AccountAttribute.SEATS, AccountAttribute.EMPLOYEE_COUNT):
        return f"{fmt_raw(raw)} {name}."
    return f"{name[:1].upper()}{name[1:]}: {fmt_raw(raw)}."


def _usage_sentence(params: dict, raw: float | None, x: list) -> str:
    metric = str(params.get("metric", "")).replace("_", " ")  # `active_users` → active users
    window = f"{int(params.get('window_days') or 30)} days"
    aggregation = params.get("aggregation") or UsageAggregation.SUM
    if raw is None:
        if x and x[0] == NO_PREVIOUS_WINDOW:
            return f"No {metric} data for the {window} before to compare with."
        return f"No {metric} data in the last {window}."
    if aggregation == UsageAggregation.CHANGE:
        before, total = (x + [0, 0])[:2]
        change = f"{before:,.0f} \u2192 {total:,.0f}"
        return f"{metric}: {change} (last {window} vs the {window} before)."
    if aggregation == UsageAggregation.ACTIVE_DAYS:
        what = f"days with {metric}"
    elif aggregation == UsageAggregation.AVG:
        what = f"{metric} per day"
    else:
        what = metric
    if x:  # per seat: the seat count it was divided by
        what = f"{what} per seat ({x[0]:,} seats)"
    return f"{fmt_raw(raw)} {what} in the last {window}."


def _usage_trend_sentence(params: dict, raw: float | None, x: list) -> str:
    metric = str(params.get("metric", ""))
    window = f"{int(params.get('window_days') or 30)} days"
    if raw is None:
        if x and x[0] == NO_PREVIOUS_WINDOW:
            return f"No {metric} data for the {window} before to compare with."
        return f"No {metric} data in the last {window}."
    before, total = (x + [0, 0])[:2]
    factor = math.exp(raw)
    trend = "steady" if abs(raw) < 0.05 else f"\u00d7{factor:.2f}"
    change = f"{before:,.0f} \u2192 {total:,.0f}"
    return f"{metric}: {change} (last {window} vs the {window} before, {trend})."


def decay_sentence(key: str, x: list | None) -> str:
    """What a decay component's score comes from, from the arguments scoring kept."""
    x = x or []
    if key == "burn":
        change, balance_then = (x + [0, 0])[:2]
        net_burn = max(0, -change)
        if net_burn == 0:
            return f"Goodwill held or grew over 90 days ({change:+d} points)."
        if balance_then <= 0:
            return f"Lost {net_burn} goodwill points in 90 days with no balance to cushion it."
        share = min(100.0, 100.0 * net_burn / balance_then)
        return (
            f"Lost {net_burn} goodwill points in 90 days against a balance of {balance_then} "
            f"then ({share:.0f}%)."
        )
    if key == "negative_share":
        negative, total = (x + [0, 0])[:2]
        if not total:
            return "No interactions in 90 days."
        return (
            f"{negative} of {total} interactions in 90 days were firefighting, escalations "
            "or unvalued work."
        )
    if key == "days_since_value":
        if not x:
            return "No value-adding interaction on record."
        return f"Value last delivered {x[0]} days ago."
    if key == "slope":
        if not x:
            return "Not enough health history for a trend yet."
        slope = x[0]
        verb = "fell" if slope < 0 else "rose" if slope > 0 else "held"
        return f"Health {verb} {abs(slope):.2f} points a day over 30 days."
    return ""
