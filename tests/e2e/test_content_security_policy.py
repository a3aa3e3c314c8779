"""Every page works under the Content-Security-Policy in a real Chromium: no console reports a
CSP violation (an inline script or style the policy blocked), and charts still draw."""

import pytest

from tests import factories
from tests.conftest import browser_login, track_requests, wait_until_settled

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MAX_PAGES = 45


def _watch(page) -> list[str]:
    problems: list[str] = []
    page.on(
        "console",
        lambda msg: (
            problems.append(f"{page.url}: {msg.text}")
            if "Content Security Policy" in msg.text
            else None
        ),
    )
    page.on("pageerror", lambda exc: problems.append(f"{page.url}: {exc}"))
    # A 5xx anywhere, or a missing static file (favicon probes aside).
    page.on(
        "response",
        lambda r: (
            problems.append(f"{r.url}: {r.status}")
            if r.status >= 500 or (r.status >= 400 and "/static/" in r.url)
            else None
        ),
    )
    return problems


def _crawl(page, start: str) -> list[str]:
    """Visit `start` and the same-site pages it links to, breadth first (GET only)."""
    seen, queue = set(), [start]
    while queue and len(seen) < MAX_PAGES:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        page.goto(path)
        wait_until_settled(page)
        for href in page.eval_on_selector_all(
            "a[href^='/']", "els => els.map(e => e.getAttribute('href'))"
        ):
            href = href.split("#")[0]
            skip = href.startswith(("/logout", "/static", "/media")) or any(
                part in href for part in ("export", ".csv", ".pdf", "download")
            )
            if href and href not in seen and not skip:
                queue.append(href)
    return sorted(seen)


def test_pages_raise_no_csp_violation_in_chromium(page, org):
    """GIVEN an admin with scored accounts, CTAs, a webhook and a back-test WHEN the browser
    walks the product's pages, the API docs and the Django admin THEN no CSP violation or
    script error is reported, and the health chart is drawn."""
    from tests.e2e.test_dashboard_journeys import _scored_account

    account = _scored_account(org)
    factories.CtaFactory(account=account)
    org.admin.is_staff = True
    org.admin.is_superuser = True
    org.admin.save()
    problems = _watch(page)
    track_requests(page)
    browser_login(page, "admin1")
    visited = _crawl(page, "/")
    for extra in (f"/accounts/{account.pk}/", "/api/docs/", "/admin/", "/admin/users/user/"):
        page.goto(extra)
        wait_until_settled(page)
        visited.append(extra)
    page.goto(f"/accounts/{account.pk}/#charts")  # the charts' tab of the account page
    page.wait_for_selector("canvas[data-chart][data-rendered='1']")
    assert len(visited) >= 15, visited
    assert problems == []
