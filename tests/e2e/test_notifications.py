"""The bell and the notifications page in a real Chromium, under the Content-Security-Policy:
htmx marks one read and all read, and the bell's count follows."""

import re

import pytest

from tests.conftest import browser_login
from tests.notifications.helpers import notify

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_csm_reads_notifications_and_the_bell_counts_down(page, org, screenshot):
    """GIVEN csm_a1 has three unread notifications about an account
    WHEN they open the bell, mark one read, then mark all read
    THEN the bell says 3, then 2, then shows no count; following one opens the account."""
    account = org.accounts["csm_a1"][0]
    notify(org.csm_a1, 3, account=account)
    problems: list[str] = []
    page.on(
        "console",
        lambda msg: problems.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    browser_login(page, "csm_a1")
    bell = page.locator("header .bell")
    bell.locator(".bell-count", has_text="3").wait_for()
    # Screen readers hear the bell as a link named with its count.
    assert page.get_by_role("link", name=re.compile(r"^Notifications\s*3 unread$")).count() == 1
    bell.click()
    page.wait_for_url("**/notifications/")
    items = page.locator(".inbox-item")
    assert items.count() == 3
    items.first.get_by_role("button", name="Mark read").click()
    page.locator(".inbox-item").first.get_by_role("button", name="Mark unread").wait_for()
    bell.locator(".bell-count", has_text="2").wait_for()
    page.get_by_role("button", name="Mark all read").click()
    page.locator(".inbox-item.unread").first.wait_for(state="detached")
    page.locator("header .bell .bell-count").wait_for(state="detached")
    screenshot(page, "all-read")
    page.locator(".inbox-item a").first.click()
    page.wait_for_url(f"**/accounts/{account.pk}/")
    assert problems == []
