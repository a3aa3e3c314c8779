"""Pages work under the Content-Security-Policy in a real Chromium: no console reports a CSP
violation (an inline script or style the policy blocked) or a script error, and charts still
draw. The key pages of each role are checked the same way by tests/e2e/test_accessibility.py;
this module covers the admin's other pages, the API docs and the Django admin. CI's
`make prodcheck` checks every kind of page, as each role, under production settings."""

import pytest
from django.urls import reverse

from tests import factories
from tests.conftest import browser_login, track_requests, wait_until_settled
from tests.page_watch import watch_scripts

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ADMIN_PAGES = [
    "accounts:settings",
    "accounts:import",
    "accounts:bad_fit",
    "dashboards:reports",
    "healthscores:runs",
    "healthscores:validation",
    "healthscores:backtests",
    "integrations:tokens",
    "integrations:webhook_list",
    "success:plan_list",
    "success:insights",
    "success:template_list",
    "success:playbook_list",
]


def test_pages_raise_no_csp_violation_in_chromium(page, org):
    """GIVEN an admin with scored accounts and a CTA WHEN the browser opens the admin's pages,
    the API docs and the Django admin THEN no CSP violation or script error is reported, and
    the health chart is drawn."""
    from tests.e2e.test_dashboard_journeys import _scored_account

    account = _scored_account(org)
    factories.CtaFactory(account=account)
    org.admin.is_staff = True
    org.admin.is_superuser = True
    org.admin.save()
    problems = watch_scripts(page)
    track_requests(page)
    browser_login(page, org.admin.username)
    paths = [reverse(name) for name in ADMIN_PAGES]
    paths += [account.get_absolute_url(), "/api/docs/", "/admin/", "/admin/users/user/"]
    for path in paths:
        response = page.goto(path)
        wait_until_settled(page)
        assert response.status == 200, (path, response.status)
    page.goto(f"/accounts/{account.pk}/#charts")  # the charts' tab of the account page
    page.wait_for_selector("canvas[data-chart][data-rendered='1']")
    assert problems == []
