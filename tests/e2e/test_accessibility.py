"""Accessibility and phone layout of the key pages, as each role, in a real browser.

axe-core (vendored at static/vendor/axe, see static/vendor/README.md) runs on each page: no
violation, whatever its impact (critical, serious, moderate or minor). Resized to 390 px wide
(a phone) no page scrolls sideways and the header stays within two rows. No page reports a
CSP violation or a script error. CI's `make prodcheck` runs the same checks on every kind of
page the demo has, as each role, under production settings.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests import factories
from tests.conftest import browser_login, track_requests, wait_until_settled
from tests.e2e.test_dashboard_journeys import _scored_account
from tests.page_watch import watch_scripts

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = "/static/vendor/axe/axe.min.js"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
COMMON = [
    "home",
    "accounts",
    "account",
    "account_activity",
    "account_ledger",
    "portfolio",
    "top10",
    "ctas",
    "cta",
    "settings",
    "search",
    "notifications",
    "notification_preferences",
]
# Every page once as the CSM; as the manager and the admin, the pages whose content depends on
# the role (a team's book, the portfolio, the team's CTAs, the admin's settings) and their own.
# `make prodcheck` opens every kind of page as every role in CI.
ROLE_PAGES = ["home", "accounts", "account", "portfolio", "top10", "ctas", "cta"]
ROLES = {
    "csm_a1": [*COMMON, "ctas_snoozed", "cta_closed"],
    "manager_a": ROLE_PAGES,
    "admin": [*ROLE_PAGES, "settings", "rules", "scorecards", "archived", "contact"],
}


@pytest.fixture
def demo(org):
    """A scored account with history, a plan with an overdue step, a CTA and a share link."""
    from dashboards.services import scorecard_share_create

    account = _scored_account(org)
    contact = factories.ContactFactory(account=account, name="Ada Lovelace")
    archived = org.accounts["csm_b1"][1]
    archived.archived_at = timezone.now()
    archived.save(update_fields=["archived_at"])
    plan = factories.SuccessPlanFactory(account=account)
    factories.PlanStepFactory(plan=plan, due_on=timezone.localdate() - timedelta(days=2))
    cta = _worked_cta(org, account)
    closed = factories.CtaFactory(account=account, title="Closed one", status="done")
    closed.outcome, closed.close_note, closed.closed_at = "escalated", "To the VP", timezone.now()
    closed.save()
    token = scorecard_share_create(account=account, created_by=org.csm_a1, days=14).token
    _notifications(org, account)
    urls = {
        "home": reverse("dashboards:home"),
        "accounts": reverse("accounts:list"),
        "account": reverse("accounts:detail", args=[account.pk]),
        "account_activity": reverse("accounts:detail", args=[account.pk]) + "#activity",
        "account_ledger": reverse("accounts:detail", args=[account.pk]) + "#ledger",
        "search": reverse("accounts:search") + "?q=ada",
        "portfolio": reverse("dashboards:portfolio"),
        "top10": reverse("dashboards:top10"),
        "ctas": reverse("success:cta_list"),
        "ctas_snoozed": reverse("success:cta_list") + "?status=snoozed",
        "cta": cta.get_absolute_url(),
        "cta_closed": closed.get_absolute_url(),
        "settings": reverse("dashboards:settings"),
        "rules": reverse("success:rule_settings"),
        "scorecards": reverse("scorecards:list"),
        "share": reverse("dashboards:shared_scorecard", args=[token]),
        "notifications": reverse("notifications:list"),
        "notification_preferences": reverse("notifications:preferences"),
        "archived": reverse("accounts:settings_archived"),
        "contact": reverse("accounts:contact_edit", args=[account.pk, contact.pk]),
    }
    return urls


def _worked_cta(org, account):
    """A live CTA with dated evidence, a playbook half ticked, a note with a mention; and a
    snoozed one."""
    from success.services import cta_note_add, cta_snooze, cta_step_set

    cta = factories.CtaFactory(
        account=account,
        title="Renewal near and not green",
        reason="Renewal on 1 Feb 2027 (58 days) and health is Yellow (55).",
        evidence={"health_band": "yellow", "health_score": 55, "as_of": "2026-12-01"},
    )
    first = cta.steps.create(order=1, text="Call the champion")
    cta.steps.create(order=2, text="Agree a rescue plan")
    cta_step_set(step=first, done=True, user=org.csm_a1)
    cta_note_add(cta=cta, author=org.csm_a1, body="@manager_a can you join the call?")
    quiet = factories.CtaFactory(account=account, title="Quiet one")
    cta_snooze(cta=quiet, until=timezone.localdate() + timedelta(days=3))
    return cta


def _notifications(org, account) -> None:
    """An unread and a read notification for each role, so the bell shows a count."""
    from notifications.models import Kind, Notification
    from notifications.services import Draft, notifications_record

    notifications_record(
        drafts=[
            Draft(
                user_id=user.pk,
                kind=kind,
                key=f"a11y:{user.pk}:{kind}",
                title=f"{account.name} dropped to Red, a title long enough to wrap on a phone",
                body="Health fell from Green to Red (score 31) on 4 Dec 2026.",
                link=account.get_absolute_url(),
                account_id=account.pk,
            )
            for user in (org.csm_a1, org.manager_a, org.admin)
            for kind in (Kind.BAND_RED, Kind.DECAY)
        ]
    )
    Notification.objects.filter(kind=Kind.DECAY).update(read_at=timezone.now())


def _axe_violations(page) -> list[str]:
    page.add_script_tag(url=AXE)
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['impact']} {v['id']}: {v['help']} ({len(v['nodes'])}×, e.g. {v['nodes'][0]['target']})"
        for v in result["violations"]
    ]


def _phone_problems(page) -> list[str]:
    problems = []
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    if overflow > 0:
        problems.append(f"scrolls {overflow}px sideways")
    header = page.evaluate(
        "(() => { const h = document.querySelector('.topbar');"
        " return h ? h.getBoundingClientRect().height : 0; })()"
    )
    if header > 100:  # brand + sign-out row, then one row of sections
        problems.append(f"header is {header:.0f}px tall (wraps)")
    return problems


def _check(browser, live_server, username, pages, urls, screenshot) -> dict:
    """Each page once: axe at 1440 px, then the same page resized to a phone; all the while
    the console must report no CSP violation or script error (as in
    tests/e2e/test_content_security_policy.py)."""
    found = {}
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(15000)
    track_requests(page)
    errors = watch_scripts(page)
    if username:
        browser_login(page, username)
    for name in pages:
        if "#" in urls[name]:  # another tab of the page just opened: no new request
            page.goto("about:blank")
        page.set_viewport_size(DESKTOP)
        errors.clear()
        response = page.goto(urls[name])
        wait_until_settled(page)
        assert response.status == 200, (username, name, response.status)
        problems = _axe_violations(page)
        page.set_viewport_size(PHONE)
        problems += _phone_problems(page) + errors
        if problems:  # the page as a phone shows it, to see what went wrong
            screenshot(page, f"{username or 'customer'}-{name}-phone")
            found[f"{username or 'customer'} {name}"] = problems
    context.close()
    return found


@pytest.mark.parametrize("username", list(ROLES))
def test_key_pages_have_no_axe_violations_and_fit_a_phone(
    browser, live_server, org, demo, username, screenshot
):
    login = getattr(org, username).username
    assert _check(browser, live_server, login, ROLES[username], demo, screenshot) == {}


def test_the_customer_scorecard_page_is_accessible_and_fits_a_phone(
    browser, live_server, demo, screenshot
):
    assert _check(browser, live_server, None, ["share"], demo, screenshot) == {}
