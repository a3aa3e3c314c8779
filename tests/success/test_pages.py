"""Success pages: plans, CTAs, insights, lessons learned, settings; scoping and query budgets."""

from datetime import timedelta

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from accounts.models import TrustEntry
from success.models import (
    Cta,
    CtaStatus,
    InterventionRule,
    LessonLearned,
    PlanTemplate,
    RuleKey,
    SuccessPlan,
)
from tests import factories

TODAY = timezone.localdate()


def a_plan(account, *, done=1, total=4):
    plan = factories.SuccessPlanFactory(account=account, started_on=TODAY - timedelta(days=40))
    for i in range(total):
        factories.PlanStepFactory(
            plan=plan,
            due_on=TODAY - timedelta(days=30 - 10 * i),
            starts_on=TODAY - timedelta(days=40),
            completed_on=TODAY - timedelta(days=35) if i < done else None,
        )
    return plan


# --- plans ----------------------------------------------------------------------------------
@pytest.mark.django_db
def test_plan_list_shows_only_visible_plans_in_a_fixed_number_of_queries(
    client_csm, org, django_assert_max_num_queries
):
    mine = org.accounts["csm_a1"]
    for account in mine:
        a_plan(account)
    for i in range(6):
        a_plan(factories.AccountFactory(owner=org.csm_a1, name=f"Extra {i}"))
    a_plan(org.accounts["csm_b1"][0])
    # session + user, the count for the paginator, the page of annotated plans.
    with django_assert_max_num_queries(5):
        response = client_csm.get(reverse("success:plan_list"))
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 8
    body = response.content.decode()
    assert "csm_b1 account" not in body
    assert "Lagging" in body or "Off track" in body


@pytest.mark.django_db
def test_plan_of_another_csm_is_a_404(client_csm, org):
    plan = a_plan(org.accounts["csm_b1"][0])
    assert client_csm.get(reverse("success:plan_detail", args=[plan.pk])).status_code == 404
    step = plan.steps.first()
    response = client_csm.post(reverse("success:step_complete", args=[step.pk]))
    assert response.status_code == 404


