"""The home quick log in a real browser: picking an account narrows the contacts in place."""

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_picking_an_account_narrows_contacts_without_refiltering_my_book(page, org, screenshot):
    """GIVEN a CSM on their home page, whose accounts have people with the same name
    WHEN they choose an account and other selects in the quick-log form
    THEN the Contact list shows only that account's people, "My book" and the URL stay put,
    and the confirmation names the account."""
    mine, other = org.accounts["csm_a1"][:2]
    factories.ContactFactory(account=mine, name="Sam Lee")
    factories.ContactFactory(account=other, name="Sam Lee")
    factories.ContactFactory(account=other, name="Grace Hopper")
    browser_login(page, "csm_a1")
    url = page.url
    book_rows = page.locator("#book tbody tr").count()
    page.select_option("#id_account", str(mine.pk))
    # A locator wait, not wait_for_function: the page's CSP forbids evaluating strings.
    expect(page.locator("#id_contact option")).to_have_count(2)
    assert page.locator("#id_contact option").all_inner_texts() == [
        "No one in particular",
        "Sam Lee",
    ]
    page.select_option("#id_sentiment", "1")
    page.select_option("#id_contact", label="Sam Lee")
    page.wait_for_timeout(300)
    assert page.url == url
    assert page.locator("#book tbody tr").count() == book_rows
    page.click("#interaction-form button[type=submit]")
    page.wait_for_selector("#quicklog-result li")
    assert page.locator("#quicklog-result").inner_text().startswith(f"Logged for {mine.name}:")
    screenshot(page, "quick-log")
