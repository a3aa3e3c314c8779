"""Domain events become notifications for the right person, once, on their terms."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from core import events
from core import formatting as fmt
from core.models import OutboxMessage, OutboxStatus
from notifications.models import EmailStatus, Kind, Notification, NotificationPreference
from notifications.services import (
    ctas_opened_notify,
    ctas_overdue_notify,
    notification_emails_send,
    on_alerts_raised,
    quiet_hours_end,
)
from success.models import Cta, InterventionRule, RuleKey
from success.services.interventions import cta_open, ctas_open_many
from tests import factories

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")


def band_drop(account, to_band="red", from_band="green", as_of=None, score=31):
    return {
        "event": "health.band_changed",
        "account_id": account.pk,
        "as_of": as_of or timezone.localdate().isoformat(),
        "from_band": from_band,
        "to_band": to_band,
        "score": score,
    }


def test_a_drop_to_red_reaches_the_owner_once_though_the_event_is_delivered_twice(
    org, django_capture_on_commit_callbacks
):
    """GIVEN csm_a1's account WHEN a score run's alerts say it dropped to red, and the outbox
    row is processed a second time (a retried task) THEN csm_a1 has one notification and one
    e-mail — the band-drop CTA the same alert opens is the same news, so the notification
    names it instead of arriving a second time — and nobody else has any."""
    account = org.accounts["csm_a1"][0]
    with django_capture_on_commit_callbacks(execute=True):
        events.publish("health.alerts_raised", alerts=[band_drop(account)])
    row = OutboxMessage.objects.get(
        event="health.alerts_raised", handler__startswith="notifications."
    )
    OutboxMessage.objects.filter(pk=row.pk).update(status=OutboxStatus.PENDING)
    with django_capture_on_commit_callbacks(execute=True):
        events.outbox_message_process(message_id=row.pk)

    notification = Notification.objects.get()
    cta = Cta.objects.get(account=account, rule__key=RuleKey.BAND_DROPPED)
    assert (notification.user, notification.kind) == (org.csm_a1, Kind.BAND_RED)
    assert notification.title == f"{account.name} dropped to Red"
    assert notification.body.startswith(
        f"Health fell from Green to Red (score 31) on {fmt.day(timezone.localdate())}."
    )
    assert (notification.cta, notification.link) == (cta, f"/accounts/{account.pk}/")
    assert [m.to for m in mail.outbox] == [[org.csm_a1.email]]
    assert mail.outbox[0].subject == notification.title
    notification.refresh_from_db()
    assert notification.email_status == EmailStatus.SENT


def test_only_a_drop_into_red_is_a_red_alert(org):
    account = org.accounts["csm_a1"][0]
    on_alerts_raised(
        alerts=[
            band_drop(account, to_band="yellow"),
            band_drop(account, from_band="red", to_band="red"),
            band_drop(org.accounts["csm_a1"][1], from_band="yellow", to_band="green"),
        ]
    )
    assert not Notification.objects.exists()


def test_decay_getting_worse_notifies_and_getting_better_does_not(org):
    worse, better = org.accounts["csm_a2"]
    on_alerts_raised(
        alerts=[
            {
                "event": "health.decay_alert",
                "account_id": worse.pk,
                "as_of": timezone.localdate().isoformat(),
                "from_status": "decaying",
                "to_status": "in_decay",
                "decay_score": 72,
            },
            {
                "event": "health.decay_alert",
                "account_id": better.pk,
                "as_of": timezone.localdate().isoformat(),
                "from_status": "in_decay",
                "to_status": "decaying",
                "decay_score": 50,
            },
        ]
    )
    notification = Notification.objects.get()
    assert (notification.user, notification.kind) == (org.csm_a2, Kind.DECAY)
    assert notification.title == f"{worse.name} is in decay"
    assert "from decaying to in decay (decay score 72) on " in notification.body


def test_alerts_of_a_back_dated_run_are_history_not_news(org):
    """GIVEN a back-fill rebuilding last month WHEN its alerts say an account dropped to red
    on a day three weeks ago THEN nobody is told."""
    old = (timezone.localdate() - timedelta(days=21)).isoformat()
    on_alerts_raised(alerts=[band_drop(org.accounts["csm_a1"][0], as_of=old)])
    assert not Notification.objects.exists()


def test_an_account_without_an_owner_tells_nobody(org):
    account = factories.AccountFactory(owner=None)
    on_alerts_raised(alerts=[band_drop(account)])
    assert not Notification.objects.exists()


def test_a_renewal_cta_is_a_renewal_alert_and_other_ctas_are_assignments(
    org, django_capture_on_commit_callbacks
):
    """GIVEN the intervention rules WHEN a renewal-at-risk CTA and a decay CTA open for
    csm_a1's accounts THEN csm_a1 is told about a renewal at risk and about a new CTA."""
    renewing, decaying = org.accounts["csm_a1"]
    renewing.renewal_date = datetime(2027, 1, 15).date()
    renewing.save(update_fields=["renewal_date"])
    with django_capture_on_commit_callbacks(execute=True):
        cta_open(
            rule=InterventionRule.objects.get(key=RuleKey.RENEWAL_AT_RISK),
            account=renewing,
            reason="Renews in 41 days and is yellow.",
        )
        cta_open(
            rule=InterventionRule.objects.get(key=RuleKey.DECAY),
            account=decaying,
            reason="Decay score 64.",
        )
    by_kind = {n.kind: n for n in Notification.objects.filter(user=org.csm_a1)}
    assert set(by_kind) == {Kind.RENEWAL, Kind.CTA_ASSIGNED}
    assert by_kind[Kind.RENEWAL].title == f"Renewal at risk: {renewing.name} renews 15 Jan 2027"
    assert by_kind[Kind.CTA_ASSIGNED].title.startswith(f"New CTA for {decaying.name}: ")
    assert by_kind[Kind.CTA_ASSIGNED].link == f"/success/ctas/{by_kind[Kind.CTA_ASSIGNED].cta_id}/"


