"""Every account's score on a past date in one paginated call: GET /api/v1/health/?as_of=."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from healthscores.models import HealthSnapshot
from scorecards.services import scorecard_default_ensure
from tests import factories

from .conftest import token_client

pytestmark = pytest.mark.django_db
D = date(2026, 3, 31)


@pytest.fixture(autouse=True)
def _clock_after_d(time_machine):
    """The history and the day after D are in the past whatever the calendar says (the
    date-sensitive run, `make test-dates`, starts some runs before April 2026)."""
    time_machine.move_to(datetime(2026, 4, 15, 12, 0, tzinfo=UTC), tick=True)


def _snap(account, as_of, overall, band):
    return HealthSnapshot.objects.create(
        account=account, as_of=as_of, scorecard_version=scorecard_default_ensure(),
        overall=overall, band=band, confidence=0.9, decay_score=10, decay_status="stable",
        quadrant="success", churn_risk=0.1, lifetime_value=1000,
        measures=[{"key": "icp_fit", "raw": 80.0, "score": 100.0, "contribution": 10.0}],
    )  # fmt: skip


@pytest.fixture
def history(org):
    """csm_a1's first account: scored on D-1 (red) and D+1 (green); second: on D (yellow).
    csm_b1's first account: scored on D (green). csm_a2's accounts: never scored."""
    a1, a2 = org.accounts["csm_a1"]
    b1 = org.accounts["csm_b1"][0]
    _snap(a1, D - timedelta(days=1), 30, "red")
    _snap(a1, D + timedelta(days=1), 80, "green")
    _snap(a2, D, 55, "yellow")
    _snap(b1, D, 75, "green")
    return a1, a2, b1


def _rows(client, query):
    response = client.get(f"/api/v1/health/?{query}")
    assert response.status_code == 200, response.json()
    return response.json()["results"]


def test_each_account_reads_its_latest_snapshot_on_or_before_the_date(history, admin_api):
    a1, a2, b1 = history
    rows = {r["account"]: r for r in _rows(admin_api, f"as_of={D}")}
    assert set(rows) == {a1.pk, a2.pk, b1.pk}  # csm_a2's unscored accounts are left out
    assert (rows[a1.pk]["as_of"], rows[a1.pk]["overall"], rows[a1.pk]["band"]) == (
        str(D - timedelta(days=1)),
        30,
        "red",
    )
    assert rows[a2.pk]["as_of"] == str(D) and rows[a2.pk]["account_external_id"]
    assert rows[a1.pk]["measures"][0]["key"] == "icp_fit"
    assert rows[a1.pk]["scorecard_version_number"] == 1
    later = {r["account"]: r["band"] for r in _rows(admin_api, f"as_of={D + timedelta(days=1)}")}
    assert later[a1.pk] == "green"


def test_a_csm_reads_only_their_own_accounts(history, api):
    a1, a2, _ = history
    assert [r["account"] for r in _rows(api, f"as_of={D}")] == sorted([a1.pk, a2.pk])


def test_the_band_filter_uses_the_band_in_force_on_that_date_and_segment_filters_accounts(
    history, admin_api, org
):
    a1, _, b1 = history
    assert [r["account"] for r in _rows(admin_api, f"as_of={D}&band=red")] == [a1.pk]
    assert [r["account"] for r in _rows(admin_api, f"as_of={D}&band=green")] == [b1.pk]
    other = factories.SegmentFactory(name="Enterprise")
    b1.segment = other
    b1.save(update_fields=["segment"])
    assert [r["account"] for r in _rows(admin_api, f"as_of={D}&segment={other.pk}")] == [b1.pk]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "as_of=yesterday",
        "as_of=1999-12-31",
        "as_of={tomorrow}",
    ],
)
def test_a_missing_malformed_or_future_date_is_a_400_naming_as_of(admin_api, org, query):
    # Tomorrow by the clock the request sees (pinned above), not the one at collection time.
    query = query.format(tomorrow=timezone.localdate() + timedelta(days=1))
    response = admin_api.get(f"/api/v1/health/?{query}")
    assert response.status_code == 400
    assert "as_of" in response.json()["errors"]


def test_cursor_pages_walk_every_account_once(history, admin_api):
    seen, url = [], f"/api/v1/health/?as_of={D}&page_size=2"
    while url:
        page = admin_api.get(url).json()
        seen += [r["account"] for r in page["results"]]
        url = page["next"]
    assert len(seen) == len(set(seen)) == 3


@pytest.mark.parametrize("extra", [2, 40])
def test_the_portfolio_read_runs_a_constant_number_of_queries(
    org, extra, django_assert_max_num_queries
):
    manager = token_client(org.manager_a)
    for i in range(extra):
        account = factories.AccountFactory(owner=org.csm_a1, segment=org.segment, name=f"H{i}")
        _snap(account, D - timedelta(days=i % 5), 40 + i % 50, "yellow")
    # token lookup + last-used touch + the page of accounts (latest snapshot per account by an
    # index probe each) + the page's snapshots with their version + the version's measure
    # labels: no query per row, whatever the page size.
    with django_assert_max_num_queries(5):
        response = manager.get(f"/api/v1/health/?as_of={D}&page_size=100")
    assert response.status_code == 200
    assert len(response.json()["results"]) == extra
