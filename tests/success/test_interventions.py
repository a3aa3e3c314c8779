"""Intervention rules open CTAs for the owning CSM, never twice while one is open."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from core import events
from success import services
from success.models import Cta, CtaStatus, InterventionRule, Playbook, PlaybookStep, RuleKey
from tests import factories

TODAY = timezone.localdate()


def rule(key: str) -> InterventionRule:
    return InterventionRule.objects.get(key=key)


def live_ctas(account, key: str):
    return Cta.objects.filter(account=account, rule__key=key, status__in=CtaStatus.live())


@pytest.fixture
def opened_events():
    seen = []

    def handler(**payload):
        seen.append(payload)

    events.subscribe("cta.opened", handler)
    yield seen
    events._handlers["cta.opened"].remove(handler)


def test_the_seven_rules_exist_with_default_thresholds(db):
    assert set(InterventionRule.objects.values_list("key", flat=True)) == set(RuleKey.values)
    assert rule(RuleKey.NO_VALUE).threshold == 45
    assert rule(RuleKey.RENEWAL_AT_RISK).threshold == 90


# --- each rule ----------------------------------------------------------------------------------
@pytest.mark.django_db
def test_plan_lagging_opens_a_cta_for_the_owning_csm_with_the_evidence(csm):
    account = factories.AccountFactory(owner=csm)
    plan = factories.SuccessPlanFactory(account=account, started_on=TODAY - timedelta(days=40))
    for offset in (-30, -20, -10, 20):
        factories.PlanStepFactory(plan=plan, due_on=TODAY + timedelta(days=offset))
    on_track = factories.AccountFactory(owner=csm)
    factories.PlanStepFactory(
        plan=factories.SuccessPlanFactory(account=on_track),
        due_on=TODAY - timedelta(days=1),
        completed_on=TODAY - timedelta(days=2),
    )

    opened = services.interventions_evaluate(as_of=TODAY)

    assert opened[RuleKey.PLAN_LAGGING] == 1
    cta = live_ctas(account, RuleKey.PLAN_LAGGING).get()
    assert cta.owner == csm
    assert cta.evidence["progress"] == 0 and cta.evidence["expected"] == 0.75
    assert cta.evidence["vector"] == "off_track"
    assert "0% done against 75% expected" in cta.reason
    assert cta.priority == rule(RuleKey.PLAN_LAGGING).priority
    assert cta.due_on == TODAY + timedelta(days=rule(RuleKey.PLAN_LAGGING).due_in_days)
    assert not live_ctas(on_track, RuleKey.PLAN_LAGGING).exists()


@pytest.mark.django_db
def test_plan_lagging_threshold_is_configurable():
    account = factories.AccountFactory()
    plan = factories.SuccessPlanFactory(account=account)
    for offset, done in ((-10, True), (-5, False), (10, False), (20, False), (30, False)):
        factories.PlanStepFactory(
            plan=plan,
            due_on=TODAY + timedelta(days=offset),
            completed_on=TODAY - timedelta(days=11) if done else None,
        )
    # 20% done vs 40% expected: 20 points behind.
    InterventionRule.objects.filter(key=RuleKey.PLAN_LAGGING).update(threshold=25)
    services.interventions_evaluate(as_of=TODAY)
    assert not live_ctas(account, RuleKey.PLAN_LAGGING).exists()

    InterventionRule.objects.filter(key=RuleKey.PLAN_LAGGING).update(threshold=15)
    services.interventions_evaluate(as_of=TODAY)
    assert live_ctas(account, RuleKey.PLAN_LAGGING).exists()


@pytest.mark.django_db
def test_health_dropping_a_band_opens_a_cta(django_capture_on_commit_callbacks):
    account = factories.AccountFactory()
    with django_capture_on_commit_callbacks(execute=True):
        events.publish(
            "health.band_changed",
            account_id=account.pk,
            as_of=TODAY.isoformat(),
            from_band="green",
            to_band="yellow",
            score=62,
        )
    cta = live_ctas(account, RuleKey.BAND_DROPPED).get()
    assert "from Green to Yellow" in cta.reason and cta.evidence["score"] == 62


@pytest.mark.django_db
def test_health_rising_a_band_opens_nothing(django_capture_on_commit_callbacks):
    account = factories.AccountFactory()
    with django_capture_on_commit_callbacks(execute=True):
        events.publish(
            "health.band_changed",
            account_id=account.pk,
            as_of=TODAY.isoformat(),
            from_band="red",
            to_band="yellow",
            score=45,
        )
    assert not Cta.objects.filter(account=account).exists()


@pytest.mark.django_db
def test_decay_rising_opens_a_cta_from_the_event(django_capture_on_commit_callbacks):
    rising, easing = factories.AccountFactory(), factories.AccountFactory()
    with django_capture_on_commit_callbacks(execute=True):
        events.publish(
            "health.decay_alert",
            account_id=rising.pk,
            as_of=TODAY.isoformat(),
            from_status="stable",
            to_status="decaying",
            decay_score=55,
        )
        events.publish(
            "health.decay_alert",
            account_id=easing.pk,
            as_of=TODAY.isoformat(),
            from_status="in_decay",
            to_status="decaying",
            decay_score=50,
        )
    assert live_ctas(rising, RuleKey.DECAY).get().evidence["decay_score"] == 55
    assert not live_ctas(easing, RuleKey.DECAY).exists()


@pytest.mark.django_db
def test_decay_rule_after_a_run_catches_decaying_above_threshold_and_in_decay():
    decaying = factories.AccountFactory(decay_status="decaying", decay_score=60)
    factories.AccountFactory(decay_status="decaying", decay_score=20)  # below the threshold
    in_decay = factories.AccountFactory(decay_status="in_decay", decay_score=30)
    factories.AccountFactory(decay_status="stable", decay_score=10)

    services.interventions_evaluate(as_of=TODAY)

    assert {c.account_id for c in Cta.objects.filter(rule__key=RuleKey.DECAY)} == {
        decaying.pk,
        in_decay.pk,
    }


@pytest.mark.django_db
def test_no_value_adding_interaction_in_n_days_opens_a_cta():
    quiet = factories.AccountFactory(contract_start=TODAY - timedelta(days=400))
    factories.InteractionFactory(
        account=quiet, occurred_at=timezone.now() - timedelta(days=60), category="value_adding"
    )
    factories.InteractionFactory(
        account=quiet, occurred_at=timezone.now() - timedelta(days=2), category="firefighting"
    )
    served = factories.AccountFactory(contract_start=TODAY - timedelta(days=400))
    factories.InteractionFactory(
        account=served, occurred_at=timezone.now() - timedelta(days=10), category="value_adding"
    )
    never = factories.AccountFactory(contract_start=TODAY - timedelta(days=400))
    brand_new = factories.AccountFactory(contract_start=TODAY - timedelta(days=5))

    services.interventions_evaluate(as_of=TODAY)

    flagged = set(
        Cta.objects.filter(rule__key=RuleKey.NO_VALUE).values_list("account_id", flat=True)
    )
    assert flagged == {quiet.pk, never.pk}
    assert served.pk not in flagged and brand_new.pk not in flagged
    assert "45 days" in live_ctas(quiet, RuleKey.NO_VALUE).get().reason


@pytest.mark.django_db
def test_renewal_near_and_not_green_opens_a_cta():
    at_risk = factories.AccountFactory(
        renewal_date=TODAY + timedelta(days=30), health_band="yellow", health_score=55
    )
    healthy = factories.AccountFactory(
        renewal_date=TODAY + timedelta(days=30), health_band="green", health_score=80
    )
    far = factories.AccountFactory(renewal_date=TODAY + timedelta(days=200), health_band="red")

    services.interventions_evaluate(as_of=TODAY)

    cta = live_ctas(at_risk, RuleKey.RENEWAL_AT_RISK).get()
    assert cta.evidence["days_to_renewal"] == 30 and cta.evidence["health_band"] == "yellow"
    assert not live_ctas(healthy, RuleKey.RENEWAL_AT_RISK).exists()
    assert not live_ctas(far, RuleKey.RENEWAL_AT_RISK).exists()


@pytest.mark.django_db
def test_bad_icp_fit_at_onboarding_opens_a_cta():
    bad = factories.AccountFactory(stage="onboarding", icp_good_fit=False, icp_fit=35)
    good = factories.AccountFactory(stage="onboarding", icp_good_fit=True, icp_fit=90)
    mature_bad = factories.AccountFactory(stage="mature", icp_good_fit=False, icp_fit=35)

    services.interventions_evaluate(as_of=TODAY)

    assert live_ctas(bad, RuleKey.BAD_FIT_ONBOARDING).get().evidence["icp_fit"] == 35
    assert not Cta.objects.filter(
        account__in=[good, mature_bad], rule__key=RuleKey.BAD_FIT_ONBOARDING
    ).exists()


@pytest.mark.django_db
def test_quadrant_moving_to_work_to_keep_opens_a_cta(django_capture_on_commit_callbacks):
    unhappy, fine = factories.AccountFactory(), factories.AccountFactory()
    with django_capture_on_commit_callbacks(execute=True):
        events.publish(
            "health.quadrant_changed",
            account_id=unhappy.pk,
            as_of=TODAY.isoformat(),
            from_quadrant="success",
            to_quadrant="profitable_unhappy",
        )
        events.publish(
            "health.quadrant_changed",
            account_id=fine.pk,
            as_of=TODAY.isoformat(),
            from_quadrant="happy_unprofitable",
            to_quadrant="success",
        )
    assert "profitable but unhappy" in live_ctas(unhappy, RuleKey.WORK_TO_KEEP).get().reason
    assert not Cta.objects.filter(account=fine).exists()


@pytest.mark.django_db
def test_work_to_keep_is_also_caught_after_a_run():
    account = factories.AccountFactory(quadrant="happy_unprofitable")
    services.interventions_evaluate(as_of=TODAY)
    assert live_ctas(account, RuleKey.WORK_TO_KEEP).exists()


# --- never duplicated -----------------------------------------------------------------------------
@pytest.mark.django_db
def test_rules_never_open_a_second_cta_while_one_is_open(django_capture_on_commit_callbacks):
    """GIVEN an account in decay with an open decay CTA
    WHEN the rules run again and the decay event fires again
    THEN there is still exactly one live decay CTA."""
    account = factories.AccountFactory(decay_status="in_decay", decay_score=80)
    services.interventions_evaluate(as_of=TODAY)
    first = live_ctas(account, RuleKey.DECAY).get()
    services.cta_status_set(cta=first, status=CtaStatus.IN_PROGRESS)

    second_run = services.interventions_evaluate(as_of=TODAY)
    with django_capture_on_commit_callbacks(execute=True):
        events.publish(
            "health.decay_alert",
            account_id=account.pk,
            as_of=TODAY.isoformat(),
            from_status="decaying",
            to_status="in_decay",
            decay_score=85,
        )

    assert second_run[RuleKey.DECAY] == 0
    assert live_ctas(account, RuleKey.DECAY).get() == first


@pytest.mark.django_db
def test_cta_open_is_get_or_create():
    account = factories.AccountFactory()
    cta, created = services.cta_open(rule=rule(RuleKey.DECAY), account=account, reason="x")
    again, created_again = services.cta_open(rule=rule(RuleKey.DECAY), account=account, reason="y")
    assert (created, created_again) == (True, False)
    assert again == cta


@pytest.mark.django_db
def test_the_database_refuses_a_second_live_cta_for_the_same_rule_and_account():
    account = factories.AccountFactory()
    decay = rule(RuleKey.DECAY)
    factories.CtaFactory(account=account, rule=decay, status=CtaStatus.OPEN)
    factories.CtaFactory(account=account, rule=decay, status=CtaStatus.DONE)  # closed: fine
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.CtaFactory(account=account, rule=decay, status=CtaStatus.IN_PROGRESS)


@pytest.mark.django_db
def test_a_closed_cta_is_not_reopened_within_the_cool_down():
    account = factories.AccountFactory(decay_status="in_decay", decay_score=80)
    services.interventions_evaluate(as_of=TODAY)
    services.cta_status_set(cta=live_ctas(account, RuleKey.DECAY).get(), status=CtaStatus.DONE)

    services.interventions_evaluate(as_of=TODAY)
    assert not live_ctas(account, RuleKey.DECAY).exists()

    Cta.objects.filter(account=account).update(
        closed_at=timezone.now() - timedelta(days=rule(RuleKey.DECAY).cooldown_days + 1)
    )
    services.interventions_evaluate(as_of=TODAY)
    assert live_ctas(account, RuleKey.DECAY).count() == 1


@pytest.mark.django_db
def test_a_disabled_rule_opens_nothing():
    account = factories.AccountFactory(decay_status="in_decay", decay_score=80)
    InterventionRule.objects.filter(key=RuleKey.DECAY).update(is_enabled=False)
    services.interventions_evaluate(as_of=TODAY)
    assert not live_ctas(account, RuleKey.DECAY).exists()


@pytest.mark.django_db
def test_reopening_a_closed_cta_while_another_is_live_is_refused():
    from django.core.exceptions import ValidationError

    account = factories.AccountFactory()
    decay = rule(RuleKey.DECAY)
    old = factories.CtaFactory(account=account, rule=decay, status=CtaStatus.DONE)
    factories.CtaFactory(account=account, rule=decay, status=CtaStatus.OPEN)
    with pytest.raises(ValidationError):
        services.cta_status_set(cta=old, status=CtaStatus.OPEN)


# --- playbooks, events, runs ------------------------------------------------------------------
@pytest.mark.django_db
def test_a_new_cta_gets_the_rule_playbook_checklist_and_is_announced(
    opened_events, django_capture_on_commit_callbacks
):
    playbook = Playbook.objects.create(name="Renewal rescue")
    for order, text in enumerate(["Call the sponsor", "Agree a rescue plan"]):
        PlaybookStep.objects.create(playbook=playbook, order=order, text=text)
    InterventionRule.objects.filter(key=RuleKey.RENEWAL_AT_RISK).update(playbook=playbook)
    account = factories.AccountFactory(renewal_date=TODAY + timedelta(days=10), health_band="red")

    with django_capture_on_commit_callbacks(execute=True):
        services.interventions_evaluate(as_of=TODAY)

    cta = live_ctas(account, RuleKey.RENEWAL_AT_RISK).get()
    assert list(cta.steps.values_list("text", flat=True)) == [
        "Call the sponsor",
        "Agree a rescue plan",
    ]
    assert cta.playbook == playbook
    announced = [e for e in opened_events if e["cta_id"] == cta.pk]
    assert announced == [
        {
            "cta_id": cta.pk,
            "account_id": account.pk,
            "rule": "renewal_at_risk",
            "priority": "urgent",
        }
    ]


@pytest.mark.django_db
def test_ticking_playbook_steps_moves_the_cta_in_progress(csm):
    account = factories.AccountFactory(owner=csm)
    cta = factories.CtaFactory(account=account)
    step = cta.steps.create(order=1, text="Call")
    services.cta_step_toggle(step=step, user=csm)
    cta.refresh_from_db()
    step.refresh_from_db()
    assert step.is_done and step.done_by == csm
    assert cta.status == CtaStatus.IN_PROGRESS


@pytest.mark.django_db
def test_a_completed_score_run_evaluates_the_rules_over_all_accounts(
    django_capture_on_commit_callbacks,
):
    accounts = factories.AccountFactory.create_batch(3, stage="onboarding", icp_good_fit=False)
    with django_capture_on_commit_callbacks(execute=True):
        events.publish("health.run_completed", run_id=1, as_of=TODAY.isoformat())
    assert Cta.objects.filter(rule__key=RuleKey.BAD_FIT_ONBOARDING).count() == 3
    assert {c.owner_id for c in Cta.objects.all()} == {a.owner_id for a in accounts}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "history",
    ["backfill", "older than a finished run"],
)
def test_a_run_that_is_history_opens_no_ctas(django_capture_on_commit_callbacks, history):
    """GIVEN onboarding accounts of a bad fit WHEN a back-fill finishes for a past day, or a
    run for a day older than one that already finished THEN no CTA opens: the rules read
    today's health, and a CTA opened "as of" an old day would quote that day as news."""
    from healthscores.models import RunStatus, RunTrigger, ScoreRun

    factories.AccountFactory.create_batch(2, stage="onboarding", icp_good_fit=False)
    past = TODAY - timedelta(days=30)
    if history == "backfill":
        run = ScoreRun.objects.create(
            as_of=past, trigger=RunTrigger.BACKFILL, status=RunStatus.COMPLETED
        )
    else:
        ScoreRun.objects.create(as_of=TODAY, trigger=RunTrigger.NIGHTLY, status=RunStatus.COMPLETED)
        run = ScoreRun.objects.create(
            as_of=past, trigger=RunTrigger.MANUAL, status=RunStatus.COMPLETED
        )
    with django_capture_on_commit_callbacks(execute=True):
        events.publish("health.run_completed", run_id=run.pk, as_of=past.isoformat())
    assert not Cta.objects.exists()