def test_preferences_choose_the_channels(org):
    """GIVEN csm_a1 wants red alerts in the app only, and csm_a2 wants none at all
    WHEN both their accounts drop to red THEN csm_a1 has an in-app notification and no
    e-mail; csm_a2 has nothing."""
    NotificationPreference.objects.create(
        user=org.csm_a1, email_kinds=[Kind.DECAY], in_app_kinds=[Kind.BAND_RED]
    )
    NotificationPreference.objects.create(user=org.csm_a2, email_kinds=[], in_app_kinds=[])
    on_alerts_raised(
        alerts=[band_drop(org.accounts["csm_a1"][0]), band_drop(org.accounts["csm_a2"][0])]
    )
    notification = Notification.objects.get()
    assert notification.user == org.csm_a1 and notification.in_app
    assert notification.email_status == EmailStatus.NONE
    assert notification_emails_send() == {"sent": 0, "retry": 0, "failed": 0}


@pytest.mark.dates
def test_quiet_hours_hold_the_email_until_they_end_and_the_app_still_shows_it(org):
    """GIVEN csm_a1 in Berlin with quiet hours 22:00–07:00
    WHEN an account drops to red at 23:30 Berlin time
    THEN the in-app notification is there at once, the e-mail is held (the minute sweep sends
    nothing) and goes out at the first sweep after 07:00 Berlin time."""
    NotificationPreference.objects.create(
        user=org.csm_a1,
        time_zone="Europe/Berlin",
        quiet_hours_start=time(22, 0),
        quiet_hours_end=time(7, 0),
    )
    with time_machine.travel(datetime(2026, 12, 4, 22, 30, tzinfo=UTC), tick=False):
        on_alerts_raised(alerts=[band_drop(org.accounts["csm_a1"][0])])
        notification = Notification.objects.get()
        assert notification.in_app and notification.read_at is None
        assert notification.email_due_at == datetime(2026, 12, 5, 6, 0, tzinfo=UTC)
        assert notification_emails_send()["sent"] == 0
    with time_machine.travel(datetime(2026, 12, 5, 5, 59, tzinfo=UTC), tick=False):
        assert notification_emails_send()["sent"] == 0
    with time_machine.travel(datetime(2026, 12, 5, 6, 1, tzinfo=UTC), tick=False):
        assert notification_emails_send()["sent"] == 1
    assert len(mail.outbox) == 1
    assert Notification.objects.get().email_status == EmailStatus.SENT


