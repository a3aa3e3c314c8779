"""Scheduled purges keep the tables that only grow bounded, and never drop live work."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.conf import settings

from core.models import IdempotencyRecord
from csplatform.celery import app
from dashboards.models import ScorecardShare
from dashboards.services import scorecard_share_create, scorecard_share_revoke
from dashboards.tasks import scorecard_shares_purge_task
from healthscores.models import AlertKind, HealthAlert
from healthscores.tasks import health_alerts_purge_task
from integrations.models import Webhook, WebhookAttempt, WebhookDelivery
from integrations.tasks import idempotency_purge, webhook_deliveries_purge_task
from success.models import PlanShare
from success.services.plans import plan_share_create, plan_share_revoke
from success.tasks import plan_shares_purge_task
from tests import factories

pytestmark = pytest.mark.django_db

# Noon on the last day of February in a leap year: the purges count days, not months.
START = datetime(2028, 2, 29, 12, 0, tzinfo=UTC)


def test_every_purge_is_on_the_beat_schedule():
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    purges = {
        "integrations.tasks.idempotency_purge",
        "integrations.tasks.webhook_deliveries_purge",
        "healthscores.tasks.health_alerts_purge",
        "dashboards.tasks.scorecard_shares_purge",
        "success.tasks.plan_shares_purge",
        "users.tasks.sessions_clear_expired",
    }
    assert purges <= scheduled
    app.loader.import_default_modules()
    assert purges <= set(app.tasks)


def test_finished_webhook_deliveries_go_after_the_retention_with_their_attempts(
    time_machine, settings
):
    """GIVEN deliveries made on 29 February: one delivered, one failed, one still retrying, and
    one delivered a day later WHEN the purge runs 30 days after the first THEN the delivered and
    failed ones of 29 February and their attempt logs are gone; the retrying one (still work to
    do) and the younger one stay."""
    settings.WEBHOOK_DELIVERY_RETENTION_DAYS = 30
    time_machine.move_to(START, tick=False)
    webhook = Webhook.objects.create(name="crm", url="https://example.com/hook", secret="s")

    def delivery(status):
        made = WebhookDelivery.objects.create(
            webhook=webhook, event="cta.opened", payload={}, status=status, attempts=1
        )
        WebhookAttempt.objects.create(delivery=made, number=1, response_status=200)
        return made

    delivery(WebhookDelivery.Status.DELIVERED)
    delivery(WebhookDelivery.Status.FAILED)
    retrying = delivery(WebhookDelivery.Status.RETRYING)
    time_machine.move_to(START + timedelta(days=1), tick=False)
    younger = delivery(WebhookDelivery.Status.DELIVERED)

    time_machine.move_to(START + timedelta(days=30, seconds=1), tick=False)
    assert webhook_deliveries_purge_task.delay().get() == 2
    assert set(WebhookDelivery.objects.values_list("pk", flat=True)) == {retrying.pk, younger.pk}
    assert WebhookAttempt.objects.count() == 2
    assert webhook_deliveries_purge_task.delay().get() == 0  # idempotent


def test_health_alerts_older_than_the_retention_are_purged_by_their_date(time_machine, settings):
    settings.HEALTH_ALERT_RETENTION_DAYS = 365
    account = factories.AccountFactory()
    for as_of in [date(2027, 2, 28), date(2027, 3, 1), date(2028, 2, 29)]:
        HealthAlert.objects.create(
            account=account, as_of=as_of, kind=AlertKind.BAND_DROP, to_value="at_risk", message="x"
        )
    # 1 March 2028 (a leap year): 365 days back is 2 March 2027.
    time_machine.move_to(datetime(2028, 3, 1, 3, 10, tzinfo=UTC), tick=False)
    assert health_alerts_purge_task.delay().get() == 2
    assert list(HealthAlert.objects.values_list("as_of", flat=True)) == [date(2028, 2, 29)]


def test_share_links_go_once_expired_or_revoked_for_longer_than_the_retention(
    time_machine, settings, org
):
    """GIVEN on 29 February a scorecard link for 1 day, one for 90 days, one revoked at once, and
    the same three plan links WHEN the purge runs on 31 March (31 days after the 1-day links
    expired) THEN the expired and revoked links are gone and the live ones stay."""
    settings.SHARE_LINK_RETENTION_DAYS = 30
    time_machine.move_to(START, tick=False)
    account = org.accounts["csm_a1"][0]
    plan = factories.SuccessPlanFactory(account=account)
    short = scorecard_share_create(account=account, created_by=org.csm_a1, days=1).share
    live = scorecard_share_create(account=account, created_by=org.csm_a1, days=90).share
    revoked = scorecard_share_create(account=account, created_by=org.csm_a1, days=90).share
    scorecard_share_revoke(share=revoked, revoked_by=org.csm_a1)
    plan_short = plan_share_create(plan=plan, created_by=org.csm_a1, days=1).share
    plan_live = plan_share_create(plan=plan, created_by=org.csm_a1, days=90).share
    plan_revoked = plan_share_create(plan=plan, created_by=org.csm_a1, days=90).share
    plan_share_revoke(share=plan_revoked)

    time_machine.move_to(datetime(2028, 3, 30, 12, 0, tzinfo=UTC), tick=False)  # 30 days
    assert scorecard_shares_purge_task.delay().get() == 0
    assert plan_shares_purge_task.delay().get() == 0

    time_machine.move_to(datetime(2028, 3, 31, 12, 1, tzinfo=UTC), tick=False)
    assert scorecard_shares_purge_task.delay().get() == 2
    assert plan_shares_purge_task.delay().get() == 2
    assert list(ScorecardShare.objects.values_list("pk", flat=True)) == [live.pk]
    assert list(PlanShare.objects.values_list("pk", flat=True)) == [plan_live.pk]
    del short, plan_short


def test_idempotency_records_are_forgotten_after_the_24_hour_replay_window(time_machine, org):
    time_machine.move_to(START, tick=False)
    old = IdempotencyRecord.objects.create(
        key="k1", user=org.csm_a1, method="POST", path="/api/v1/x/", request_hash="h"
    )
    time_machine.move_to(START + timedelta(hours=23), tick=False)
    recent = IdempotencyRecord.objects.create(
        key="k2", user=org.csm_a1, method="POST", path="/api/v1/x/", request_hash="h"
    )
    time_machine.move_to(START + timedelta(hours=24, minutes=1), tick=False)
    assert idempotency_purge.delay().get() == 1
    assert list(IdempotencyRecord.objects.values_list("pk", flat=True)) == [recent.pk]
    del old


def test_expired_sign_in_sessions_are_cleared_from_the_database(time_machine, client, org):
    """Sessions live in PostgreSQL (django_session): the purge deletes the expired ones."""
    from django.contrib.sessions.models import Session

    from users.tasks import sessions_clear_expired

    time_machine.move_to(START, tick=False)
    client.force_login(org.csm_a1)
    assert Session.objects.count() == 1
    time_machine.move_to(START + timedelta(seconds=settings.SESSION_COOKIE_AGE - 60), tick=False)
    sessions_clear_expired.delay().get()
    assert Session.objects.count() == 1
    time_machine.move_to(START + timedelta(seconds=settings.SESSION_COOKIE_AGE + 60), tick=False)
    sessions_clear_expired.delay().get()
    assert Session.objects.count() == 0
