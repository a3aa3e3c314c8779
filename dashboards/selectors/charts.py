"""Chart.js configurations for the account page: ledger, health history, LTV, usage.

Each function returns a plain dict that `json_script` embeds in the page and static/js/app.js
hands to Chart.js, or None when there is nothing to draw (the template shows an empty state).
"""

import math
from collections import OrderedDict
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Sum

from accounts.models import Account, EntryKind, Subscription, TrustEntry, UsageMetric
from core.charts import time_axis
from core.formatting import label
from healthscores.services.measures import revenue_through

from ._common import health_series

LEDGER_MAX_ENTRIES = 400
HEALTH_DAYS = 180
USAGE_WEEKS = 13  # about 90 days, in whole weeks
USAGE_MAX_METRICS = 4
PROJECTION_MAX_MONTHS = 36

COLOURS = {
    "ink": "#1d2430",
    "accent": "#2f5bea",
    "green": "#1f9d55",
    "yellow": "#d99a06",
    "red": "#d64545",
    "grey": "#98a2b3",
    "series": ["#2f5bea", "#1f9d55", "#e07b00", "#8e5bd6"],
}


def _base_options(*, y_title: str = "", legend: bool = True, unit: str | None = None) -> dict:
    return {
        "responsive": True,
        "maintainAspectRatio": False,
        "animation": False,
        "interaction": {"mode": "nearest", "intersect": False},
        "plugins": {"legend": {"display": legend, "position": "bottom"}},
        "scales": {
            "x": time_axis(unit=unit),
            "y": {"title": {"display": bool(y_title), "text": y_title}},
        },
    }


def ledger_chart_config(account: Account) -> dict | None:
    """Chutes and ladders: the goodwill balance over time, ladders and chutes marked on it.

    The last 400 entries (one query); ladders are green triangles up, chutes red triangles down.
    """
    entries = list(
        TrustEntry.objects.filter(account=account)
        .order_by("-seq")
        .values("seq", "occurred_at", "points", "kind", "reason", "balance_after")[
            :LEDGER_MAX_ENTRIES
        ]
    )
    if not entries:
        return None
    entries.reverse()
    labels = [e["occurred_at"].date().isoformat() for e in entries]
    balance = [e["balance_after"] for e in entries]
    ladders = [
        e["balance_after"] if e["kind"] == EntryKind.LADDER and e["points"] > 0 else None
        for e in entries
    ]
    chutes = [e["balance_after"] if e["kind"] == EntryKind.CHUTE else None for e in entries]
    reasons = [f"{e['points']:+d}: {e['reason']}"[:120] for e in entries]
    options = _base_options(y_title="goodwill points")
    options["plugins"]["legend"]["labels"] = {"usePointStyle": True}
    return {
        "type": "line",
        "data": {
            "labels": labels,
            "datasets": [
                {
                    "label": "Goodwill balance",
                    "data": balance,
                    "borderColor": COLOURS["accent"],
                    "backgroundColor": "rgba(47,91,234,.08)",
                    "fill": True,
                    "pointRadius": 0,
                    "stepped": "before",
                    "order": 3,
                },
                {
                    "label": "Ladder",
                    "data": ladders,
                    "showLine": False,
                    "pointStyle": "triangle",
                    "pointRadius": 6,
                    "backgroundColor": COLOURS["green"],
                    "borderColor": COLOURS["green"],
                    "order": 1,
                },
                {
                    "label": "Chute",
                    "data": chutes,
                    "showLine": False,
                    "pointStyle": "triangle",
                    "rotation": 180,
                    "pointRadius": 8,
                    "backgroundColor": COLOURS["red"],
                    "borderColor": COLOURS["red"],
                    "order": 0,
                },
            ],
        },
        "options": options,
        "notes": reasons,
    }


