"""Chart.js pieces every chart shares (the account page's charts and the health panel)."""


def time_axis(*, unit: str | None = None) -> dict:
    """An x axis scaled by time (the vendored date-fns adapter parses the ISO labels), so
    weekly, daily and irregular points sit at their true distance; dates read `5 Dec`."""
    axis = {
        "type": "time",
        "time": {
            "tooltipFormat": "d MMM yyyy",
            "displayFormats": {"day": "d MMM", "week": "d MMM", "month": "MMM yyyy"},
        },
        "ticks": {"maxTicksLimit": 8, "autoSkip": True, "maxRotation": 0},
    }
    if unit:
        axis["time"]["unit"] = unit
    return axis