@pytest.mark.django_db
def test_completing_a_step_with_htmx_updates_progress_and_the_ledger(client_csm, org):
    """GIVEN a plan with one of four steps done, the next a milestone
    WHEN the CSM completes the milestone from the plan page (htmx)
    THEN the swapped body shows 50% done and the ledger has the milestone ladder."""
    account = org.accounts["csm_a1"][0]
    plan = a_plan(account, done=1, total=4)
    step = plan.steps.filter(completed_on__isnull=True).order_by("due_on").first()
    step.is_milestone, step.ladder_points = True, 6
    step.save()

    response = client_csm.post(
        reverse("success:step_complete", args=[step.pk]),
        {"completed_on": TODAY.isoformat(), "note": "Kick-off held"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body  # a fragment
    assert "50%" in body and "Kick-off held" in body
    assert TrustEntry.objects.get(account=account, source="milestone").points == 6


@pytest.mark.django_db
def test_completing_a_step_in_the_future_shows_an_error_not_a_500(client_csm, org):
    plan = a_plan(org.accounts["csm_a1"][0])
    step = plan.steps.filter(completed_on__isnull=True).first()
    response = client_csm.post(
        reverse("success:step_complete", args=[step.pk]),
        {"completed_on": (TODAY + timedelta(days=3)).isoformat()},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert "future" in response.content.decode()
    step.refresh_from_db()
    assert step.completed_on is None


@pytest.mark.django_db
def test_starting_a_plan_from_the_segment_template(client_csm, org):
    account = org.accounts["csm_a1"][0]
    template = factories.PlanTemplateFactory(segment=org.segment, name="Mid-Market onboarding")
    factories.PlanTemplateStepFactory(template=template, title="Kick-off", duration_days=5)
    url = reverse("success:plan_start", args=[account.pk])
    assert "Mid-Market onboarding" in client_csm.get(url).content.decode()

    response = client_csm.post(url, {"template": template.pk, "started_on": TODAY.isoformat()})

    plan = SuccessPlan.objects.get(account=account)
    assert response.status_code == 302 and response.url == plan.get_absolute_url()
    assert plan.steps.get().due_on == TODAY + timedelta(days=5)


@pytest.mark.django_db
def test_adding_a_step_with_bad_dates_shows_field_errors(client_csm, org):
    plan = a_plan(org.accounts["csm_a1"][0])
    response = client_csm.post(
        reverse("success:step_add", args=[plan.pk]),
        {
            "title": "Workshop",
            "owner_side": "us",
            "scope": "our_scope",
            "starts_on": TODAY.isoformat(),
            "due_on": (TODAY - timedelta(days=1)).isoformat(),
            "order": 5,
            "ladder_points": 5,
            "chute_points": 3,
        },
    )
    assert response.status_code == 422
    assert "cannot be before the start date" in response.content.decode()
    assert plan.steps.count() == 4


@pytest.mark.django_db
def test_closing_a_plan_from_the_page_records_the_outcome_class(client_csm, org):
    plan = a_plan(org.accounts["csm_a1"][0], done=4, total=4)
    client_csm.post(
        reverse("success:plan_outcome", args=[plan.pk]),
        {"objective_met": "no", "scope_delivery": "early", "closed_on": TODAY.isoformat()},
    )
    plan.refresh_from_db()
    assert plan.outcome_class == "delighted_only"
    page = client_csm.get(plan.get_absolute_url()).content.decode()
    assert "Delighted only" in page


@pytest.mark.django_db
def test_the_csm_can_download_the_customer_pdf(client_csm, org):
    plan = a_plan(org.accounts["csm_a1"][0])
    response = client_csm.get(reverse("success:plan_pdf", args=[plan.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


# --- the account page panel and the home page tag ------------------------------------------
@pytest.mark.django_db
def test_account_page_shows_desired_outcome_plan_vector_and_open_ctas(client_csm, org):
    account = org.accounts["csm_a1"][0]
    org.segment.required_outcome = "Two core teams live within 90 days"
    org.segment.appropriate_experience = "Pooled CSM, monthly check-ins"
    org.segment.save()
    a_plan(account, done=0, total=4)
    factories.CtaFactory(account=account, title="Renewal near and not green")

    response = client_csm.get(account.get_absolute_url())

    body = response.content.decode()
    assert "Two core teams live within 90 days" in body
    assert "Pooled CSM, monthly check-ins" in body
    assert "Off track" in body
    assert "Renewal near and not green" in body


@pytest.mark.django_db
def test_home_tag_lists_my_open_ctas_most_urgent_first(org):
    mine = org.accounts["csm_a1"][0]
    factories.CtaFactory(account=mine, title="Low one", priority=4)
    factories.CtaFactory(account=mine, title="Urgent one", priority=1)
    factories.CtaFactory(account=mine, title="Finished", status=CtaStatus.DONE)
    factories.CtaFactory(account=org.accounts["csm_b1"][0], title="Someone else's")

    html = Template("{% load success_tags %}{% open_ctas_for user %}").render(
        Context({"user": org.csm_a1})
    )

    assert html.index("Urgent one") < html.index("Low one")
    assert "Finished" not in html and "Someone else" not in html


# --- CTAs --------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_cta_list_defaults_to_my_live_ctas_in_a_fixed_number_of_queries(
    client_csm, org, django_assert_max_num_queries
):
    for account in org.accounts["csm_a1"]:
        for i in range(4):
            cta = factories.CtaFactory(account=account, title=f"Mine {i}")
            cta.steps.create(order=1, text="Call")
    factories.CtaFactory(account=org.accounts["csm_a1"][0], status=CtaStatus.DONE, title="Old")
    factories.CtaFactory(account=org.accounts["csm_a2"][0], title="Team mate's")
    # session + user, the paginator count, the page of CTAs with account/owner/rule, counts
    # and account visibility, the people the bulk bar can reassign to.
    with django_assert_max_num_queries(6):
        response = client_csm.get(reverse("success:cta_list"))
    body = response.content.decode()
    assert len(response.context["page"].object_list) == 8
    assert "Old" not in body and "Team mate" not in body
    assert "0/1" in body


@pytest.mark.django_db
def test_a_manager_sees_the_team_ctas(client, org):
    factories.CtaFactory(account=org.accounts["csm_a2"][0], title="Team mate's")
    factories.CtaFactory(account=org.accounts["csm_b1"][0], title="Other team")
    client.force_login(org.manager_a)
    body = client.get(reverse("success:cta_list")).content.decode()
    assert "Team mate" in body and "Other team" not in body


@pytest.mark.django_db
def test_cta_detail_ticks_playbook_steps_and_changes_status_with_htmx(client_csm, org):
    cta = factories.CtaFactory(account=org.accounts["csm_a1"][0], evidence={"decay_score": 71})
    step = cta.steps.create(order=1, text="Call the sponsor")
    page = client_csm.get(cta.get_absolute_url()).content.decode()
    assert "Call the sponsor" in page and "71" in page

    ticked = client_csm.post(
        reverse("success:cta_step_set", args=[step.pk]), {"done": "1"}, HTTP_HX_REQUEST="true"
    )
    html = ticked.content.decode()
    assert f'id="step-{step.pk}" checked' in html and "by " + org.csm_a1.display_name in html
    assert "In progress" in html
    unticked = client_csm.post(
        reverse("success:cta_step_set", args=[step.pk]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert f'id="step-{step.pk}">' in unticked and "ticked " not in unticked

    client_csm.post(
        reverse("success:cta_close", args=[cta.pk]),
        {"close-outcome": "resolved", "close-note": "Sponsor re-engaged"},
        HTTP_HX_REQUEST="true",
    )
    cta.refresh_from_db()
    assert cta.status == CtaStatus.DONE and cta.closed_at is not None
    assert (cta.outcome, cta.close_note) == ("resolved", "Sponsor re-engaged")


@pytest.mark.django_db
def test_cta_of_another_csm_is_a_404(client_csm, org):
    cta = factories.CtaFactory(account=org.accounts["csm_b1"][0])
    step = cta.steps.create(order=1, text="x")
    assert client_csm.get(cta.get_absolute_url()).status_code == 404
    assert client_csm.post(reverse("success:cta_step_set", args=[step.pk])).status_code == 404
    for name, body in [
        ("cta_status", {"status": "in_progress"}),
        ("cta_close", {"close-outcome": "resolved"}),
        ("cta_note", {"note-body": "hi"}),
        ("cta_reassign", {"reassign-owner": org.csm_a1.pk}),
        ("cta_snooze", {"snooze-until": "2099-01-01"}),
        ("cta_due", {"due-due_on": "2099-01-01"}),
    ]:
        assert client_csm.post(reverse(f"success:{name}", args=[cta.pk]), body).status_code == 404
    cta.refresh_from_db()
    assert cta.status == CtaStatus.OPEN and not cta.notes.exists()


@pytest.mark.django_db
def test_an_unknown_cta_status_is_refused_politely(client_csm, org):
    cta = factories.CtaFactory(account=org.accounts["csm_a1"][0])
    response = client_csm.post(
        reverse("success:cta_status", args=[cta.pk]), {"status": "bogus"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422
    cta.refresh_from_db()
    assert cta.status == CtaStatus.OPEN


# --- insights and lessons learned -------------------------------------------------------------
@pytest.mark.django_db
def test_insights_compare_successful_and_unsuccessful_customers_per_segment(
    client, org, django_assert_max_num_queries
):
    """GIVEN a successful account (objective met) with good health and value-adding calls,
    and a churned account with poor health and escalations
    WHEN the manager opens insights
    THEN the segment shows both groups and the differences between them."""
    good, bad = org.accounts["csm_a1"]
    SuccessPlan.objects.filter(account=good).delete()
    good_plan = factories.SuccessPlanFactory(
        account=good, status="completed", closed_on=TODAY, objective_met=True
    )
    factories.PlanStepFactory(plan=good_plan, completed_on=TODAY - timedelta(days=1))
    type(good).objects.filter(pk=good.pk).update(health_score=80, icp_fit=90, icp_good_fit=True)
    type(bad).objects.filter(pk=bad.pk).update(
        stage="churned", health_score=30, icp_fit=40, icp_good_fit=False
    )
    factories.InteractionFactory(account=good, category="value_adding")
    factories.InteractionFactory(account=bad, category="escalation")
    factories.LessonLearnedFactory(account=bad, reason_code="poor_fit", notes="Never fitted")
    client.force_login(org.manager_a)

    with django_assert_max_num_queries(12):
        response = client.get(reverse("success:insights"))

    segment = response.context["segments"][0]
    assert segment["counts"]["successful"] == 1 and segment["counts"]["unsuccessful"] == 1
    health = next(row for row in segment["profile"] if row["label"] == "Health score")
    assert health["difference"] == 50
    value_adding = next(row for row in segment["mix"] if row["category"] == "value_adding")
    assert (value_adding["successful"], value_adding["unsuccessful"]) == (100.0, 0.0)
    assert segment["lessons"] == [
        {"code": "poor_fit", "label": "Poor fit (outside our ICP)", "count": 1}
    ]
    assert "Never fitted" in response.content.decode()


@pytest.mark.django_db
def test_insights_write_money_and_large_numbers_for_people(client, org):
    """GIVEN a successful account of 608,238.50 ARR and 19,967 employees and a churned one
    WHEN the manager opens insights THEN ARR reads as money and numbers are grouped, never
    `608238.5`."""
    good, bad = org.accounts["csm_a1"]
    SuccessPlan.objects.filter(account=good).delete()
    factories.SuccessPlanFactory(
        account=good, status="completed", closed_on=TODAY, objective_met=True
    )
    type(good).objects.filter(pk=good.pk).update(arr=608238.5, employee_count=19967)
    type(bad).objects.filter(pk=bad.pk).update(stage="churned", arr=520156.3, employee_count=20)
    client.force_login(org.manager_a)
    html = client.get(reverse("success:insights")).content.decode()
    assert "$608,238" in html and "$520,156" in html and "+$88,082" in html
    assert "19,967" in html
    assert "608238" not in html and "19967" not in html


@pytest.mark.django_db
def test_insights_name_health_measures_by_label_and_leave_out_missing_ones(client, org):
    """GIVEN two scored accounts whose latest snapshots are stored compact: ICP fits and
    value-adding work on record, but no goodwill ledger (a measure the default scorecard
    scores a neutral 50 when it has no data)
    WHEN the manager opens insights
    THEN the measure rows carry the scorecard's labels, and goodwill, having no data, is not
    averaged in."""
    from accounts.models import Account
    from healthscores.services import health_rescore_accounts
    from scorecards.services import scorecard_default_ensure

    scorecard_default_ensure()
    accounts = org.accounts["csm_a1"]
    Account.objects.filter(pk__in=[a.pk for a in accounts]).update(icp_fit=80)
    for account in accounts:
        factories.InteractionFactory(account=account, category="value_adding")
    health_rescore_accounts(account_ids=[a.pk for a in accounts], as_of=TODAY)
    client.force_login(org.manager_a)
    segment = client.get(reverse("success:insights")).context["segments"][0]
    labels = {row["label"] for row in segment["measures"]}
    assert {"ICP fit", "Decay score", "Days since value was delivered"} <= labels
    assert not {"icp_fit", "decay", "days_since_value"} & labels  # not the bare keys
    assert "Goodwill balance" not in labels


@pytest.mark.django_db
def test_insights_are_for_managers(client_csm):
    assert client_csm.get(reverse("success:insights")).status_code == 403


@pytest.mark.django_db
def test_recording_a_lesson_learned_on_a_churned_account(client_csm, org):
    account = org.accounts["csm_a1"][0]
    type(account).objects.filter(pk=account.pk).update(stage="churned")
    url = reverse("success:lesson_new", args=[account.pk])

    bad = client_csm.post(url, {"kind": "churned", "reason_code": "price", "notes": ""})
    assert bad.status_code == 200 and "This field is required" in bad.content.decode()

    client_csm.post(
        url,
        {
            "kind": "churned",
            "reason_code": "champion_left",
            "notes": "Sponsor left in Q2; no second champion.",
            "recorded_on": TODAY.isoformat(),
        },
    )
    lesson = LessonLearned.objects.get(account=account)
    assert lesson.reason_code == "champion_left" and lesson.recorded_by == org.csm_a1
    page = client_csm.get(account.get_absolute_url()).content.decode()
    assert "Sponsor left in Q2" in page


@pytest.mark.django_db
def test_lessons_for_another_csms_account_are_a_404(client_csm, org):
    url = reverse("success:lesson_new", args=[org.accounts["csm_b1"][0].pk])
    assert client_csm.get(url).status_code == 404


# --- settings ---------------------------------------------------------------------------------
@pytest.mark.django_db
def test_admin_edits_rule_thresholds_on_the_settings_page(client, org):
    client.force_login(org.admin)
    url = reverse("success:rule_settings")
    page = client.get(url)
    formset = page.context["formset"]
    data = {
        "form-TOTAL_FORMS": str(formset.total_form_count()),
        "form-INITIAL_FORMS": str(formset.initial_form_count()),
    }
    for i, form in enumerate(formset.forms):
        rule = form.instance
        data.update(
            {
                f"form-{i}-id": rule.pk,
                f"form-{i}-is_enabled": "on",
                f"form-{i}-threshold": 60 if rule.key == RuleKey.NO_VALUE else rule.threshold,
                f"form-{i}-priority": rule.priority,
                f"form-{i}-due_in_days": rule.due_in_days,
                f"form-{i}-cooldown_days": rule.cooldown_days,
            }
        )
    assert client.post(url, data).status_code == 302
    assert InterventionRule.objects.get(key=RuleKey.NO_VALUE).threshold == 60

    data["form-0-threshold"] = "-5"
    assert client.post(url, data).status_code == 422


@pytest.mark.django_db
def test_settings_pages_are_for_admins(client_csm):
    for name in ("rule_settings", "template_list", "template_new", "playbook_list"):
        assert client_csm.get(reverse(f"success:{name}")).status_code == 403


@pytest.mark.django_db
def test_admin_creates_a_segment_template_with_steps(client, org):
    client.force_login(org.admin)
    data = {
        "segment": org.segment.pk,
        "name": "Mid-Market onboarding",
        "is_active": "on",
        "steps-TOTAL_FORMS": "2",
        "steps-INITIAL_FORMS": "0",
        "steps-0-order": 1,
        "steps-0-title": "Kick-off",
        "steps-0-owner_side": "joint",
        "steps-0-scope": "our_scope",
        "steps-0-offset_days": 0,
        "steps-0-duration_days": 7,
        "steps-0-ladder_points": 5,
        "steps-0-chute_points": 3,
        "steps-1-order": 2,
        "steps-1-title": "Teams reporting weekly",
        "steps-1-owner_side": "customer",
        "steps-1-scope": "customer_objective",
        "steps-1-offset_days": 30,
        "steps-1-duration_days": 60,
        "steps-1-is_milestone": "on",
        "steps-1-ladder_points": 10,
        "steps-1-chute_points": 5,
    }
    response = client.post(reverse("success:template_new"), data)
    assert response.status_code == 302
    template = PlanTemplate.objects.get(name="Mid-Market onboarding")
    assert list(template.steps.values_list("title", "owner_side", "scope", "is_milestone")) == [
        ("Kick-off", "joint", "our_scope", False),
        ("Teams reporting weekly", "customer", "customer_objective", True),
    ]
    listing = client.get(reverse("success:template_list")).content.decode()
    assert "Mid-Market onboarding" in listing


def _unlabelled_fields(html: str) -> list[str]:
    """The ids of visible form fields no <label for=...> names."""
    import re

    labelled = set(re.findall(r'<label[^>]*\bfor="([^"]+)"', html))
    fields = re.findall(r"<(?:input|select|textarea)\b([^>]*)>", html)
    return [
        found.group(1)
        for attributes in fields
        if 'type="hidden"' not in attributes
        and (found := re.search(r'\bid="([^"]+)"', attributes))
        and found.group(1) not in labelled
    ]


@pytest.mark.django_db
def test_every_field_of_the_template_and_playbook_editors_has_a_label(client, org):
    """Each step row's fields are named for screen readers ("Kick-off: Owner"), as axe-core
    asks (it found 97 unlabelled fields on one template before)."""
    template = factories.PlanTemplateFactory(segment=org.segment)
    factories.PlanTemplateStepFactory(template=template, title="Kick-off")
    client.force_login(org.admin)
    pages = [
        reverse("success:template_new"),
        reverse("success:template_edit", args=[template.pk]),
        reverse("success:playbook_new"),
    ]
    for url in pages:
        html = client.get(url).content.decode()
        assert _unlabelled_fields(html) == [], url
    edit = client.get(pages[1]).content.decode()
    assert '<label class="sr-only" for="id_steps-0-owner_side">Kick-off: Owner' in edit


@pytest.mark.django_db
def test_cta_status_cannot_reopen_a_duplicate(client_csm, org):
    account = org.accounts["csm_a1"][0]
    decay = InterventionRule.objects.get(key=RuleKey.DECAY)
    old = factories.CtaFactory(account=account, rule=decay, status=CtaStatus.DONE)
    factories.CtaFactory(account=account, rule=decay)
    response = client_csm.post(reverse("success:cta_status", args=[old.pk]), {"status": "open"})
    assert response.status_code == 302
    assert Cta.objects.filter(account=account, status=CtaStatus.OPEN).count() == 1


@pytest.mark.django_db
def test_dates_no_template_formatted_read_in_the_one_house_style(client_csm, org):
    """GIVEN a plan started on 29 April 2026 WHEN its CSM opens the plan, the plan list and the
    plan PDF THEN the start reads "29 Apr 2026" as every other date does, never
    "April 29, 2026" (Django's default for a date printed without a format)."""
    from datetime import date

    plan = factories.SuccessPlanFactory(
        account=org.accounts["csm_a1"][0], started_on=date(2026, 4, 29)
    )
    for url in (
        reverse("success:plan_detail", args=[plan.pk]),
        reverse("success:plan_list"),
    ):
        html = client_csm.get(url).content.decode()
        assert "29 Apr 2026" in html and "April 29, 2026" not in html
    rendered = Template("{{ when }} · {{ moment }}").render(
        Context(
            {
                "when": date(2026, 4, 29),
                "moment": timezone.make_aware(timezone.datetime(2026, 4, 29, 14, 3)),
            }
        )
    )
    assert rendered == "29 Apr 2026 · 29 Apr 2026, 14:03"
