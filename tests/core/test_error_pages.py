"""Dead ends are branded and navigable: 403/404/500 pages and the customer's dead link."""

from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from django.views.defaults import server_error

from dashboards.models import ScorecardShare
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_missing_page_keeps_the_navigation_and_offers_a_way_home(client, org):
    client.force_login(org.csm_a1)
    response = client.get("/accounts/999999999/")
    body = response.content.decode()
    assert response.status_code == 404
    assert "We can't find that page" in body
    assert 'aria-label="Main"' in body  # the header navigation is there
    assert f'href="{reverse("dashboards:home")}"' in body


def test_a_forbidden_page_says_why_and_whom_to_ask(client, org):
    client.force_login(org.csm_a1)
    response = client.get(reverse("scorecards:list"))
    body = response.content.decode()
    assert response.status_code == 403
    assert "This page isn't open to you" in body and "ask an admin" in body
    assert 'aria-label="Main"' in body


def test_a_server_error_page_renders_without_a_database_or_a_user():
    response = server_error(RequestFactory().get("/"))
    body = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on our side" in body and 'href="/"' in body


@pytest.mark.parametrize("debug", [False, True])
def test_a_revoked_customer_link_shows_our_page_in_every_mode(client, org, settings, debug):
    """GIVEN a scorecard link the CSM revoked, and the site with DEBUG on or off
    WHEN the customer opens it
    THEN they see our "expired or revoked" page, never Django's URL list."""
    settings.DEBUG = debug
    account = org.accounts["csm_a1"][0]
    client.force_login(org.csm_a1)
    created = client.post(
        reverse("dashboards:scorecard_shares", args=[account.pk]), {"days": 30, "note": "CFO"}
    ).context["created_url"]
    share = ScorecardShare.objects.get()
    client.post(reverse("dashboards:share_revoke", args=[account.pk, share.pk]))
    client.logout()
    for url in (created, created.rstrip("/") + "x/", reverse("success:shared_plan", args=["x"])):
        response = client.get(url)
        body = response.content.decode()
        assert response.status_code == 404
        assert "This link has expired or was revoked" in body
        assert "URLconf" not in body and "Using the URLconf" not in body
        assert response["Cache-Control"] == "private, no-store"


def _assert_link_unavailable_page(response) -> None:
    body = response.content.decode()
    assert response.status_code == 404
    assert "This link has expired or was revoked" in body
    assert "Ask your customer success manager for a new link" in body
    assert "cs<span>platform</span>" in body  # our brand, not a bare page
    assert "URLconf" not in body and "Traceback" not in body
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("debug", [False, True])
def test_expired_and_revoked_links_of_both_kinds_show_our_page_in_every_mode(
    client, org, settings, debug
):
    """GIVEN a scorecard link and a success plan link, each once expired and once revoked,
    and the site with DEBUG on or off
    WHEN the customer opens any of them, or its PDF
    THEN each answers our branded "expired or revoked" page."""
    from dashboards.services import scorecard_share_create, scorecard_share_revoke
    from success.models import PlanShare
    from success.services import plan_share_create, plan_share_revoke

    settings.DEBUG = debug
    account = org.accounts["csm_a1"][0]
    plan = factories.SuccessPlanFactory(account=account)
    scorecards = [
        scorecard_share_create(account=account, created_by=org.csm_a1, days=7) for _ in range(2)
    ]
    plans = [plan_share_create(plan=plan, created_by=org.csm_a1, days=7) for _ in range(2)]
    ScorecardShare.objects.filter(pk=scorecards[0].share.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    scorecard_share_revoke(share=scorecards[1].share, revoked_by=org.csm_a1)
    PlanShare.objects.filter(pk=plans[0].share.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    plan_share_revoke(share=plans[1].share)
    for created in scorecards:
        for name in ("dashboards:shared_scorecard", "dashboards:shared_scorecard_pdf"):
            _assert_link_unavailable_page(client.get(reverse(name, args=[created.token])))
    for created in plans:
        for name in ("success:shared_plan", "success:shared_plan_pdf"):
            _assert_link_unavailable_page(client.get(reverse(name, args=[created.token])))


def test_a_manager_is_not_shown_the_admins_scorecards_button(client, org):
    client.force_login(org.manager_a)
    body = client.get(reverse("healthscores:runs")).content.decode()
    assert f'href="{reverse("scorecards:list")}"' not in body
