"""Success plans, CTAs and the top-10 report over the API."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import TrustEntry
from success.models import CtaStatus, PlanStatus, SuccessPlan
from tests import factories

from .conftest import token_client


@pytest.fixture
def template(org):
    template = factories.PlanTemplateFactory(segment=org.segment, name="Onboarding")
    factories.PlanTemplateStepFactory(template=template, title="Kick-off", offset_days=0)
    factories.PlanTemplateStepFactory(
        template=template, title="First team live", offset_days=10, is_milestone=True
    )
    return template


def test_a_plan_started_from_a_template_copies_its_steps_with_dates(api, org, template):
    account = org.accounts["csm_a1"][0]
    started = timezone.localdate() - timedelta(days=5)
    response = api.post(
        "/api/v1/success-plans/",
        {"account": account.pk, "template": template.pk, "started_on": started.isoformat()},
        format="json",
    )
    assert response.status_code == 201, response.content
    plan = response.json()
    assert plan["name"] == "Onboarding" and plan["status"] == PlanStatus.ACTIVE
    assert [s["title"] for s in plan["steps"]] == ["Kick-off", "First team live"]
    assert plan["steps"][1]["starts_on"] == (started + timedelta(days=10)).isoformat()
    assert plan["step_total"] == 2 and plan["progress"] == 0.0


def test_a_second_active_plan_or_an_invisible_account_is_rejected(api, org, template):
    account = org.accounts["csm_a1"][0]
    assert (
        api.post("/api/v1/success-plans/", {"account": account.pk}, format="json").status_code
        == 201
    )
    again = api.post("/api/v1/success-plans/", {"account": account.pk}, format="json")
    assert again.status_code == 409 and "active plan" in str(again.json()["errors"])
    other = org.accounts["csm_b1"][0]
    response = api.post("/api/v1/success-plans/", {"account": other.pk}, format="json")
    assert response.status_code == 404 and "account" in response.json()["errors"]
    assert SuccessPlan.objects.filter(account=other).count() == 0


def test_completing_a_milestone_step_appends_its_ladder_once(api, org):
    """GIVEN an active plan with a milestone WHEN the CSM completes it THEN the step is done,
    the ledger gains the ladder, and completing it again is a 400."""
    account = org.accounts["csm_a1"][0]
    plan = factories.SuccessPlanFactory(account=account)
    step = factories.PlanStepFactory(plan=plan, is_milestone=True, ladder_points=5)
    url = f"/api/v1/success-plans/{plan.pk}/steps/{step.pk}/complete/"
    response = api.post(url, {"note": "Went live"}, format="json")
    assert response.status_code == 200
    assert response.json()["completed_on"] == timezone.localdate().isoformat()
    assert TrustEntry.objects.filter(account=account, source="milestone", points=5).count() == 1
    assert api.post(url, {}, format="json").status_code == 400
    future = (timezone.localdate() + timedelta(days=2)).isoformat()
    other_step = factories.PlanStepFactory(plan=plan)
    response = api.post(
        f"/api/v1/success-plans/{plan.pk}/steps/{other_step.pk}/complete/",
        {"completed_on": future},
        format="json",
    )
    assert response.status_code == 400


def test_a_step_of_another_plan_is_404(api, org):
    mine = factories.SuccessPlanFactory(account=org.accounts["csm_a1"][0])
    theirs = factories.PlanStepFactory(plan__account=org.accounts["csm_b1"][0])
    url = f"/api/v1/success-plans/{mine.pk}/steps/{theirs.pk}/complete/"
    assert api.post(url, {}, format="json").status_code == 404


def test_my_open_ctas_are_listed_most_urgent_first(api, org):
    mine = org.accounts["csm_a1"][0]
    urgent = factories.CtaFactory(account=mine, priority=1, title="Renewal rescue")
    later = factories.CtaFactory(account=mine, priority=3, title="Check in")
    factories.CtaFactory(account=mine, status=CtaStatus.DONE, title="Closed")
    factories.CtaFactory(account=org.accounts["csm_a2"][0], title="Teammate's")
    factories.CtaFactory(account=org.accounts["csm_b1"][0], title="Other team's")
    body = api.get("/api/v1/ctas/?status=live&mine=true").json()
    assert [c["id"] for c in body["results"]] == [urgent.pk, later.pk]
    assert api.get("/api/v1/ctas/?status=sideways").status_code == 400


def test_closing_a_cta_records_who_and_when_and_put_is_not_allowed(api, org):
    cta = factories.CtaFactory(account=org.accounts["csm_a1"][0])
    response = api.patch(f"/api/v1/ctas/{cta.pk}/", {"status": "done"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "done" and response.json()["closed_at"]
    cta.refresh_from_db()
    assert cta.closed_by == org.csm_a1
    assert api.patch(f"/api/v1/ctas/{cta.pk}/", {"status": "x"}, format="json").status_code == 400
    assert api.put(f"/api/v1/ctas/{cta.pk}/", {"status": "open"}, format="json").status_code == 405


def test_ticking_the_first_playbook_step_starts_the_cta(api, org):
    cta = factories.CtaFactory(account=org.accounts["csm_a1"][0])
    step = cta.steps.create(order=1, text="Call the champion")
    response = api.post(f"/api/v1/ctas/{cta.pk}/steps/{step.pk}/toggle/")
    assert response.status_code == 200 and response.json()["done_at"]
    assert api.get(f"/api/v1/ctas/{cta.pk}/").json()["status"] == CtaStatus.IN_PROGRESS
    other = factories.CtaFactory(account=org.accounts["csm_b1"][0])
    assert api.post(f"/api/v1/ctas/{other.pk}/steps/{step.pk}/toggle/").status_code == 404


@pytest.mark.parametrize("rows", [2, 30])
def test_plan_and_cta_lists_run_constant_queries(api, org, rows, django_assert_max_num_queries):
    for i in range(rows):
        account = factories.AccountFactory(owner=org.csm_a1, segment=org.segment)
        plan = factories.SuccessPlanFactory(account=account)
        factories.PlanStepFactory(plan=plan)
        cta = factories.CtaFactory(account=account)
        cta.steps.create(order=1, text=f"Step {i}")
        note = cta.notes.create(author=org.csm_a1, body=f"@manager_a {i}")
        note.mentions.add(org.manager_a)
    # token lookup + last-used touch + the annotated page + the steps prefetch.
    with django_assert_max_num_queries(4):
        assert len(api.get("/api/v1/success-plans/").json()["results"]) == rows
    # ... and for CTAs the notes and their mentions (two more prefetches).
    with django_assert_max_num_queries(6):
        results = api.get("/api/v1/ctas/").json()["results"]
    assert len(results) == rows and all(c["notes"][0]["mentions"] == ["manager_a"] for c in results)


def test_top10_report_flags_the_account_where_something_is_amiss(
    org, django_assert_max_num_queries
):
    """GIVEN a manager's team with a "transactional" account whose last interactions were
    firefighting WHEN the manager reads the top-10 report THEN that account is flagged."""
    worried = org.accounts["csm_a1"][0]
    worried.relationship_word = "transactional"
    worried.lifetime_value = 900_000
    worried.save()
    for category in ("firefighting", "escalation", "value_adding"):
        factories.InteractionFactory(account=worried, category=category)
    manager = token_client(org.manager_a)
    # token lookup + last-used touch + accounts + last interactions + health history.
    with django_assert_max_num_queries(5):
        response = manager.get("/api/v1/reports/top10/")
    assert response.status_code == 200
    body = response.json()
    assert [r["account"] for r in body["rows"]][0] == worried.pk
    assert body["rows"][0]["amiss"] and body["amiss_count"] == 1
    ids = {r["account"] for r in body["rows"]}
    assert ids == {a.pk for a in org.accounts["csm_a1"] + org.accounts["csm_a2"]}
    assert manager.get("/api/v1/reports/top10/?by=arr").json()["by"] == "arr"
    assert manager.get("/api/v1/reports/top10/?by=size").status_code == 400
