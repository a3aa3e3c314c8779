"""Cross-app pages: the CSM's home, the manager's portfolio, reports, scorecard shares, settings."""

from .home import home
from .portfolio import portfolio
from .reports import reports_index, top10, top10_csv, top10_pdf
from .settings import settings_index
from .shares import (
    scorecard_pdf,
    scorecard_preview,
    scorecard_shares,
    share_revoke,
    shared_scorecard,
    shared_scorecard_pdf,
)

__all__ = [
    "home",
    "portfolio",
    "reports_index",
    "scorecard_pdf",
    "scorecard_preview",
    "scorecard_shares",
    "settings_index",
    "share_revoke",
    "shared_scorecard",
    "shared_scorecard_pdf",
    "top10",
    "top10_csv",
    "top10_pdf",
]
