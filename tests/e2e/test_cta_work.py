"""A CSM works her CTAs in a real browser: a note with an @mention, a playbook checkbox,
snooze, reassign, and a bulk close with an outcome from the list."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from success.models import Cta, CtaStatus
from tests import factories
from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_csm_notes_snoozes_reassigns_and_bulk_closes_her_ctas(page, org, screenshot):
    """GIVEN csm_a1 with three open CTAs, one with a two-step playbook
    WHEN she opens it, ticks a step, adds a note mentioning her manager, snoozes it,
    reassigns it to a teammate, then closes the other two from the list with one outcome
    THEN each change shows in place and is stored: who ticked, who was mentioned, the snooze
    hides it from her open list, the new owner, and both closed as "Customer churned"."""
    first, second = org.accounts["csm_a1"]
    rescue = factories.CtaFactory(account=first, title="Renewal rescue", priority=1)
    step = rescue.steps.create(order=1, text="Call the champion")
    rescue.steps.create(order=2, text="Agree a rescue plan")
    others = [
        factories.CtaFactory(account=second, title="Check in", priority=3),
        factories.CtaFactory(account=first, title="Adoption dip", priority=3),
    ]
    browser_login(page, "csm_a1")

    page.goto("/success/ctas/")
    page.get_by_role("link", name="Renewal rescue").click()
    expect(page.locator("h1")).to_have_text("Renewal rescue")

    page.get_by_label("Call the champion").check()
    expect(page.locator("#cta-status")).to_have_text("In progress")
    expect(page.locator("#cta-steps")).to_contain_text("by ")

    page.get_by_label("Add a note").fill("@csm_b1 any ideas?")
    page.get_by_role("button", name="Add note").click()
    # a 422 is swapped in place (htmx-config): the error says why, nothing was stored
    expect(page.locator("#cta-error")).to_contain_text("@csm_b1 cannot see this CTA")
    page.get_by_label("Add a note").fill("Champion is on leave; @manager_a can you call the CFO?")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator(".notes .mention")).to_have_text("@manager_a")
    expect(page.get_by_label("Add a note")).to_have_value("")

    until = timezone.localdate() + timedelta(days=5)
    page.locator("summary", has_text="Snooze").click()
    page.get_by_label("Snooze until").fill(until.isoformat())
    page.get_by_role("button", name="Snooze", exact=True).click()
    expect(page.locator("#cta-snoozed")).to_contain_text("Snoozed until")

    page.locator("summary", has_text="Reassign").click()
    page.get_by_label("Assign to").select_option(str(org.csm_a2.pk))
    page.get_by_role("button", name="Reassign", exact=True).click()
    expect(page.locator("#cta-owner")).to_have_text(org.csm_a2.display_name)
    screenshot(page, "cta-worked")

    page.goto("/success/ctas/")
    expect(page.locator("tbody")).not_to_contain_text("Renewal rescue")
    for cta in others:
        page.locator(f"#pick-{cta.pk}").check()
    expect(page.locator("#bulk-count")).to_have_text("2 selected")
    page.get_by_label("With the selected").select_option("close")
    page.get_by_label("Close with outcome").select_option(label="Customer churned")
    page.get_by_label("Closing note").fill("Lost to a competitor")
    page.get_by_role("button", name="Apply to selected").click()
    expect(page.locator(".messages")).to_contain_text("Closed as customer churned: 2 CTAs.")
    expect(page.locator("tbody")).to_contain_text("No CTAs match.")
    screenshot(page, "cta-bulk-closed")

    rescue.refresh_from_db()
    step.refresh_from_db()
    assert step.done_by == org.csm_a1 and step.done_at is not None
    assert list(rescue.notes.get().mentions.all()) == [org.manager_a]
    assert (rescue.snoozed_until, rescue.owner, rescue.status) == (
        until,
        org.csm_a2,
        CtaStatus.IN_PROGRESS,
    )
    closed = Cta.objects.filter(pk__in=[c.pk for c in others])
    assert {(c.status, c.outcome, c.close_note) for c in closed} == {
        ("done", "customer_churned", "Lost to a competitor")
    }
