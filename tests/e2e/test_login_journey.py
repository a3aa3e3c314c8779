"""A person signs in with a real browser and sees their home page."""

import pytest

from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_csm_signs_in_and_sees_their_book(page, org, screenshot):
    browser_login(page, "csm_a1")
    assert page.locator("h2", has_text="My book").is_visible()
    assert page.locator("#book >> text=csm_a1 account 1").is_visible()
    assert page.locator("#book >> text=csm_b1 account 1").count() == 0
    assert page.locator("text=csm_b1 account 1").count() == 0
    screenshot(page, "home")