@pytest.mark.parametrize(
    ("local", "start", "end", "ends_at"),
    [
        # Spanning midnight: late evening and early morning are quiet, the day is not.
        (datetime(2026, 12, 4, 23, 30), time(22), time(7), datetime(2026, 12, 5, 7)),
        (datetime(2026, 12, 5, 6, 59), time(22), time(7), datetime(2026, 12, 5, 7)),
        (datetime(2026, 12, 5, 7, 0), time(22), time(7), None),
        (datetime(2026, 12, 5, 12, 0), time(22), time(7), None),
        # Within a day (a lunch break).
        (datetime(2026, 12, 5, 12, 15), time(12), time(13), datetime(2026, 12, 5, 13)),
        (datetime(2026, 12, 5, 11, 59), time(12), time(13), None),
        # Equal ends: no quiet hours.
        (datetime(2026, 12, 5, 9, 0), time(9), time(9), None),
        # The night the clocks go forward (Berlin, 29 March 2026: 02:00 -> 03:00).
        (datetime(2026, 3, 29, 1, 30), time(22), time(7), datetime(2026, 3, 29, 7)),
    ],
)
def test_quiet_hours_end_on_the_persons_wall_clock(local, start, end, ends_at):
    moment = local.replace(tzinfo=BERLIN)
    result = quiet_hours_end(moment, start=start, end=end, zone=BERLIN)
    if ends_at is None:
        assert result is None
    else:
        assert result == ends_at.replace(tzinfo=BERLIN)
        assert result.astimezone(BERLIN).time() == end


