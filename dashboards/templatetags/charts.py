"""Chart inclusion tags for the account page: `{% load charts %}{% ledger_chart account %}`.

Each tag renders a `<canvas data-chart>` plus its Chart.js config in a json_script, a text
summary for screen readers, and an empty state when there is nothing to draw.
"""

from django import template
from django.utils import timezone

from ..selectors import charts as chart_selectors
from ..selectors._common import BAND_LABELS, DECAY_LABELS, QUADRANT_SHORT

register = template.Library()


@register.inclusion_tag("dashboards/charts/ledger.html")
def ledger_chart(account):
    """Chutes and ladders: the goodwill balance with every ladder and chute marked."""
    return {
        "account": account,
        "chart_id": f"chart-ledger-{account.pk}",
        "config": chart_selectors.ledger_chart_config(account),
        "summary": chart_selectors.ledger_summary(account),
    }


@register.inclusion_tag("dashboards/charts/health.html")
def health_history_chart(account):
    return {
        "account": account,
        "chart_id": f"chart-health-{account.pk}",
        "config": chart_selectors.health_history_config(account, today=timezone.localdate()),
        "days": chart_selectors.HEALTH_DAYS,
    }


@register.inclusion_tag("dashboards/charts/ltv.html")
def ltv_chart(account):
    """Cumulative revenue to date and the projection to the account's lifetime value."""
    config = chart_selectors.ltv_chart_config(account, today=timezone.localdate())
    summary = config.pop("summary") if config else None
    return {
        "account": account,
        "chart_id": f"chart-ltv-{account.pk}",
        "config": config,
        "summary": summary,
    }


@register.inclusion_tag("dashboards/charts/usage.html")
def usage_trends(account):
    """Usage as small multiples: one chart per metric, each on its own scale."""
    charts = chart_selectors.usage_trends_config(account, today=timezone.localdate())
    for chart in charts:
        chart["chart_id"] = f"chart-usage-{account.pk}-{chart['metric']}"
    return {
        "account": account,
        "chart_id": f"chart-usage-{account.pk}",
        "charts": charts,
        "weeks": chart_selectors.USAGE_WEEKS,
    }


@register.inclusion_tag("dashboards/charts/subscriptions.html")
def subscriptions_table(account):
    return {"account": account, "subscriptions": chart_selectors.subscriptions_for(account)}


@register.inclusion_tag("dashboards/charts/all.html")
def account_charts(account):
    """Every account chart in one responsive grid (what the account page includes)."""
    return {"account": account}


@register.inclusion_tag("dashboards/_sparkline.html")
def sparkline(points, label=""):
    return {"points": points, "label": label}


@register.filter
def band_label(value):
    return BAND_LABELS.get(value or "", value)


@register.filter
def decay_label(value):
    return DECAY_LABELS.get(value or "", value)


@register.filter
def quadrant_label(value):
    return QUADRANT_SHORT.get(value or "", value)


@register.filter
def signed(value):
    """+5 / -3 / 0, or an em dash for no value."""
    if value is None or value == "":
        return "—"
    try:
        number = int(value)
    except (TypeError, ValueError):
        return value
    return f"{number:+d}" if number else "0"
