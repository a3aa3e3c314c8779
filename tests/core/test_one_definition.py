"""One definition per figure: pages, PDFs and exports that show a figure agree on it."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.models import IcpCriterion
from dashboards.selectors.charts import ltv_series
from healthscores.services.measures import revenue_through
from success import services as success_services
from tests import factories

pytestmark = pytest.mark.django_db


@time_machine.travel(date(2026, 12, 5), tick=False)
def test_the_lifetime_value_chart_ends_at_the_health_panels_revenue_to_date(org):
    """GIVEN an account paying 10,000 a month with a 10% discount since 1 Sep 2026
    WHEN the LTV chart is built
    THEN its last point is the pro-rata, discount-net revenue the health snapshot uses,
    not a sum of whole months at list price."""
    account = factories.AccountFactory(owner=org.csm_a1, discount_pct=Decimal("10"))
    factories.SubscriptionFactory(
        account=account, start_date=date(2026, 9, 1), end_date=None, mrr=Decimal("10000")
    )
    series = ltv_series(account, today=date(2026, 12, 5))
    expected = revenue_through(
        [(date(2026, 9, 1), None, Decimal("10000"))], date(2026, 12, 5), discount_pct=10
    )
    assert series["cumulative"][-1] == pytest.approx(expected, abs=0.01)
    assert expected == pytest.approx(10000 * 95 / (365.25 / 12) * 0.9, abs=0.01)


def test_the_accounts_list_opens_on_the_book_the_home_page_counts(client, org):
    """GIVEN a CSM with current customers, a prospect and a churned account
    WHEN they open Home and then Accounts
    THEN both count the same current customers; the others are one filter away."""
    factories.AccountFactory(owner=org.csm_a1, stage="prospect", name="Maybe Co")
    factories.AccountFactory(owner=org.csm_a1, stage="churned", name="Gone Co")
    client.force_login(org.csm_a1)
    home = client.get(reverse("dashboards:home")).context["headline"]["accounts"]
    listed = client.get(reverse("accounts:list")).context["page"].paginator.count
    assert home == listed == len(org.accounts["csm_a1"])
    everything = client.get(reverse("accounts:list"), {"status": "all"})
    assert everything.context["page"].paginator.count == home + 2


def test_the_accounts_list_sorts_by_a_column_both_ways(client, org):
    mine = org.accounts["csm_a1"]
    for i, account in enumerate(mine):
        account.arr = Decimal(1000 * (i + 1))
        account.save(update_fields=["arr"])
    client.force_login(org.csm_a1)
    up = [a.arr for a in client.get(reverse("accounts:list"), {"sort": "arr"}).context["page"]]
    down = [a.arr for a in client.get(reverse("accounts:list"), {"sort": "-arr"}).context["page"]]
    assert up == sorted(up) and down == sorted(up, reverse=True)
    # The filters keep the sort last chosen in a column header (the input lives in the part
    # htmx swaps, tied to the filter form by its id).
    html = client.get(reverse("accounts:list"), {"sort": "-arr"}).content.decode()
    assert '<input type="hidden" name="sort" form="account-filters" value="-arr">' in html


def test_a_plan_step_has_one_status_on_the_plan_page_the_share_and_the_scorecard(client, org):
    """GIVEN an active plan with a step that was due yesterday
    WHEN the customer opens the shared plan and the CSM the plan page
    THEN both say "Overdue" (not "To do" on one and "Overdue" on the other)."""
    account = factories.AccountFactory(owner=org.csm_a1)
    plan = factories.SuccessPlanFactory(account=account)
    yesterday = timezone.localdate() - timedelta(days=1)
    factories.PlanStepFactory(
        plan=plan, title="Kick-off workshop", owner_side="customer", due_on=yesterday
    )
    token = success_services.plan_share_create(plan=plan, created_by=org.csm_a1, days=7).token
    shared = client.get(reverse("success:shared_plan", args=[token])).content.decode()
    assert "Overdue" in shared and "To do" not in shared
    client.force_login(org.csm_a1)
    page = client.get(reverse("success:plan_detail", args=[plan.pk])).content.decode()
    assert "Overdue" in page


def test_icp_criteria_read_as_sentences():
    criterion = IcpCriterion(attribute="industry", operator="not_in", value=["Education", "Media"])
    assert str(criterion) == "Industry is none of Education, Media"
    assert str(IcpCriterion(attribute="arr", operator="between", value=[200000, None])) == (
        "ARR 200,000 or more"
    )
