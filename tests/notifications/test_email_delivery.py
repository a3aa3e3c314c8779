"""The issue's bar: a notification e-mail for a band drop arrives at a real SMTP server within
a minute of the run, sent by a real Celery worker off the event outbox."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from healthscores.services import health_rescore_accounts
from notifications.models import EmailStatus, Kind, Notification
from tests import factories
from tests.conftest import WORKER_SITE_URL

from .conftest import green_account, text_and_html, turn_bad

# The worker runs in its own process on the real clock, so the test's dates are the real ones.
pytestmark = [
    pytest.mark.services,
    pytest.mark.slow,
    pytest.mark.real_clock,
    pytest.mark.django_db(transaction=True),
]


def test_a_band_drop_to_red_emails_the_owner_within_a_minute_of_the_nightly_run(worker_mailbox):
    """GIVEN a CSM whose account was green yesterday, and a real worker and SMTP server
    WHEN the account's data turns bad and beat's nightly run task runs on the worker
    THEN within a minute the SMTP server has one "dropped to Red" e-mail to the CSM, in
    plain text and HTML, linking to the account under SITE_URL; the in-app notification is
    recorded once and marked sent."""
    from healthscores.tasks import nightly_score_run

    mailbox = worker_mailbox
    today = timezone.localdate()
    csm = factories.UserFactory(username="ada", email="ada@csp.example.com")
    account = green_account(csm, today)
    health_rescore_accounts(account_ids=[account.pk], as_of=today - timedelta(days=1))
    account.refresh_from_db()
    assert account.health_band == "green"
    turn_bad(account, today)

    started = time.monotonic()
    nightly_score_run.delay()  # what beat sends at NIGHTLY_RUN_HOUR
    found = mailbox.wait_for(lambda item: "dropped to Red" in item[1]["Subject"], timeout=60)
    elapsed = time.monotonic() - started

    assert found, (
        f"no band-drop e-mail within 60 s; got {[m['Subject'] for _, m in mailbox.received]}"
    )
    assert elapsed < 60
    recipients, message = found[0]
    assert recipients == ["ada@csp.example.com"]
    assert message["Subject"] == "Globex dropped to Red"
    text, html = text_and_html(message)
    link = f"{WORKER_SITE_URL}/accounts/{account.pk}/"
    assert link in text and f'href="{link}"' in html
    assert "Health fell from Green to Red" in text
    # The worker marks the row sent right after the server accepted it.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        row = Notification.objects.get(user=csm, kind=Kind.BAND_RED)
        if row.email_status == EmailStatus.SENT:
            break
        time.sleep(0.2)
    assert row.email_status == EmailStatus.SENT and row.in_app and row.read_at is None
    assert len(found) == 1
