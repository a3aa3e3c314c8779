"""The manager's portfolio page."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from ..forms import PortfolioForm
from ..selectors._common import QUADRANTS
from ..selectors.charts import COLOURS
from ..selectors.portfolio import (
    decay_watchlist,
    portfolio_accounts,
    portfolio_summary,
    portfolio_teams,
    quadrant_scatter,
    renewals_calendar,
)

QUADRANT_COLOURS = {
    "success": COLOURS["green"],
    "happy_unprofitable": COLOURS["yellow"],
    "profitable_unhappy": "#e07b00",
    "hard_look": COLOURS["red"],
    "": COLOURS["grey"],
}


@login_required
def portfolio(request):
    """Health by team and CSM, quadrant scatter, decay watchlist, renewals, ARR at risk."""
    today = timezone.localdate()
    teams = portfolio_teams(request.user)
    form = PortfolioForm(request.GET or None, teams=teams)
    team_id, by = None, "week"
    if form.is_valid():
        team_id = form.cleaned_data["team"]
        by = form.cleaned_data["renewals"] or "week"
    accounts = portfolio_accounts(request.user, team_id=team_id)
    scatter = quadrant_scatter(accounts)
    summary = portfolio_summary(accounts, today=today)
    context = {
        "form": form,
        "teams": teams,
        "headline": summary["headline"],
        "distribution": summary["distribution"],
        "csms_collapsed": summary["csms_collapsed"],
        "scatter": scatter,
        "scatter_config": _scatter_config(scatter),
        "arr": summary["arr"],
        "arr_config": _arr_config(summary["arr"]),
        "watchlist": decay_watchlist(accounts),
        "renewals": renewals_calendar(accounts, today=today, by=by),
        "quadrants": QUADRANTS,
        "today": today,
    }
    return render(request, "dashboards/portfolio.html", context)


def _scatter_config(scatter: dict) -> dict:
    from ..selectors._common import QUADRANT_SHORT

    datasets = [
        {
            "label": QUADRANT_SHORT[key] if key else "Not classified",
            "data": points,
            "backgroundColor": QUADRANT_COLOURS.get(key, COLOURS["grey"]),
            "pointRadius": 5,
            "pointHoverRadius": 8,
        }
        for key, points in scatter["datasets"].items()
        if points
    ]
    return {
        "type": "scatter",
        "linkField": "url",
        "labelField": "name",
        "data": {"datasets": datasets},
        "options": {
            "responsive": True,
            "maintainAspectRatio": False,
            "animation": False,
            "plugins": {"legend": {"display": False}},
            "scales": {
                "x": {
                    "suggestedMin": -40,
                    "suggestedMax": 80,
                    "title": {"display": True, "text": "Company happiness: margin, % of revenue →"},
                },
                "y": {
                    "min": 0,
                    "max": 100,
                    "title": {"display": True, "text": "Customer happiness (0-100) →"},
                },
            },
        },
        "quadrantOrigin": {"x": scatter["profitable_at"], "y": scatter["happy_at"]},
        "quadrantLabels": {
            "topRight": "Success",
            "topLeft": "Work to keep: happy, unprofitable",
            "bottomRight": "Work to keep: profitable, unhappy",
            "bottomLeft": "Hard look",
        },
    }


def _arr_config(arr: dict) -> dict:
    colours = {"red": COLOURS["red"], "yellow": COLOURS["yellow"], "green": COLOURS["green"]}
    bands = arr["bands"]
    return {
        "type": "bar",
        "data": {
            "labels": [b["label"] for b in bands],
            "datasets": [
                {
                    "label": "ARR",
                    "data": [float(b["arr"]) for b in bands],
                    "backgroundColor": [colours.get(b["key"], COLOURS["grey"]) for b in bands],
                }
            ],
        },
        "options": {
            "responsive": True,
            "maintainAspectRatio": False,
            "animation": False,
            "indexAxis": "y",
            "plugins": {"legend": {"display": False}},
        },
        # Money on the value axis as 10M, not 10,000,000: full figures overlap on a phone.
        "compactTicks": ["x"],
    }
