"""Working a CTA: SLA due dates, notes with @mentions, reassign, snooze, due date, close with an
outcome, playbook checkboxes, bulk actions; the events other apps subscribe to."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from core import events
from core import formatting as fmt
from core.models import OutboxMessage
from success import services
from success.models import Cta, CtaOutcome, CtaStatus, InterventionRule, RuleKey
from success.selectors import ctas_for_user, ctas_visible_to, open_ctas_for
from tests import factories

NOON = datetime(2026, 12, 3, 12, tzinfo=UTC)


class Heard:
    """The CTA events published so far, as (event, payload): the outbox rows a subscriber
    gets, written in the publishing transaction."""

    def __iter__(self):
        rows = OutboxMessage.objects.filter(event__startswith="cta.").order_by("pk")
        return iter([(row.event, row.payload) for row in rows])

    def __eq__(self, other):
        return list(self) == list(other)

    def __getitem__(self, index):
        return list(self)[index]


@pytest.fixture
def heard(monkeypatch):
    for event in ("cta.assigned", "cta.mentioned", "cta.closed"):
        monkeypatch.setitem(events._handlers, event, [lambda **payload: None])
    return Heard()


# --- due dates from each rule's SLA ------------------------------------------------------------
@pytest.mark.dates
@pytest.mark.django_db
@time_machine.travel(NOON, tick=False)
def test_each_rule_sets_its_own_due_date_from_its_sla(org):
    """GIVEN the renewal rule (SLA 7 days) and the no-value rule (SLA 21 days)
    WHEN both open CTAs for one CSM's accounts today
    THEN the CTAs are due on different days, and a renewal 3 days away is due on the renewal."""
    services.intervention_rules_ensure()
    InterventionRule.objects.filter(key=RuleKey.RENEWAL_AT_RISK).update(due_in_days=7)
    InterventionRule.objects.filter(key=RuleKey.NO_VALUE).update(due_in_days=21, threshold=30)
    today = timezone.localdate()
    near, far = org.accounts["csm_a1"]
    near.renewal_date, near.health_band = today + timedelta(days=3), "yellow"
    far.renewal_date, far.health_band = today + timedelta(days=60), "red"
    far.contract_start = today - timedelta(days=400)
    near.save()
    far.save()

    services.interventions_evaluate(as_of=today, account_ids=[near.pk, far.pk])

    due = {
        (cta.account_id, cta.rule.key): cta.due_on
        for cta in Cta.objects.filter(account__in=[near, far]).select_related("rule")
    }
    assert due[(near.pk, RuleKey.RENEWAL_AT_RISK)] == today + timedelta(days=3)
    assert due[(far.pk, RuleKey.RENEWAL_AT_RISK)] == today + timedelta(days=7)
    assert due[(far.pk, RuleKey.NO_VALUE)] == today + timedelta(days=21)


@pytest.mark.dates
@pytest.mark.django_db
@time_machine.travel(NOON, tick=False)
def test_an_event_cta_counts_its_sla_from_the_day_the_drop_was_seen(org):
    """A band drop scored yesterday but processed today is due SLA days after yesterday."""
    services.intervention_rules_ensure()
    rule = InterventionRule.objects.get(key=RuleKey.BAND_DROPPED)
    yesterday = timezone.localdate() - timedelta(days=1)
    cta, created = services.cta_open(
        rule=rule,
        account=org.accounts["csm_a1"][0],
        reason="Dropped",
        evidence={"as_of": yesterday.isoformat(), "from_band": "green", "to_band": "red"},
    )
    assert created and cta.due_on == yesterday + timedelta(days=rule.due_in_days)


# --- stale numbers -----------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_cta_page_dates_the_numbers_it_opened_on_and_shows_todays_beside_them(client_csm, org):
    """GIVEN a decay CTA opened on 1 Dec at decay score 62, and the account at 48 today
    WHEN the CSM opens it THEN 62 reads as of 1 Dec and 48 as now: no undated stale figure."""
    account = org.accounts["csm_a1"][0]
    account.decay_score, account.decay_status = 48, "decaying"
    account.save()
    cta = factories.CtaFactory(
        account=account,
        reason="Decay score 62 (decaying); goodwill balance 10.",
        evidence={"decay_score": 62, "decay_status": "decaying", "as_of": "2026-12-01"},
    )
    html = client_csm.get(cta.get_absolute_url()).content.decode()
    assert "(as of 1 Dec 2026)" in html
    assert "On 1 Dec 2026</th>" in html and ">Now</th>" in html
    assert "<td>62</td><td><strong>48</strong></td>" in html
    assert "<td>Decaying</td><td>Decaying</td>" in html


@pytest.mark.django_db
def test_a_renewal_ctas_date_and_days_left_read_as_they_are_today(client_csm, org):
    """GIVEN a renewal CTA seen 10 days ago (25 days to a renewal since moved out by a month)
    WHEN the CSM opens it THEN the evidence shows the renewal date and the days left as they
    are now beside the values it opened on, not dashes."""
    today = timezone.localdate()
    account = org.accounts["csm_a1"][0]
    account.renewal_date = today + timedelta(days=45)
    account.save()
    seen = today - timedelta(days=10)
    cta = factories.CtaFactory(
        account=account,
        evidence={
            "renewal_date": (seen + timedelta(days=25)).isoformat(),
            "days_to_renewal": 25,
            "as_of": seen.isoformat(),
        },
    )
    html = client_csm.get(cta.get_absolute_url()).content.decode()
    then, now = fmt.day(seen + timedelta(days=25)), fmt.day(account.renewal_date)
    assert f"<td>{then}</td><td><strong>{now}</strong></td>" in html
    assert "<td>25</td><td><strong>45</strong></td>" in html


# --- notes and mentions ------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_note_stores_who_it_mentions_and_tells_them(org, heard):
    cta = factories.CtaFactory(account=org.accounts["csm_a1"][0])
    note = services.cta_note_add(
        cta=cta, author=org.csm_a1, body="@manager_a can you join the call? cc @CSM_A1. Thanks"
    )
    assert set(note.mentions.values_list("username", flat=True)) == {"manager_a", "csm_a1"}
    assert heard == [
        (
            "cta.mentioned",
            {
                "cta_id": cta.pk,
                "account_id": cta.account_id,
                "note_id": note.pk,
                "author_id": org.csm_a1.pk,
                "user_ids": [org.manager_a.pk],
            },
        )
    ]


@pytest.mark.django_db
def test_a_mention_must_be_a_user_who_can_see_the_cta(org):
    cta = factories.CtaFactory(account=org.accounts["csm_a1"][0])
    with pytest.raises(ValidationError) as unknown:
        services.cta_note_add(cta=cta, author=org.csm_a1, body="ask @nobody_here")
    assert "@nobody_here is not a user." in unknown.value.message_dict["body"]
    with pytest.raises(ValidationError) as outsider:
        services.cta_note_add(cta=cta, author=org.csm_a1, body="ask @csm_b1")
    assert "cannot see this CTA" in outsider.value.message_dict["body"][0]
    assert not cta.notes.exists()
    # an e-mail address is not a mention
    note = services.cta_note_add(cta=cta, author=org.csm_a1, body="mail ops@example.com")
    assert not note.mentions.exists()


# --- reassign, snooze, due date, close ---------------------------------------------------------
@pytest.mark.django_db
def test_reassigning_hands_the_cta_over_and_announces_it(org, heard):
    """GIVEN csm_a1's CTA WHEN she hands it to csm_a2 THEN csm_a2 sees it on her home and in
    her list although the account is not hers, and cta.assigned names both owners."""
    cta = factories.CtaFactory(account=org.accounts["csm_a1"][0])
    services.cta_reassign(cta=cta, owner=org.csm_a2, user=org.csm_a1)
    services.cta_reassign(cta=cta, owner=org.csm_a2, user=org.csm_a1)  # no change: no event
    assert [c.pk for c in open_ctas_for(org.csm_a2)] == [cta.pk]
    assert ctas_for_user(org.csm_a2).get(pk=cta.pk).account_visible is False
    assert not ctas_for_user(org.csm_b1).filter(pk=cta.pk).exists()
    assert heard == [
        (
            "cta.assigned",
            {
                "cta_id": cta.pk,
                "account_id": cta.account_id,
                "owner_id": org.csm_a2.pk,
                "previous_owner_id": org.csm_a1.pk,
                "assigned_by_id": org.csm_a1.pk,
            },
        )
    ]


@pytest.mark.dates
@pytest.mark.django_db
def test_a_snoozed_cta_leaves_the_open_lists_and_comes_back_on_its_day(client_csm, org):
    """GIVEN an open CTA snoozed until the day after tomorrow
    WHEN the CSM looks today and tomorrow THEN it is not in her open list or home
    AND on the snooze day it is back without anything having run."""
    start = datetime(2026, 12, 3, 9, tzinfo=UTC)

    def cta_list(query=""):
        # Log in on the travelled-to day: a session made at the run's own moment (any day of
        # `make test-dates`) may have expired by then, and a login redirect contains no CTA.
        client_csm.force_login(org.csm_a1)
        response = client_csm.get(reverse("success:cta_list") + query)
        assert response.status_code == 200
        return response.content.decode()

    with time_machine.travel(start, tick=False):
        cta = factories.CtaFactory(account=org.accounts["csm_a1"][0], title="Quiet one")
        until = timezone.localdate() + timedelta(days=2)
        services.cta_snooze(cta=cta, until=until, user=org.csm_a1)
        assert "Quiet one" not in cta_list()
        assert open_ctas_for(org.csm_a1) == []
        assert "Quiet one" in cta_list("?status=snoozed")
    with time_machine.travel(start + timedelta(days=1), tick=False):
        assert open_ctas_for(org.csm_a1) == []
    with time_machine.travel(start + timedelta(days=2), tick=False):
        assert [c.pk for c in open_ctas_for(org.csm_a1)] == [cta.pk]
        assert "Quiet one" in cta_list()


@pytest.mark.dates
@pytest.mark.django_db
@time_machine.travel(NOON, tick=False)
def test_snooze_and_due_dates_are_checked(org):
    cta = factories.CtaFactory(account=org.accounts["csm_a1"][0])
    today = timezone.localdate()
    for bad in (today, today - timedelta(days=1), today + timedelta(days=400)):
        with pytest.raises(ValidationError) as refused:
            services.cta_snooze(cta=cta, until=bad)
        assert "until" in refused.value.message_dict
    with pytest.raises(ValidationError):
        services.cta_due_date_set(cta=cta, due_on=today - timedelta(days=30))
    services.cta_due_date_set(cta=cta, due_on=today + timedelta(days=10))
    cta.refresh_from_db()
    assert cta.due_on == today + timedelta(days=10)


@pytest.mark.django_db
def test_closing_records_the_outcome_and_note_and_no_action_needed_dismisses(org, heard):
    first, second = (factories.CtaFactory(account=a) for a in org.accounts["csm_a1"])
    services.cta_snooze(cta=first, until=timezone.localdate() + timedelta(days=3))
    services.cta_close(cta=first, outcome="escalated", note="To the VP", user=org.csm_a1)
    services.cta_close(cta=second, outcome=CtaOutcome.NO_ACTION_NEEDED, user=org.csm_a1)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.outcome, first.close_note) == ("done", "escalated", "To the VP")
    assert first.snoozed_until is None and first.closed_by == org.csm_a1
    assert (second.status, second.outcome) == (CtaStatus.DISMISSED, "no_action_needed")
    with pytest.raises(ValidationError, match="already closed"):
        services.cta_close(cta=first, outcome="resolved")
    with pytest.raises(ValidationError, match="reopen it"):
        services.cta_reassign(cta=first, owner=org.csm_a2)
    services.cta_status_set(cta=first, status=CtaStatus.OPEN, user=org.csm_a1)
    first.refresh_from_db()
    assert (first.status, first.outcome, first.close_note, first.closed_at) == (
        "open",
        "",
        "",
        None,
    )
    assert [e for e, _ in heard] == ["cta.closed", "cta.closed"]
    assert heard[0][1]["outcome"] == "escalated"


# --- bulk ------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_bulk_close_reports_each_cta_and_never_touches_anothers(org):
    mine = [factories.CtaFactory(account=a) for a in org.accounts["csm_a1"]]
    closed = factories.CtaFactory(account=org.accounts["csm_a1"][0], status=CtaStatus.DONE)
    theirs = factories.CtaFactory(account=org.accounts["csm_b1"][0])
    results = services.ctas_close_many(
        visible=ctas_visible_to(org.csm_a1),
        ids=[mine[0].pk, theirs.pk, closed.pk, mine[1].pk, 999999],
        outcome="resolved",
        user=org.csm_a1,
    )
    assert results == [
        {"id": mine[0].pk, "ok": True, "error": ""},
        {"id": theirs.pk, "ok": False, "error": "Not found."},
        {"id": closed.pk, "ok": False, "error": "This CTA is already closed."},
        {"id": mine[1].pk, "ok": True, "error": ""},
        {"id": 999999, "ok": False, "error": "Not found."},
    ]
    theirs.refresh_from_db()
    assert theirs.status == CtaStatus.OPEN
    assert Cta.objects.filter(pk__in=[c.pk for c in mine], outcome="resolved").count() == 2


@pytest.mark.django_db
def test_the_list_bulk_bar_closes_and_reassigns_the_ticked_ctas(client_csm, org):
    first, second = (
        factories.CtaFactory(account=a, title="Tick me") for a in org.accounts["csm_a1"]
    )
    other = factories.CtaFactory(account=org.accounts["csm_b1"][0])
    page = client_csm.get(reverse("success:cta_list")).content.decode()
    assert f'name="ids" value="{first.pk}"' in page and 'id="bulk-action"' in page

    response = client_csm.post(
        reverse("success:cta_bulk"),
        {"ids": [first.pk], "action": "reassign", "owner": org.csm_a2.pk, "back": "/ctas/"},
        follow=True,
    )
    assert f"Assigned to {org.csm_a2.display_name}: 1 CTA." in response.content.decode()
    response = client_csm.post(
        reverse("success:cta_bulk"),
        {"ids": [second.pk, other.pk], "action": "close", "outcome": "customer_churned"},
        follow=True,
    )
    body = response.content.decode()
    assert "Closed as customer churned: 1 CTA." in body and "1 not changed" in body
    assert Cta.objects.get(pk=first.pk).owner == org.csm_a2
    assert Cta.objects.get(pk=second.pk).outcome == "customer_churned"
    assert Cta.objects.get(pk=other.pk).status == CtaStatus.OPEN
    missing = client_csm.post(reverse("success:cta_bulk"), {"action": "close"}, follow=True)
    assert "Tick at least one CTA first." in missing.content.decode()


# --- the detail page -----------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_people_to_assign_to_are_named_with_their_handle_on_both_pages(client_csm, org):
    """GIVEN colleagues with names WHEN the CSM opens the CTA list and a CTA THEN both
    "Assign to" lists name each person with the @handle notes use, and the list's bar asks for
    a person instead of showing Django's dashes."""
    import re

    org.csm_a2.first_name, org.csm_a2.last_name = "Ben", "Okafor"
    org.csm_a2.save()
    cta = factories.CtaFactory(account=org.accounts["csm_a1"][0], owner=org.csm_a1)
    for url in (reverse("success:cta_list"), cta.get_absolute_url()):
        html = client_csm.get(url).content.decode()
        select = re.search(r'<select name="(?:reassign-)?owner".*?</select>', html, re.S).group(0)
        options = re.findall(r"<option[^>]*>([^<]*)</option>", select)
        assert f"Ben Okafor (@{org.csm_a2.username})" in options
        assert "---------" not in options
    assert options[0] != "Person…"  # the reassign form has no empty choice
    html = client_csm.get(reverse("success:cta_list")).content.decode()
    assert ">Person…</option>" in html


