"""The demo organisation is realistic and safe to seed twice."""

import io

import pytest
from django.core.management import call_command

from accounts.models import Account
from tests.conftest import rows_kept_for_scope
from users.models import User

pytestmark = pytest.mark.django_db


def _seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", "--accounts", "30", stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The demo seeded once for the module (each test rolls back to it); what seed_demo printed."""
    with rows_kept_for_scope(django_db_blocker, _seed) as printed:
        yield printed


@pytest.mark.slow
def test_seed_demo_twice_creates_the_same_organisation_once(seeded):
    first = (User.objects.count(), Account.objects.count())
    call_command("seed_demo", "--accounts", "30", stdout=io.StringIO())
    assert (User.objects.count(), Account.objects.count()) == first
    assert first[1] == 30
    assert "alice" in seeded and "demo-pass-2026" in seeded
    alice = User.objects.get(username="alice")
    assert alice.check_password("demo-pass-2026")
    assert Account.objects.for_user(alice).exists()
    assert Account.objects.exclude(owner=alice).filter(owner__team=alice.team).exists()
    # Score validation is not an empty page in the demo (once, however often it is seeded).
    from healthscores.models import ScoreValidation

    assert ScoreValidation.objects.count() == 1
    # Nor is "Back-tests over time": one finished back-test over several dates, with its report.
    from healthscores.models import BacktestStatus, ScoreBacktest

    backtest = ScoreBacktest.objects.get()
    assert backtest.status == BacktestStatus.DONE, backtest.error
    assert len(backtest.report["dates"]) > 1
    assert backtest.report["current"]["test"]["observations"] > 0
    assert "back-test over time" in seeded


def test_demo_ctas_quote_the_figures_of_today(seeded):
    """GIVEN the demo seeded (plans, 40 days of scores, then the rules) THEN every rule-opened
    CTA was seen today, not on a back-filled day, and a renewal CTA quotes the band the
    account has (the rules ran after today's scores, not before them)."""
    from django.utils import timezone

    from success.models import Cta, RuleKey

    today = timezone.localdate().isoformat()
    ctas = list(Cta.objects.filter(rule__isnull=False).select_related("account", "rule"))
    assert ctas
    assert {cta.evidence.get("as_of") for cta in ctas} == {today}
    for cta in ctas:
        if cta.rule.key == RuleKey.RENEWAL_AT_RISK and cta.account.health_band:
            assert cta.evidence["health_band"] == cta.account.health_band
            assert "not scored" not in cta.reason
