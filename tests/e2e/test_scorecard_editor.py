"""An admin edits a segment's scorecard in a real browser: settings per kind, colour pickers,
coverage per missing-data choice, a preview whose movers moved, and a confirmed publish."""

from datetime import timedelta

import pytest
from django.utils import timezone

from scorecards.models import Scorecard, VersionStatus
from tests import factories
from tests.conftest import browser_login
from tests.e2e.test_accessibility import _axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _row(page, key: str):
    return page.locator("table.measure-edit tbody tr", has=page.locator(f"input[value='{key}']"))


def test_admin_edits_previews_and_publishes_a_segment_scorecard(page, org, screenshot):
    """GIVEN one of the segment's six accounts answered NPS WHEN an admin creates the segment's
    scorecard, switches a measure's kind, scores a missing NPS as 0, saves, previews and
    publishes (after cancelling once) THEN each kind shows only its settings, colour pickers
    render, coverage says 1 of 6 accounts has NPS data, every listed mover moved, and the
    version is published only after the confirmation."""
    factories.SurveyResponseFactory(
        account=org.accounts["csm_a1"][0],
        kind="nps",
        score=9,
        responded_at=timezone.now() - timedelta(days=3),
    )
    browser_login(page, "admin1")
    page.goto("/scorecards/")
    page.fill("#id_name", "Mid-Market health")
    page.select_option("#id_segment", label="Mid-Market")
    page.click("text=Create (starts as a draft copy of the default)")
    page.wait_for_url("**/versions/*/edit/")

    # Only the chosen kind's settings are shown, and they follow a change of kind.
    mix = _row(page, "interaction_mix")
    assert mix.locator("[data-kinds] input[name$='-n']").is_visible()
    assert not mix.locator("input[name$='-metric']").is_visible()
    assert not mix.locator("select[name$='-survey']").is_visible()
    mix.locator("select[data-measure-kind]").select_option("usage")
    assert mix.locator("input[name$='-metric']").is_visible()
    assert mix.locator("select[name$='-aggregation']").is_visible()
    assert not mix.locator("input[name$='-n']").is_visible()
    mix.locator("select[data-measure-kind]").select_option("interaction_mix")

    # Colour pickers render as swatches, not as collapsed inputs.
    for picker in page.locator("input[type=color]").all():
        box = picker.bounding_box()
        assert box and box["width"] >= 30 and box["height"] >= 30

    # Coverage of the saved draft loads under the measures.
    coverage = page.locator("#coverage table.coverage")
    coverage.wait_for()
    nps_row = coverage.locator("tr", has_text="NPS")
    assert "17%" in nps_row.locator("td").nth(1).inner_text()  # 1 of 6 accounts
    assert _axe_violations(page) == []
    screenshot(page, "editor")

    # Score a missing NPS as 0: five accounts lose points.
    _row(page, "nps").locator("select[name$='-missing_policy']").select_option("zero")
    page.click("button[value=save]")
    page.wait_for_selector("text=Draft saved")
    page.click("text=Preview impact of the saved draft")
    page.wait_for_selector("h2:has-text('Biggest movers')")
    movers = page.locator("h2:has-text('Biggest movers') + .table-wrap tbody tr")
    assert movers.count() >= 1
    for i in range(movers.count()):
        cells = movers.nth(i).locator("td")
        assert cells.nth(1).inner_text() != cells.nth(2).inner_text()
    screenshot(page, "preview")
    page.go_back()

    draft = Scorecard.objects.get(name="Mid-Market health").versions.get()
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("button[value=publish]")
    page.wait_for_timeout(300)
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT and "/edit/" in page.url

    messages = []
    page.once("dialog", lambda dialog: (messages.append(dialog.message), dialog.accept()))
    page.click("button[value=publish]")
    page.wait_for_selector("text=Version 1 published")
    draft.refresh_from_db()
    assert draft.status == VersionStatus.PUBLISHED
    assert "publish v1" in messages[0]
    assert draft.measures.get(key="nps").missing_policy == "zero"
    screenshot(page, "published")