def test_a_mail_server_that_is_down_delays_the_email_it_does_not_lose_it(
    org, settings, smtp_server
):
    """GIVEN the SMTP server is unreachable WHEN the sender runs THEN the e-mail stays pending
    with the error and a back-off; once the server answers, the next due run sends it."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 1  # nothing listens on port 1
    settings.EMAIL_TIMEOUT = 2
    on_alerts_raised(alerts=[band_drop(org.accounts["csm_a1"][0])])
    assert notification_emails_send() == {"sent": 0, "retry": 1, "failed": 0}
    row = Notification.objects.get()
    assert row.email_status == EmailStatus.PENDING and row.email_attempts == 1
    assert "Connection refused" in row.email_error or "Errno" in row.email_error
    settings.EMAIL_PORT = smtp_server.port
    assert notification_emails_send()["sent"] == 0  # still backing off
    Notification.objects.update(email_due_at=row.email_due_at - timedelta(hours=1))
    assert notification_emails_send()["sent"] == 1
    assert [rcpt for rcpt, _ in smtp_server.received] == [[org.csm_a1.email]]


@pytest.mark.dates
def test_an_overdue_cta_is_announced_once_per_due_date(org):
    with time_machine.travel(datetime(2026, 12, 5, 9, 0, tzinfo=UTC), tick=False):
        from django.utils import timezone

        today = timezone.localdate()
        cta = factories.CtaFactory(
            account=org.accounts["csm_a1"][0], owner=org.csm_a1, due_on=today - timedelta(days=1)
        )
        factories.CtaFactory(  # long overdue: from before notifications existed
            account=org.accounts["csm_a1"][1], owner=org.csm_a1, due_on=today - timedelta(days=30)
        )
        assert ctas_overdue_notify(today=today) == 1
        assert ctas_overdue_notify(today=today) == 0
        cta.due_on = today + timedelta(days=2)
        cta.save()
        assert ctas_overdue_notify(today=today + timedelta(days=3)) == 1
    titles = list(Notification.objects.values_list("kind", flat=True))
    assert titles == [Kind.CTA_OVERDUE, Kind.CTA_OVERDUE]


def test_a_reassigned_cta_tells_its_new_owner_once(org, django_capture_on_commit_callbacks):
    """GIVEN a CTA of csm_a1's WHEN manager_a hands it to csm_a2 (the event delivered twice)
    THEN csm_a2 is told once who gave it to them; nobody is told when they take one
    themselves."""
    cta = factories.CtaFactory(account=org.accounts["csm_a1"][0], title="Plan the QBR")
    payload = {
        "cta_id": cta.pk,
        "account_id": cta.account_id,
        "owner_id": org.csm_a2.pk,
        "previous_owner_id": org.csm_a1.pk,
        "assigned_by_id": org.manager_a.pk,
    }
    with django_capture_on_commit_callbacks(execute=True):
        events.publish("cta.assigned", **payload)
        events.publish("cta.assigned", **payload)
        events.publish(
            "cta.assigned",
            **{**payload, "owner_id": org.csm_a1.pk, "assigned_by_id": org.csm_a1.pk},
        )
    notification = Notification.objects.get()
    assert notification.user == org.csm_a2 and notification.kind == Kind.CTA_ASSIGNED
    assert notification.title.startswith(f"{org.manager_a.display_name} assigned you a CTA: ")
    assert notification.link == f"/success/ctas/{cta.pk}/"


def test_a_mention_in_a_cta_note_tells_each_person_mentioned(
    org, django_capture_on_commit_callbacks
):
    cta = factories.CtaFactory(account=org.accounts["csm_a1"][0], title="Plan the QBR")
    with django_capture_on_commit_callbacks(execute=True):
        events.publish(
            "cta.mentioned",
            cta_id=cta.pk,
            account_id=cta.account_id,
            note_id=77,
            author_id=org.csm_a1.pk,
            user_ids=[org.manager_a.pk, org.csm_a2.pk],
        )
    rows = Notification.objects.order_by("user__username")
    assert [(n.user, n.kind) for n in rows] == [
        (org.csm_a2, Kind.MENTION),
        (org.manager_a, Kind.MENTION),
    ]
    assert (
        rows[0].title
        == f"{org.csm_a1.display_name} mentioned you on Plan the QBR ({cta.account.name})"
    )
    assert rows[0].link == f"/success/ctas/{cta.pk}/#note-77"
    assert len(mail.outbox) == 2


def test_a_note_mentioning_a_colleague_and_a_reassignment_reach_them_through_the_cta_services(
    org, django_capture_on_commit_callbacks
):
    """GIVEN a CTA of csm_a1's WHEN csm_a1 writes a note mentioning @manager_a and hands the
    CTA to csm_a2 (the real CTA services) THEN manager_a is told with the note's words and
    csm_a2 that the CTA is theirs now; csm_a1 is told nothing about their own acts."""
    from success.services import cta_note_add, cta_reassign

    cta = factories.CtaFactory(account=org.accounts["csm_a1"][0], title="Plan the QBR")
    with django_capture_on_commit_callbacks(execute=True):
        note = cta_note_add(cta=cta, author=org.csm_a1, body="@manager_a can you join the QBR?")
    with django_capture_on_commit_callbacks(execute=True):
        cta_reassign(cta=cta, owner=org.csm_a2, user=org.csm_a1)
    mention = Notification.objects.get(user=org.manager_a)
    assert mention.kind == Kind.MENTION
    assert mention.body == "“@manager_a can you join the QBR?”"
    assert mention.link == f"/success/ctas/{cta.pk}/#note-{note.pk}"
    assigned = Notification.objects.get(user=org.csm_a2)
    assert assigned.kind == Kind.CTA_ASSIGNED
    assert assigned.title.startswith(f"{org.csm_a1.display_name} assigned you a CTA: Plan the QBR")
    assert not Notification.objects.filter(user=org.csm_a1).exists()


@pytest.mark.dates
def test_a_snoozed_overdue_cta_is_not_announced_until_its_snooze_ends(org):
    with time_machine.travel(datetime(2026, 12, 5, 9, 0, tzinfo=UTC), tick=False):
        today = timezone.localdate()
        cta = factories.CtaFactory(
            account=org.accounts["csm_a1"][0], owner=org.csm_a1, due_on=today - timedelta(days=1)
        )
        cta.snoozed_until = today + timedelta(days=2)
        cta.save(update_fields=["snoozed_until"])
        assert ctas_overdue_notify(today=today) == 0
        assert ctas_overdue_notify(today=today + timedelta(days=2)) == 1


def test_erasing_a_contact_redacts_them_from_notifications(org):
    """GIVEN a note mentioning a contact's name reached someone as a notification
    WHEN the contact is erased THEN the notification no longer names them."""
    from accounts.services.privacy import contact_erase
    from notifications.services import Draft, notifications_record

    account = org.accounts["csm_a1"][0]
    contact = factories.ContactFactory(account=account, name="Ada Lovelace", email="ada@x.example")
    notifications_record(
        drafts=[
            Draft(
                user_id=org.manager_a.pk,
                kind=Kind.MENTION,
                key="mention:1",
                title="csm_a1 mentioned you on Plan the QBR",
                body="“Ada Lovelace (ada@x.example) wants a call”",
                account_id=account.pk,
            )
        ]
    )
    _contact, counts = contact_erase(contact=contact, actor=org.admin)
    assert counts["notifications_redacted"] == 1
    assert Notification.objects.get().body == "“[erased] ([erased]) wants a call”"


@pytest.mark.parametrize("alert_first", [True, False], ids=["alert-first", "cta-first"])
@pytest.mark.parametrize("rule_key", [RuleKey.BAND_DROPPED, RuleKey.DECAY])
def test_an_alert_and_the_cta_it_opens_are_one_notice_whichever_arrives_first(
    org, rule_key, alert_first
):
    """GIVEN csm_a1's account dropped to red (or into decay) WHEN the alert's notification and
    the CTA the alert opens reach the notifications app, in either order THEN csm_a1 has one
    notification of the alert's kind, saying what happened, naming the CTA and leading to the
    account (whose page shows the CTA)."""
    account = org.accounts["csm_a1"][0]
    today = timezone.localdate().isoformat()
    if rule_key == RuleKey.BAND_DROPPED:
        alert = band_drop(account, from_band="yellow")
        kind, title = Kind.BAND_RED, f"{account.name} dropped to Red"
    else:
        alert = {
            "event": "health.decay_alert",
            "account_id": account.pk,
            "as_of": today,
            "from_status": "decaying",
            "to_status": "in_decay",
            "decay_score": 71,
        }
        kind, title = Kind.DECAY, f"{account.name} is in decay"
    evidence = {k: v for k, v in alert.items() if k not in ("event", "account_id")}

    def open_cta():
        cta, _ = cta_open(
            rule=InterventionRule.objects.get(key=rule_key),
            account=account,
            reason="What the rule says.",
            evidence=evidence,
        )
        ctas_opened_notify(cta_ids=[cta.pk])
        return cta

    if alert_first:
        on_alerts_raised(alerts=[alert])
        cta = open_cta()
    else:
        cta = open_cta()
        on_alerts_raised(alerts=[alert])

    notification = Notification.objects.get()
    assert (notification.user, notification.kind, notification.title) == (org.csm_a1, kind, title)
    assert (notification.cta, notification.link) == (cta, f"/accounts/{account.pk}/")
    if not alert_first:
        assert notification.body.endswith(f"A CTA is open for it, due {fmt.day(cta.due_on)}.")


def test_a_band_drop_to_yellow_is_a_new_cta_not_a_red_alert(org):
    account = org.accounts["csm_a1"][0]
    cta, _ = cta_open(
        rule=InterventionRule.objects.get(key=RuleKey.BAND_DROPPED),
        account=account,
        reason="Health dropped from Green to Yellow.",
        evidence={"from_band": "green", "to_band": "yellow", "as_of": "2026-12-05"},
    )
    ctas_opened_notify(cta_ids=[cta.pk])
    notification = Notification.objects.get()
    assert notification.kind == Kind.CTA_ASSIGNED
    assert notification.title == f"New CTA for {account.name}: {cta.title}"


def test_a_rule_run_opening_many_ctas_for_one_person_tells_them_once_with_the_list(org):
    """GIVEN csm_a1 owns five accounts without value delivered lately and csm_a2 one WHEN the
    rule run opens their CTAs (one batch) THEN csm_a1 gets one notification listing them,
    linked to their live CTAs of that rule, and csm_a2 the usual one; a retried batch tells
    nobody again."""
    mine = [factories.AccountFactory(owner=org.csm_a1, name=f"Book {i}") for i in range(5)]
    theirs = org.accounts["csm_a2"][0]
    rule = InterventionRule.objects.get(key=RuleKey.NO_VALUE)
    candidates = {
        a.pk: (a.owner_id, f"No value for {a.name}.", {"as_of": timezone.localdate().isoformat()})
        for a in [*mine, theirs]
    }
    assert ctas_open_many(rule=rule, candidates=candidates) == 6
    ids = list(Cta.objects.values_list("pk", flat=True))
    ctas_opened_notify(cta_ids=ids)
    ctas_opened_notify(cta_ids=ids)  # the outbox retried the event

    grouped = Notification.objects.get(user=org.csm_a1)
    assert grouped.kind == Kind.CTA_ASSIGNED
    assert grouped.title == f"5 new CTAs: {rule.get_key_display()}"
    assert grouped.body.startswith("Book 0; Book 1; Book 2; Book 3; Book 4. First due ")
    assert grouped.link == "/success/ctas/?rule=no_value&mine=true&status=live"
    assert grouped.cta is None and grouped.account is None
    single = Notification.objects.get(user=org.csm_a2)
    assert single.title == f"New CTA for {theirs.name}: {rule.get_key_display()}"
