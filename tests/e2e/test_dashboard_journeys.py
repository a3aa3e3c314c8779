"""Browser journeys through the dashboards: the CSM's escalation and the manager's top-10 PDF."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Account
from accounts.services.interactions import interaction_log
from core import formatting
from tests import factories
from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _scored_account(org) -> Account:
    """An account with months of good interactions, scored by the health app."""
    from healthscores.services.runs import health_rescore_accounts

    account = org.accounts["csm_a1"][0]
    factories.SubscriptionFactory(account=account, mrr=Decimal("10000"))
    start = timezone.now() - timedelta(days=120)
    for week in range(16):
        interaction_log(
            account=account,
            author=org.csm_a1,
            category="value_adding" if week % 2 else "relationship_building",
            channel="call",
            sentiment=2,
            minutes=30,
            occurred_at=start + timedelta(days=7 * week),
            summary=f"Weekly check-in {week}",
        )
    health_rescore_accounts(account_ids=[account.pk])
    account.refresh_from_db()
    assert account.health_score is not None
    return account


def _chart_config(page, chart_id: str) -> dict:
    return json.loads(page.locator(f"script#{chart_id}").text_content())


def test_csm_logs_an_escalation_and_sees_the_chute_and_the_score_fall(page, org, screenshot):
    """GIVEN an account with months of ladders and a health score
    WHEN its CSM logs a critical escalation from the account page and health is recomputed
    THEN the ledger chart shows a chute at the end and the health score is lower."""
    from healthscores.services.runs import health_rescore_accounts

    account = _scored_account(org)
    score_before = account.health_score
    browser_login(page, "csm_a1")
    page.click(f"#book >> text={account.name}")
    page.wait_for_url(f"**/accounts/{account.pk}/")
    chart_id = f"chart-ledger-{account.pk}"
    assert page.locator(f'canvas[data-chart="{chart_id}"][data-rendered="1"]').count() == 1
    assert _chart_config(page, chart_id)["data"]["datasets"][2]["data"][-1] is None

    page.get_by_role("tab", name="Activity").click()
    form = page.locator("#interaction-form")
    form.locator("#id_category").select_option("escalation")
    form.locator("#id_sentiment").select_option("-2")
    form.locator("#id_severity").select_option("4")
    form.locator("#id_summary").fill("Production outage, customer escalated to their CEO")
    form.locator("button[type=submit]").click()
    page.locator("#timeline", has_text="Production outage").wait_for()

    health_rescore_accounts(account_ids=[account.pk])  # what the on-demand recompute does
    page.reload()
    page.get_by_role("tab", name="Charts").click()
    chutes = _chart_config(page, chart_id)["data"]["datasets"][2]["data"]
    account.refresh_from_db()
    assert chutes[-1] == account.goodwill_balance
    assert page.locator(f"#{chart_id}-desc", has_text="1 chute").is_visible()
    assert account.health_score < score_before
    panel = page.locator(".health-panel .kpi .value").first
    assert panel.text_content().strip().startswith(str(account.health_score))
    page.locator(f'canvas[data-chart="{chart_id}"]').scroll_into_view_if_needed()
    screenshot(page, "account-after-escalation")


def test_the_account_page_opens_in_tabs_and_reverses_an_entry_in_one_dialog(page, org, screenshot):
    """GIVEN an account with ledger entries
    WHEN its CSM opens the Ledger tab and reverses one entry through the dialog
    THEN only one section shows at a time, the rows carry no reason fields, and the
    reversal appears in the ledger with its reason."""
    account = _scored_account(org)
    browser_login(page, "csm_a1")
    page.goto(f"/accounts/{account.pk}/")
    assert page.locator("#overview").is_visible() and page.locator("#ledger").is_hidden()
    page.get_by_role("tab", name="Ledger").click()
    assert page.url.endswith("#ledger") and page.locator("#overview").is_hidden()
    assert page.locator("#ledger-rows input").count() == 0
    page.locator("a.reverse-link").first.click()
    dialog = page.locator("#reverse-dialog")
    assert dialog.is_visible()
    dialog.locator("input[name=reason]").fill("Logged on the wrong account")
    screenshot(page, "reverse-dialog")
    dialog.locator("button[type=submit]").click()
    page.locator("#ledger-panel .msg-success").wait_for()
    assert not dialog.is_visible()
    assert page.locator("#ledger-rows", has_text="Logged on the wrong account").is_visible()
    page.reload()
    assert page.locator("#ledger").is_visible()  # the hash keeps the tab


def test_a_milestone_appended_on_the_ledger_tab_moves_every_balance_on_the_page(page, org):
    """GIVEN an account with a goodwill balance
    WHEN its CSM appends a milestone on the Ledger tab
    THEN the entry is in the ledger and the ledger, the overview and the sticky summary all
    show the new balance without a reload."""
    account = org.accounts["csm_a1"][0]
    interaction_log(
        account=account,
        author=org.csm_a1,
        category="value_adding",
        channel="call",
        sentiment=2,
        minutes=30,
        summary="Kick-off",
    )
    account.refresh_from_db()
    before = account.goodwill_balance
    browser_login(page, "csm_a1")
    page.goto(f"/accounts/{account.pk}/#ledger")
    form = page.locator("#ledger-form")
    form.get_by_label("Source").select_option("milestone")
    form.get_by_label("Points").fill("25")
    form.get_by_label("Reason").fill("Go-live signed off")
    form.get_by_role("button", name="Append entry").click()
    expect(page.locator("#ledger-panel .msg-success")).to_have_text("Ledger entry appended.")
    expect(page.locator("#ledger-rows")).to_contain_text("Go-live signed off")
    after = before + 25
    expect(page.locator("#ledger-balance")).to_have_text(formatting.number(after))
    expect(page.locator("#summary-goodwill")).to_have_text(formatting.signed(after))
    page.get_by_role("tab", name="Overview").click()
    expect(page.locator("#goodwill-balance")).to_have_text(formatting.number(after))


def test_manager_opens_the_portfolio_and_exports_the_top10_pdf(page, org, screenshot):
    """GIVEN a manager whose team owns accounts, one of them in trouble
    WHEN they open the portfolio, then the top-10 report, and export the PDF
    THEN the portfolio shows their teams and the PDF lists the accounts with the amiss flag."""
    from pypdf import PdfReader

    troubled = org.accounts["csm_a2"][0]
    Account.objects.filter(pk=troubled.pk).update(
        relationship_word="frustrated",
        lifetime_value=Decimal("2500000"),
        health_score=31,
        health_band="red",
        decay_status="in_decay",
        decay_score=77,
    )
    for category in ("escalation", "firefighting", "escalation"):
        factories.InteractionFactory(account=troubled, category=category, sentiment=-1)
    browser_login(page, "manager_a")
    page.click("nav >> text=Portfolio")
    page.wait_for_url("**/portfolio/")
    assert page.locator("h2", has_text="Health by team and CSM").is_visible()
    assert page.locator("#dist-title ~ .table-wrap", has_text="Team A").is_visible()
    assert page.locator("text=Decay watchlist").is_visible()
    assert page.locator(f"text={troubled.name}").first.is_visible()
    screenshot(page, "portfolio")

    page.click("nav >> text=Reports")
    page.click("text=Open the report")
    page.wait_for_url("**/reports/top10/**")
    assert page.locator("tr.amiss", has_text=troubled.name).is_visible()
    screenshot(page, "top10")
    with page.expect_download() as download_info:
        page.click("text=Export PDF")
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    text = "\n".join(p.extract_text() for p in PdfReader(download.path()).pages)
    assert "Top-10 accounts by lifetime value" in text
    assert troubled.name in text
    assert "Something is amiss" in text


def test_home_works_at_tablet_width(page, org, screenshot):
    page.set_viewport_size({"width": 768, "height": 1024})
    browser_login(page, "csm_a1")
    assert page.locator("h2", has_text="My book").is_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    page.click("th >> text=ARR")
    page.wait_for_url("**sort=arr**")
    assert page.locator('th[aria-sort="ascending"]', has_text="ARR").is_visible()
    screenshot(page, "home-tablet")
