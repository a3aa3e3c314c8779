"""Why health changed over a chosen period: the band change attributed to what caused it."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from healthscores.selectors import health_change
from tests.dashboards.conftest import snapshot

pytestmark = pytest.mark.django_db


def _measures(goodwill: float, nps: float, icp: float) -> list[dict]:
    return [
        {
            "key": "goodwill",
            "label": "Goodwill balance",
            "raw": goodwill,
            "contribution": goodwill / 10,
        },
        {"key": "nps", "label": "NPS", "raw": nps, "contribution": nps * 3},
        {"key": "icp", "label": "ICP fit", "raw": icp, "contribution": icp / 10},
    ]


@pytest.fixture
def slide(org):
    """GIVEN an account that slid from Yellow to Red over a month: goodwill and NPS fell
    steadily, and yesterday only the ICP fit wobbled by half a point."""
    account = org.accounts["csm_a1"][0]
    today = timezone.localdate()
    history = [
        (30, 55, _measures(200, 9, 100)),
        (7, 42, _measures(120, 7.5, 100)),
        (1, 30, _measures(40, 6, 100)),
        (0, 29, _measures(40, 6, 95)),
    ]
    for days_ago, overall, measures in history:
        snapshot(
            account, as_of=today - timedelta(days=days_ago), overall=overall, measures=measures
        )
    return account


def test_over_thirty_days_the_drop_is_put_down_to_the_measures_that_fell(slide):
    change = health_change(slide.pk, days=30)
    assert (change["earlier"].overall, change["latest"].overall) == (55, 29)
    assert change["band_changed"] and change["delta"] == -26
    assert [c["key"] for c in change["causes"]] == ["goodwill", "nps", "icp"]
    assert change["causes"][0]["sentence"].startswith("Goodwill balance: fell from 200 to 40")


def test_over_one_week_only_that_weeks_movements_count(slide):
    change = health_change(slide.pk, days=7)
    assert change["earlier"].overall == 42
    assert [c["delta"] for c in change["causes"]] == [-8.0, -4.5, -0.5]


def test_the_period_switch_swaps_the_explanation_in_place(client, org, slide):
    client.force_login(org.csm_a1)
    url = reverse("healthscores:why_changed", args=[slide.pk])
    html = client.get(url, {"days": 30}, HTTP_HX_REQUEST="true").content.decode()
    assert "Over 30 days" in html and "What pulled it down" in html
    assert 'aria-current="true">30 days' in html
    assert "Over 7 days" in client.get(url, {"days": 7}).content.decode()
    assert "Over 30 days" in client.get(url, {"days": 12}).content.decode()  # not offered
    page = client.get(reverse("accounts:detail", args=[slide.pk]), {"why": 90}).content.decode()
    # Shorter history than the period: compared with the oldest snapshot there is.
    assert "Over 90 days" in page and "health 55 → <strong>29</strong>" in page


def test_another_csms_account_cannot_be_explained(client, org, slide):
    client.force_login(org.csm_b1)
    response = client.get(reverse("healthscores:why_changed", args=[slide.pk]))
    assert response.status_code == 404