def ledger_summary(account: Account) -> dict:
    """Counts and totals of ladders and chutes for the chart's text alternative (one query)."""
    from django.db.models import Count, Q

    totals = TrustEntry.objects.filter(account=account).aggregate(
        ladders=Count("id", filter=Q(kind=EntryKind.LADDER)),
        chutes=Count("id", filter=Q(kind=EntryKind.CHUTE)),
        gained=Sum("points", filter=Q(kind=EntryKind.LADDER)),
        lost=Sum("points", filter=Q(kind=EntryKind.CHUTE)),
    )
    return {
        "ladders": totals["ladders"],
        "chutes": totals["chutes"],
        "gained": totals["gained"] or 0,
        "lost": -(totals["lost"] or 0),
        "balance": account.goodwill_balance,
    }


def health_history_config(account: Account, *, today: date) -> dict | None:
    """Overall health per day for the last 180 days, with the default band floors dashed."""
    series = health_series([account.pk], since=today - timedelta(days=HEALTH_DAYS)).get(
        account.pk, []
    )
    if not series:
        return None
    labels = [d.isoformat() for d, _ in series]
    n = len(labels)
    return {
        "type": "line",
        "data": {
            "labels": labels,
            "datasets": [
                {
                    "label": "Health",
                    "data": [s for _, s in series],
                    "borderColor": COLOURS["ink"],
                    "pointRadius": 0 if n > 30 else 3,
                    "tension": 0.2,
                },
                {
                    "label": "Green from 70",
                    "data": [70] * n,
                    "borderColor": COLOURS["green"],
                    "borderDash": [4, 4],
                    "pointRadius": 0,
                    "borderWidth": 1,
                },
                {
                    "label": "Yellow from 40",
                    "data": [40] * n,
                    "borderColor": COLOURS["yellow"],
                    "borderDash": [4, 4],
                    "pointRadius": 0,
                    "borderWidth": 1,
                },
            ],
        },
        "options": {
            **_base_options(y_title="health 0-100"),
            "scales": {
                "x": time_axis(),
                "y": {"min": 0, "max": 100, "title": {"display": True, "text": "health 0-100"}},
            },
        },
    }


def _month_starts(first: date, last: date) -> list[date]:
    months, current = [], first.replace(day=1)
    while current <= last:
        months.append(current)
        current = (current + timedelta(days=32)).replace(day=1)
    return months


def ltv_series(account: Account, *, today: date) -> dict | None:
    """Cumulative revenue per month from the subscriptions, and the projection to lifetime value.

    One query for the subscriptions. The projection is a straight line from revenue to date to
    the account's lifetime value at today's MRR pace (reaching it within 36 months at most),
    so the curve ends at the LTV figure.
    """
    subs = list(
        Subscription.objects.filter(account=account).values("start_date", "end_date", "mrr")
    )
    if not subs:
        return None
    first = min(s["start_date"] for s in subs)
    months = _month_starts(first, today)
    rows = [(s["start_date"], s["end_date"], s["mrr"]) for s in subs]
    # Revenue to date by the same definition as the health snapshot (pro rata per day, net of
    # discount): the chart's last point is the "revenue to date" the health panel quotes.
    cumulative = []
    for month in months:
        through = min((month + timedelta(days=32)).replace(day=1), today)  # earned before it
        revenue = revenue_through(rows, through, discount_pct=account.discount_pct)
        cumulative.append(round(revenue, 2))
    running = Decimal(str(cumulative[-1]))
    current_mrr = sum(
        (
            s["mrr"]
            for s in subs
            if s["start_date"] <= today and (s["end_date"] is None or s["end_date"] >= today)
        ),
        Decimal(0),
    )
    projected_labels: list[str] = []
    projected: list[float] = []
    ltv = float(account.lifetime_value) if account.lifetime_value is not None else None
    if ltv is not None and ltv > running and current_mrr > 0:
        # A straight line from revenue to date up to the lifetime value, at today's MRR pace
        # (or faster when that would take more than PROJECTION_MAX_MONTHS).
        gap = ltv - float(running)
        n = max(1, min(PROJECTION_MAX_MONTHS, math.ceil(gap / float(current_mrr))))
        month = months[-1]
        for i in range(1, n + 1):
            month = (month + timedelta(days=32)).replace(day=1)
            projected_labels.append(month.isoformat()[:7])
            projected.append(round(float(running) + gap * i / n, 2))
    return {
        "labels": [m.isoformat()[:7] for m in months],
        "cumulative": cumulative,
        "projected_labels": projected_labels,
        "projected": projected,
        "revenue_to_date": float(running),
        "current_mrr": float(current_mrr),
        "lifetime_value": ltv,
    }


