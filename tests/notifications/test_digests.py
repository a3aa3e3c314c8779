"""The daily digest per CSM and the weekly one per manager: on each person's own clock, once
per period however often beat runs, through a real SMTP server."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from accounts.models import Account
from healthscores.models import AlertKind, HealthAlert
from notifications.models import EmailStatus, Kind, Notification, NotificationPreference
from notifications.services import digests_record, notification_emails_send
from tests import factories

from .conftest import text_and_html

pytestmark = [pytest.mark.django_db, pytest.mark.dates]

# Friday 4 December 2026 and Monday 7 December 2026, 07:30 UTC (the site's time zone in tests).
FRIDAY = datetime(2026, 12, 4, 7, 30, tzinfo=UTC)
MONDAY = datetime(2026, 12, 7, 7, 30, tzinfo=UTC)


@pytest.fixture
def book(org, settings):
    """csm_a1 has an account in red renewing in 20 days and a CTA overdue since yesterday."""
    settings.TIME_ZONE = "UTC"
    settings.NOTIFY_DIGEST_HOUR = 7
    red, _other = org.accounts["csm_a1"]
    Account.objects.filter(pk=red.pk).update(
        health_band="red", health_score=28, renewal_date=date(2026, 12, 24)
    )
    factories.CtaFactory(
        account=red, owner=org.csm_a1, title="Call the sponsor", due_on=date(2026, 12, 3)
    )
    return red


def test_each_csm_gets_one_daily_digest_however_often_beat_runs(book, org, smtp_settings):
    """GIVEN csm_a1's book WHEN beat's digest task runs at 07:30 and again at 08:30 and 09:30
    THEN csm_a1 receives one digest at the real SMTP server, listing the overdue CTA, the red
    account and its renewal, with absolute links; CSMs with nothing to report get none and
    managers get no daily one."""
    for hour in (7, 8, 9):
        with time_machine.travel(FRIDAY.replace(hour=hour), tick=False):
            digests_record()
            notification_emails_send()
    digest = Notification.objects.get(kind=Kind.DAILY_DIGEST)
    assert digest.user == org.csm_a1 and not digest.in_app
    assert digest.key == "daily_digest:2026-12-04"
    assert digest.email_status == EmailStatus.SENT
    assert len(smtp_settings.received) == 1
    recipients, message = smtp_settings.received[0]
    assert recipients == [org.csm_a1.email]
    assert message["Subject"] == ("Your day, 4 Dec 2026: 1 CTA due, 1 in red, 1 renewal at risk")
    text, html = text_and_html(message)
    assert "Call the sponsor" in text and "due 3 Dec 2026 (overdue)" in text
    assert f"https://csp.example.com/accounts/{book.pk}/" in text
    assert "renews 24 Dec 2026, Red" in text
    assert f'href="https://csp.example.com/accounts/{book.pk}/"' in html


def test_the_digest_waits_for_the_persons_own_morning(book, org):
    """GIVEN csm_a1 in New York WHEN beat runs at 07:30 UTC (02:30 there) THEN no digest yet;
    at 12:30 UTC (07:30 there) it is recorded for their local date."""
    NotificationPreference.objects.create(user=org.csm_a1, time_zone="America/New_York")
    with time_machine.travel(FRIDAY, tick=False):
        digests_record()
    assert not Notification.objects.filter(kind=Kind.DAILY_DIGEST).exists()
    with time_machine.travel(FRIDAY + timedelta(hours=5), tick=False):
        digests_record()
    assert Notification.objects.get(kind=Kind.DAILY_DIGEST).key == "daily_digest:2026-12-04"


def test_a_csm_who_turned_digests_off_gets_none(book, org):
    NotificationPreference.objects.create(user=org.csm_a1, digest_enabled=False)
    with time_machine.travel(FRIDAY, tick=False):
        assert digests_record() == 0
    assert not Notification.objects.exists()


def test_managers_get_a_weekly_digest_on_monday_of_their_teams_only(book, org, smtp_settings):
    """GIVEN team A's account dropped to red on Saturday WHEN beat runs on Friday, then twice on
    Monday and on Tuesday THEN manager_a gets one weekly digest (Monday) naming the drop and the
    overdue CTA; manager_b's teams had nothing red, so theirs does not mention it."""
    HealthAlert.objects.create(
        account=book,
        as_of=date(2026, 12, 5),
        kind=AlertKind.BAND_DROP,
        from_value="yellow",
        to_value="red",
        score=28,
        message="dropped",
    )
    with time_machine.travel(FRIDAY, tick=False):
        digests_record()
    assert not Notification.objects.filter(kind=Kind.WEEKLY_DIGEST).exists()
    for moment in (MONDAY, MONDAY + timedelta(minutes=1), MONDAY + timedelta(days=1)):
        with time_machine.travel(moment, tick=False):
            digests_record()
            notification_emails_send()
    weekly = Notification.objects.filter(kind=Kind.WEEKLY_DIGEST)
    assert {n.user for n in weekly} == {org.manager_a, org.manager_b}
    assert {n.key for n in weekly} == {"weekly_digest:2026-12-07"}
    mails = {rcpt[0]: message for rcpt, message in smtp_settings.received}
    text_a, _ = text_and_html(mails[org.manager_a.email])
    assert mails[org.manager_a.email]["Subject"] == (
        "Your teams' week of 7 Dec 2026: 1 of 4 accounts in red, 1 dropped this week"
    )
    assert f"{book.name} (csm_a1" in text_a.replace(org.csm_a1.display_name, "csm_a1")
    assert "Overdue CTAs by CSM (1)" in text_a
    text_b, _ = text_and_html(mails[org.manager_b.email])
    assert book.name not in text_b and "Dropped to red" not in text_b
