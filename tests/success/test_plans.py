"""Success plans: templates to plans, the success vector, outcome classes, and the ledger."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import TrustEntry
from success import services
from success.models import PlanStatus, ScopeDelivery, outcome_class_for, vector_for
from success.selectors import plan_progress_by_account
from success.tasks import plan_steps_check_overdue
from tests import factories

TODAY = timezone.localdate()


def days(n: int):
    return TODAY + timedelta(days=n)


def plan_with_steps(account, *, due_offsets, done_offsets=(), started=-60, **plan_fields):
    """A plan whose steps are due on TODAY + each offset; the first len(done_offsets) steps
    were completed on TODAY + the matching done offset."""
    plan = factories.SuccessPlanFactory(account=account, started_on=days(started), **plan_fields)
    steps = []
    for i, offset in enumerate(due_offsets):
        done = days(done_offsets[i]) if i < len(done_offsets) else None
        steps.append(
            factories.PlanStepFactory(
                plan=plan, due_on=days(offset), starts_on=days(started), completed_on=done
            )
        )
    return plan, steps


# --- the success vector ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("progress", "expected", "vector"),
    [
        (0.5, 0.5, "on_track"),
        (0.8, 0.5, "on_track"),
        (0.4, 0.5, "on_track"),  # 10 points behind is still on track
        (0.3, 0.5, "lagging"),
        (0.2, 0.5, "lagging"),  # 30 points behind: the edge of lagging
        (0.1, 0.5, "off_track"),
        (0.0, 0.0, "on_track"),
    ],
)
def test_vector_compares_progress_with_what_should_be_done_by_now(progress, expected, vector):
    assert vector_for(progress, expected) == vector


@pytest.mark.django_db
def test_plan_progress_gives_each_vector_state_from_steps_and_due_dates():
    """GIVEN three plans of ten steps, six due by today
    WHEN one has six done, one four, one one
    THEN they are on track, lagging and off track."""
    on_track, lagging, off_track = (factories.AccountFactory() for _ in range(3))
    due = [-50, -40, -30, -20, -10, -1, 5, 10, 20, 30]
    plan_with_steps(on_track, due_offsets=due, done_offsets=[-50, -40, -30, -20, -10, -2])
    plan_with_steps(lagging, due_offsets=due, done_offsets=[-50, -40, -30, -20])
    plan_with_steps(off_track, due_offsets=due, done_offsets=[-45])

    result = plan_progress_by_account(as_of=TODAY)

    assert result[on_track.pk]["vector"] == "on_track"
    assert result[lagging.pk]["vector"] == "lagging"
    assert result[off_track.pk]["vector"] == "off_track"
    assert result[lagging.pk]["progress"] == pytest.approx(0.4)
    assert result[lagging.pk]["expected"] == pytest.approx(0.6)
    assert result[off_track.pk]["overdue"] == 5
    assert result[on_track.pk]["outcome_class"] == "not_yet"


@pytest.mark.django_db
def test_plan_progress_reads_history_as_of_a_past_date():
    account = factories.AccountFactory()
    plan_with_steps(account, due_offsets=[-20, -10], done_offsets=[-5, -5])

    back_then = plan_progress_by_account(as_of=days(-8))[account.pk]
    now = plan_progress_by_account(as_of=TODAY)[account.pk]

    assert (back_then["progress"], back_then["expected"], back_then["vector"]) == (
        0.0,
        1.0,
        "off_track",
    )
    assert (now["progress"], now["vector"]) == (1.0, "on_track")
    assert plan_progress_by_account(as_of=days(-90)) == {}


@pytest.mark.django_db
def test_plan_progress_uses_a_constant_number_of_queries(django_assert_num_queries):
    accounts = factories.AccountFactory.create_batch(6)
    for account in accounts:
        plan_with_steps(account, due_offsets=[-10, 10], done_offsets=[-11])
    with django_assert_num_queries(2):  # one for the plans, one aggregate over the steps
        result = plan_progress_by_account(as_of=TODAY, account_ids=[a.pk for a in accounts[:4]])
    assert sorted(result) == sorted(a.pk for a in accounts[:4])


@pytest.mark.django_db
def test_plan_progress_reports_the_latest_closed_plan_with_its_outcome_class():
    account = factories.AccountFactory()
    plan, _ = plan_with_steps(account, due_offsets=[-30], done_offsets=[-31], started=-60)
    services.plan_outcome_record(plan=plan, objective_met=True, closed_on=days(-20))

    row = plan_progress_by_account(as_of=TODAY)[account.pk]

    assert row["status"] == "completed"
    assert row["outcome_class"] == "successful"
    assert row["plan_id"] == plan.pk
    # Before it closed, the same plan was still active and its outcome not yet known.
    assert plan_progress_by_account(as_of=days(-25))[account.pk]["outcome_class"] == "not_yet"


# --- outcome classes: success is not satisfaction -------------------------------------------
@pytest.mark.parametrize(
    ("objective_met", "scope", "outcome"),
    [
        (True, ScopeDelivery.LATE, "successful"),
        (True, ScopeDelivery.EARLY, "successful"),
        (False, ScopeDelivery.EARLY, "delighted_only"),
        (False, ScopeDelivery.ON_TIME, "satisfied_only"),
        (False, ScopeDelivery.LATE, "satisfied_only"),
        (False, ScopeDelivery.NOT_DELIVERED, "not_yet"),
        (None, ScopeDelivery.ON_TIME, "not_yet"),
    ],
)
def test_outcome_class_follows_the_objective_first_and_our_scope_second(
    objective_met, scope, outcome
):
    assert outcome_class_for(objective_met, scope) == outcome


@pytest.mark.django_db
def test_worked_example_satisfied_we_delivered_on_time_but_the_objective_failed():
    """GIVEN our two our-scope steps were done exactly on their due dates
    WHEN the plan closes with the customer's objective not met
    THEN our scope is on time and the customer was only satisfied."""
    plan, _ = plan_with_steps(
        factories.AccountFactory(), due_offsets=[-20, -10], done_offsets=[-20, -10]
    )
    plan = services.plan_outcome_record(plan=plan, objective_met=False, closed_on=days(-1))
    assert plan.scope_delivery == ScopeDelivery.ON_TIME
    assert plan.outcome_class == "satisfied_only"


@pytest.mark.django_db
def test_worked_example_delighted_we_beat_our_scope_but_the_objective_failed():
    """GIVEN our steps were all done well before they were due
    WHEN the plan closes with the objective not met
    THEN we beat our scope (early): the customer was delighted, not successful."""
    plan, _ = plan_with_steps(
        factories.AccountFactory(), due_offsets=[-20, -10], done_offsets=[-30, -25]
    )
    plan = services.plan_outcome_record(plan=plan, objective_met=False, closed_on=days(-1))
    assert plan.scope_delivery == ScopeDelivery.EARLY
    assert plan.outcome_class == "delighted_only"


@pytest.mark.django_db
def test_worked_example_successful_the_objective_was_met_even_though_we_were_late():
    """GIVEN one of our steps was finished after its due date
    WHEN the plan closes with the customer's objective met
    THEN the customer is successful: their objective counts, not our deliverables."""
    plan, _ = plan_with_steps(
        factories.AccountFactory(), due_offsets=[-20, -10], done_offsets=[-20, -3]
    )
    plan = services.plan_outcome_record(plan=plan, objective_met=True, closed_on=days(-1))
    assert plan.scope_delivery == ScopeDelivery.LATE
    assert plan.outcome_class == "successful"
    assert plan.status == PlanStatus.COMPLETED


@pytest.mark.django_db
def test_customer_objective_steps_do_not_count_towards_our_scope():
    plan, steps = plan_with_steps(
        factories.AccountFactory(), due_offsets=[-20, -10], done_offsets=[-20]
    )
    steps[1].scope = "customer_objective"
    steps[1].save()
    assert services.scope_delivery_suggest(plan) == ScopeDelivery.ON_TIME


# --- plans from templates, editing ---------------------------------------------------------
@pytest.mark.django_db
def test_plan_from_template_copies_steps_with_dates_from_the_start():
    segment = factories.SegmentFactory(required_outcome="Live in 90 days")
    account = factories.AccountFactory(segment=segment)
    template = factories.PlanTemplateFactory(segment=segment)
    factories.PlanTemplateStepFactory(
        template=template, title="Kick-off", offset_days=0, duration_days=7, owner_side="joint"
    )
    factories.PlanTemplateStepFactory(
        template=template,
        title="Admins trained",
        offset_days=14,
        duration_days=10,
        owner_side="customer",
        scope="customer_objective",
        is_milestone=True,
    )

    plan = services.plan_create_from_template(
        account=account, template=template, started_on=days(-3)
    )

    steps = list(plan.steps.order_by("order"))
    assert [(s.title, s.starts_on, s.due_on) for s in steps] == [
        ("Kick-off", days(-3), days(4)),
        ("Admins trained", days(11), days(21)),
    ]
    assert steps[1].owner_side == "customer" and steps[1].is_milestone
    assert plan.objective == "Live in 90 days"


@pytest.mark.django_db
def test_an_account_has_one_active_plan_at_a_time():
    account = factories.AccountFactory()
    services.plan_create_from_template(account=account, template=None, started_on=TODAY)
    with pytest.raises(ValidationError):
        services.plan_create_from_template(account=account, template=None, started_on=TODAY)


@pytest.mark.django_db
def test_template_of_another_segment_is_refused():
    account = factories.AccountFactory(segment=factories.SegmentFactory(name="SMB"))
    template = factories.PlanTemplateFactory(segment=factories.SegmentFactory(name="Enterprise"))
    with pytest.raises(ValidationError):
        services.plan_create_from_template(account=account, template=template, started_on=TODAY)


@pytest.mark.django_db
def test_steps_can_be_added_edited_and_removed_per_account():
    plan, steps = plan_with_steps(factories.AccountFactory(), due_offsets=[5, 10])
    added = services.plan_step_save(
        plan=plan, title="Extra workshop", starts_on=days(1), due_on=days(3), owner_side="us"
    )
    services.plan_step_save(plan=plan, step=steps[0], title="Renamed", due_on=days(6))
    services.plan_step_delete(step=steps[1])

    assert sorted(plan.steps.values_list("title", flat=True)) == ["Extra workshop", "Renamed"]
    assert plan.steps.get(pk=steps[0].pk).due_on == days(6)
    with pytest.raises(ValidationError):
        services.plan_step_save(plan=plan, step=added, due_on=days(0))  # before its start


# --- completion and the ledger ------------------------------------------------------------------
@pytest.mark.django_db
def test_completing_a_milestone_updates_progress_and_appends_a_ladder(csm):
    """GIVEN a plan with a milestone worth 8 goodwill points and one other step
    WHEN the CSM completes the milestone
    THEN progress goes to 50% and the ledger gains one +8 milestone ladder."""
    account = factories.AccountFactory(owner=csm)
    plan, steps = plan_with_steps(account, due_offsets=[5, 10])
    steps[0].is_milestone, steps[0].ladder_points = True, 8
    steps[0].save()

    services.plan_step_complete(step=steps[0], completed_on=TODAY, note="Went live", user=csm)

    assert plan_progress_by_account(as_of=TODAY)[account.pk]["progress"] == 0.5
    entry = TrustEntry.objects.get(account=account)
    assert (entry.points, entry.kind, entry.source) == (8, "ladder", "milestone")
    assert "Milestone reached" in entry.reason
    account.refresh_from_db()
    assert account.goodwill_balance == 8


@pytest.mark.django_db
def test_completing_an_ordinary_step_moves_progress_without_a_ledger_entry():
    account = factories.AccountFactory()
    _, steps = plan_with_steps(account, due_offsets=[5])
    services.plan_step_complete(step=steps[0], completed_on=TODAY)
    assert not TrustEntry.objects.filter(account=account).exists()
    with pytest.raises(ValidationError):
        services.plan_step_complete(step=steps[0], completed_on=TODAY)  # not twice


@pytest.mark.django_db
def test_a_step_cannot_be_completed_in_the_future():
    _, steps = plan_with_steps(factories.AccountFactory(), due_offsets=[5])
    with pytest.raises(ValidationError):
        services.plan_step_complete(step=steps[0], completed_on=days(1))


@pytest.mark.django_db
def test_a_step_past_its_due_date_appends_one_chute_once():
    """GIVEN a step due three days ago, not done, and one done late
    WHEN the periodic check runs twice
    THEN exactly one chute is appended, for the missed step."""
    account = factories.AccountFactory()
    _, steps = plan_with_steps(account, due_offsets=[-3, -5, 4], done_offsets=[-1])
    steps[1].chute_points = 4
    steps[1].save()

    assert plan_steps_check_overdue.delay().get() == 1
    assert plan_steps_check_overdue.delay().get() == 0

    entries = list(TrustEntry.objects.filter(account=account))
    assert len(entries) == 1
    assert entries[0].kind == "chute" and entries[0].base_points == -4
    steps[1].refresh_from_db()
    assert steps[1].chute_entry_id == entries[0].pk


@pytest.mark.django_db
def test_closed_plans_are_not_charged_for_missed_steps():
    plan, _ = plan_with_steps(factories.AccountFactory(), due_offsets=[-3])
    services.plan_outcome_record(plan=plan, objective_met=False, closed_on=days(-1))
    assert services.plan_steps_chute_overdue(today=TODAY) == 0


def test_beat_runs_the_overdue_check(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["success-plan-steps-overdue"]
    assert entry["task"] == "success.tasks.plan_steps_check_overdue"