@pytest.mark.django_db
def test_evaluating_the_rules_is_set_based(django_assert_max_num_queries):
    for i in range(12):
        factories.AccountFactory(
            stage="onboarding",
            icp_good_fit=False,
            decay_status="in_decay",
            decay_score=70,
            renewal_date=TODAY + timedelta(days=20),
            health_band="yellow",
            quadrant="hard_look" if i % 2 else "profitable_unhappy",
        )
    # ~6 queries per rule whatever the number of accounts (rules, candidates, blocked, insert),
    # and one outbox row per rule that opened CTAs (its `ctas.opened` event).
    with django_assert_max_num_queries(50):
        opened = services.interventions_evaluate(as_of=TODAY)
    assert opened[RuleKey.BAD_FIT_ONBOARDING] == 12
    assert opened[RuleKey.WORK_TO_KEEP] == 6


@pytest.mark.django_db
def test_a_score_runs_batched_alerts_open_the_same_ctas_in_constant_queries(
    django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    """GIVEN a batch of health alerts for many accounts (band drops, a band rise, a decay
    crossing, a move into work-to-keep) WHEN the score run publishes them as one event
    THEN each rule's CTAs open for the right accounts, with a query count that does not grow
    with the number of accounts."""
    dropped = [factories.AccountFactory() for _ in range(6)]
    rising, decaying, unhappy = (factories.AccountFactory() for _ in range(3))
    day = TODAY.isoformat()
    alerts = [
        {
            "event": "health.band_changed",
            "account_id": a.pk,
            "as_of": day,
            "from_band": "green",
            "to_band": "red",
            "score": 31,
        }
        for a in dropped
    ]
    alerts += [
        {
            "event": "health.band_changed",
            "account_id": rising.pk,
            "as_of": day,
            "from_band": "red",
            "to_band": "green",
            "score": 80,
        },
        {
            "event": "health.decay_alert",
            "account_id": decaying.pk,
            "as_of": day,
            "from_status": "stable",
            "to_status": "in_decay",
            "decay_score": 70,
        },
        {
            "event": "health.quadrant_changed",
            "account_id": unhappy.pk,
            "as_of": day,
            "from_quadrant": "success",
            "to_quadrant": "profitable_unhappy",
        },
    ]
    # Budget (60, whatever the number of accounts): owners and rules (2); per rule opened (3):
    # cool-down check and one insert inside two savepoints (6); the webhook subscriptions once
    # per event name fanned out (5); the outbox: one row per subscriber of the batch (2) and
    # of each rule's CTA event (3), each written (1) and run in its own locked transaction
    # (6 + its handler's hooks query). Notifications (54): one row per event it hears (4), run
    # as above, its handler (4 each: the people with their preferences, the keys they already
    # have, one insert, plus the accounts or CTAs) and the e-mail sender each commit queues
    # (a claim in a savepoint, one update for what was sent). Six band drops cost what one does.
    with django_assert_max_num_queries(115), django_capture_on_commit_callbacks(execute=True):
        events.publish("health.alerts_raised", alerts=alerts)
    assert all(live_ctas(a, RuleKey.BAND_DROPPED).exists() for a in dropped)
    assert (
        "from Green to Red (score 31)" in live_ctas(dropped[0], RuleKey.BAND_DROPPED).get().reason
    )
    assert not Cta.objects.filter(account=rising).exists()
    assert live_ctas(decaying, RuleKey.DECAY).get().evidence["decay_score"] == 70
    assert live_ctas(unhappy, RuleKey.WORK_TO_KEEP).exists()
    # A second identical batch (a redelivered finalisation) opens nothing new.
    with django_capture_on_commit_callbacks(execute=True):
        events.publish("health.alerts_raised", alerts=alerts)
    assert Cta.objects.filter(rule__key=RuleKey.BAND_DROPPED).count() == len(dropped)