def ltv_chart_config(account: Account, *, today: date) -> dict | None:
    series = ltv_series(account, today=today)
    if series is None:
        return None
    labels = series["labels"] + series["projected_labels"]
    n_hist = len(series["labels"])
    actual = series["cumulative"] + [None] * len(series["projected_labels"])
    projected = [None] * len(labels)
    if series["projected"]:
        projected[n_hist - 1] = series["cumulative"][-1]
        projected[n_hist:] = series["projected"]
    datasets = [
        {
            "label": "Revenue to date (cumulative)",
            "data": actual,
            "borderColor": COLOURS["accent"],
            "backgroundColor": "rgba(47,91,234,.08)",
            "fill": True,
            "pointRadius": 0,
        }
    ]
    if series["projected"]:
        datasets.append(
            {
                "label": "Projected to lifetime value",
                "data": projected,
                "borderColor": COLOURS["green"],
                "borderDash": [6, 4],
                "pointRadius": 0,
            }
        )
    return {
        "type": "line",
        "data": {"labels": labels, "datasets": datasets},
        "options": _base_options(y_title=account.currency, unit="month"),
        "summary": series,
    }


def usage_trends_config(account: Account, *, today: date) -> list[dict]:
    """One small chart per busiest usage metric: its average per day, week by week, over the
    last 13 weeks (one query).

    Each metric gets its own scale, so 400,000 API calls do not flatten 12 active users to zero.
    A "week" is the 7 days ending today, the 7 before, and so on: every point holds one
    weekend, so a window that starts on a Sunday does not open with a false cliff (a calendar
    week cut by the window held only its weekend days). Each week is averaged over the days
    with data.
    """
    start = today - timedelta(days=7 * USAGE_WEEKS - 1)
    rows = UsageMetric.objects.filter(
        account=account, date__gte=start, date__lte=today
    ).values_list("metric", "date", "value")
    sums: dict[str, dict[date, list[float]]] = {}
    for metric, day, value in rows:
        week_end = today - timedelta(days=7 * ((today - day).days // 7))
        total = sums.setdefault(metric, {}).setdefault(week_end, [0.0, 0])
        total[0] += float(value)
        total[1] += 1
    by_metric: OrderedDict[str, dict[str, float]] = OrderedDict(
        (metric, {end.isoformat(): total / n for end, (total, n) in weeks.items()})
        for metric, weeks in sorted(sums.items())
    )
    busiest = sorted(by_metric, key=lambda m: -sum(by_metric[m].values()))[:USAGE_MAX_METRICS]
    charts = []
    for i, metric in enumerate(sorted(busiest)):
        weeks = sorted(by_metric[metric])
        values = [round(by_metric[metric][w], 2) for w in weeks]
        title = label(metric)
        options = _base_options(legend=False, unit="week")
        options["scales"]["y"] = {"beginAtZero": True, "ticks": {"maxTicksLimit": 4}}
        options["plugins"]["title"] = {"display": False}
        charts.append(
            {
                "metric": metric,
                "label": title,
                "latest": values[-1],
                "config": {
                    "type": "line",
                    "data": {
                        "labels": weeks,
                        "datasets": [
                            {
                                "label": f"{title} per day (weekly average)",
                                "data": values,
                                "borderColor": COLOURS["series"][i % len(COLOURS["series"])],
                                "pointRadius": 2,
                                "tension": 0.2,
                            }
                        ],
                    },
                    "options": options,
                },
            }
        )
    return charts


def subscriptions_for(account: Account) -> list[Subscription]:
    return list(Subscription.objects.filter(account=account).order_by("-start_date", "-id"))