@pytest.mark.django_db
def test_the_detail_page_adds_notes_reassigns_snoozes_and_moves_the_due_date(client_csm, org):
    cta = factories.CtaFactory(account=org.accounts["csm_a1"][0])
    url = reverse("success:cta_detail", args=[cta.pk])
    note = client_csm.post(
        reverse("success:cta_note", args=[cta.pk]),
        {"note-body": "Loop in @manager_a <b>now</b>"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert '<strong class="mention">@manager_a</strong> &lt;b&gt;now&lt;/b&gt;' in note
    refused = client_csm.post(
        reverse("success:cta_note", args=[cta.pk]),
        {"note-body": "ask @csm_b1"},
        HTTP_HX_REQUEST="true",
    )
    assert refused.status_code == 422 and "cannot see this CTA" in refused.content.decode()

    later = timezone.localdate() + timedelta(days=5)
    client_csm.post(reverse("success:cta_due", args=[cta.pk]), {"due-due_on": later.isoformat()})
    client_csm.post(
        reverse("success:cta_snooze", args=[cta.pk]), {"snooze-until": later.isoformat()}
    )
    client_csm.post(
        reverse("success:cta_reassign", args=[cta.pk]), {"reassign-owner": org.csm_a2.pk}
    )
    cta.refresh_from_db()
    assert (cta.due_on, cta.snoozed_until, cta.owner) == (later, later, org.csm_a2)
    # the page still answers for csm_a1: the account is hers
    assert client_csm.get(url).status_code == 200
    client_csm.post(reverse("success:cta_snooze", args=[cta.pk]), {"wake": "1"})
    cta.refresh_from_db()
    assert cta.snoozed_until is None


@pytest.mark.django_db
def test_cta_detail_runs_a_fixed_number_of_queries(client_csm, org, django_assert_max_num_queries):
    cta = factories.CtaFactory(account=org.accounts["csm_a1"][0], evidence={"decay_score": 5})
    for i in range(5):
        cta.steps.create(order=i, text=f"Step {i}")
        services.cta_note_add(cta=cta, author=org.csm_a1, body=f"note {i} @manager_a")
    # session + user, the CTA with account/segment/owner/rule/playbook, steps, notes, their
    # mentions, account visibility, the people to reassign to.
    with django_assert_max_num_queries(8):
        response = client_csm.get(cta.get_absolute_url())
    assert response.content.decode().count('class="mention"') == 5


def test_outcomes_map_to_the_status_they_close_with():
    assert {o.value: o.closes_as for o in CtaOutcome} == {
        "resolved": "done",
        "no_action_needed": "dismissed",
        "escalated": "done",
        "customer_unreachable": "done",
        "customer_churned": "done",
    }


@pytest.mark.dates
@pytest.mark.django_db
@time_machine.travel(NOON, tick=False)
def test_overdue_means_live_awake_and_past_due(org):
    """What a reminder should nag about: not a snoozed CTA, not a closed one, not one due today."""
    today = timezone.localdate()
    account = org.accounts["csm_a1"][0]
    late = factories.CtaFactory(account=account, due_on=today - timedelta(days=2))
    sleeping = factories.CtaFactory(
        account=account, due_on=today - timedelta(days=2), snoozed_until=today + timedelta(days=1)
    )
    factories.CtaFactory(account=account, due_on=today - timedelta(days=2), status="done")
    due_today = factories.CtaFactory(account=account, due_on=today)
    assert list(Cta.objects.overdue(today)) == [late]
    assert list(Cta.objects.snoozed(today)) == [sleeping]
    tomorrow = today + timedelta(days=1)
    assert set(Cta.objects.overdue(tomorrow).values_list("pk", flat=True)) == {
        late.pk,
        sleeping.pk,  # its snooze ended
        due_today.pk,
    }
