"""`{% load health %}{% account_health_panel account %}`: score, breakdown, why it changed."""

from django import template

from core.charts import time_axis
from healthscores.models import DecayStatus, Quadrant
from healthscores.selectors import health_change, snapshot_history, snapshot_latest
from healthscores.views import why_context, why_days

register = template.Library()


@register.inclusion_tag("healthscores/panel.html", takes_context=True)
def account_health_panel(context, account):
    """The account page's health panel (three queries: snapshot, its bands, the history)."""
    snapshot = snapshot_latest(account.pk)
    bands = list(snapshot.scorecard_version.bands.all()) if snapshot else []
    band = next((b for b in bands if snapshot and b.key == snapshot.band), None)
    history = list(snapshot_history(account.pk, days=90, until=snapshot.as_of)) if snapshot else []
    chart = None
    if len(history) > 1:
        chart = {
            "type": "line",
            "data": {
                "labels": [h["as_of"].isoformat() for h in history],
                "datasets": [
                    {
                        "label": "Health",
                        "data": [h["overall"] for h in history],
                        "borderColor": "#2f5bea",
                        "tension": 0.2,
                        "pointRadius": 0,
                    },
                    {
                        "label": "Decay",
                        "data": [h["decay_score"] for h in history],
                        "borderColor": "#e07b00",
                        "borderDash": [4, 4],
                        "tension": 0.2,
                        "pointRadius": 0,
                    },
                ],
            },
            "options": {
                "maintainAspectRatio": False,
                "animation": False,
                "scales": {"x": time_axis(), "y": {"min": 0, "max": 100}},
                "plugins": {"legend": {"position": "bottom"}},
            },
        }
    request = context.get("request")
    user = getattr(request, "user", None)
    days = why_days(request.GET.get("why") if request else None)
    why = why_context(
        account, health_change(account.pk, days=days) if snapshot else None, days=days
    )
    return {
        "account": account,
        "why": why,
        "snapshot": snapshot,
        "band": band,
        "bands": bands,
        "chart_json": chart or None,
        "chart_id": f"health-history-{account.pk}",
        "decay_label": dict(DecayStatus.choices).get(snapshot.decay_status) if snapshot else "",
        "quadrant_label": dict(Quadrant.choices).get(snapshot.quadrant) if snapshot else "",
        "manual_measures": [m for m in snapshot.measures if m["kind"] == "manual"]
        if snapshot
        else [],
        "can_enter_manual": bool(user and user.is_authenticated),
        "csrf_token": context.get("csrf_token"),
    }


@register.filter
def signed(value):
    """+5 / −3 / 0 for deltas (None stays empty)."""
    if value is None or value == "":
        return "–"
    value = float(value)
    text = f"{value:+.0f}" if value == int(value) else f"{value:+.1f}"
    return text.replace("-", "\u2212")


@register.filter
def pct(value):
    if value is None:
        return "–"
    return f"{float(value) * 100:.0f}%"
