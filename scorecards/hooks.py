"""What health scoring lends the scorecard editor, without scorecards importing it.

The layers point one way (docs/ARCHITECTURE.md, enforced by import-linter): healthscores sits
above scorecards. The editor's impact preview and coverage panel need scoring, so healthscores
registers both here when it loads (`HealthscoresConfig.ready`).
"""

from collections.abc import Callable

_impact_preview: Callable[..., dict] | None = None
_coverage: Callable[..., dict] | None = None


def health_previews_register(*, impact_preview: Callable[..., dict], coverage: Callable[..., dict]):
    """Called once by healthscores: its `scorecard_impact_preview` and `scorecard_coverage`."""
    global _impact_preview, _coverage
    _impact_preview, _coverage = impact_preview, coverage


def scorecard_impact_preview(*, version, as_of) -> dict:
    """What `version` would do to the bands on `as_of` (healthscores computes it)."""
    if _impact_preview is None:
        raise RuntimeError("healthscores is not installed: no impact preview")
    return _impact_preview(version=version, as_of=as_of)


def scorecard_coverage(*, version, as_of) -> dict:
    """Per measure of `version`, the share of its accounts with data on `as_of`."""
    if _coverage is None:
        raise RuntimeError("healthscores is not installed: no coverage")
    return _coverage(version=version, as_of=as_of)
