"""The customer-facing scorecard: unguessable, expiring, revocable links; only customer content."""

import io
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dashboards.models import ScorecardShare
from tests import factories
from tests.dashboards.conftest import count_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(org):
    account = org.accounts["csm_a1"][0]
    account.health_band, account.health_score, account.health_delta_30 = "green", 82, 7
    account.strategy_6m = "Roll out to the EMEA sales team"
    account.relationship_word = "secret-word"
    account.goodwill_balance = 4321
    account.save()
    factories.InteractionFactory(
        account=account, category="value_adding", summary="INTERNAL: they hate the UI", minutes=90
    )
    return account


def _create_link(client, account, days=30) -> str:
    response = client.post(
        reverse("dashboards:scorecard_shares", args=[account.pk]), {"days": days, "note": "CFO"}
    )
    assert response.status_code == 200
    return response.context["created_url"]


def test_csm_creates_a_link_that_is_shown_once_and_stored_only_as_a_digest(client_csm, account):
    url = _create_link(client_csm, account)
    token = url.rstrip("/").rsplit("/", 1)[-1]
    assert len(token) >= 40
    share = ScorecardShare.objects.get()
    assert token not in (share.token_digest, share.token_hint)
    listing = client_csm.get(reverse("dashboards:scorecard_shares", args=[account.pk]))
    assert token not in listing.content.decode()
    assert "CFO" in listing.content.decode()


def test_customer_sees_band_goals_and_value_but_nothing_internal(client_csm, client, account):
    url = _create_link(client_csm, account)
    client_csm.logout()
    response = client.get(url)
    body = response.content.decode()
    assert response.status_code == 200
    assert "On track" in body and "improving" in body
    assert "Roll out to the EMEA sales team" in body
    assert "value-adding session" in body
    for secret in ("secret-word", "4321", "INTERNAL", "120000", "82"):
        assert not re.search(rf"\b{secret}\b", body), secret
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Cache-Control"] == "private, no-store"
    assert ScorecardShare.objects.get().view_count == 1


def test_shared_pdf_holds_the_same_customer_content(client_csm, client, account):
    from pypdf import PdfReader

    url = _create_link(client_csm, account)
    token = url.rstrip("/").rsplit("/", 1)[-1]
    response = client.get(reverse("dashboards:shared_scorecard_pdf", args=[token]))
    assert response["Content-Type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "Customer Success Scorecard" in text
    assert account.name in text
    assert "Roll out to the EMEA sales team" in text
    assert "secret-word" not in text and "INTERNAL" not in text


def test_revoked_and_expired_links_stop_working(client_csm, client, account):
    url = _create_link(client_csm, account)
    share = ScorecardShare.objects.get()
    revoke = reverse("dashboards:share_revoke", args=[account.pk, share.pk])
    assert client_csm.post(revoke).status_code == 302
    assert client.get(url).status_code == 404

    url = _create_link(client_csm, account)
    ScorecardShare.objects.filter(revoked_at__isnull=True).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert client.get(url).status_code == 404
    assert client.get(reverse("dashboards:shared_scorecard", args=["guess" * 9])).status_code == 404


def test_a_csm_cannot_share_or_revoke_another_csms_account(client, org, account):
    client.force_login(org.csm_b1)
    assert client.get(reverse("dashboards:scorecard_shares", args=[account.pk])).status_code == 404
    response = client.post(reverse("dashboards:scorecard_shares", args=[account.pk]), {"days": 5})
    assert response.status_code == 404
    assert not ScorecardShare.objects.exists()


def test_an_out_of_range_expiry_is_a_form_error_not_a_crash(client_csm, account):
    response = client_csm.post(
        reverse("dashboards:scorecard_shares", args=[account.pk]), {"days": 400}
    )
    assert response.status_code == 400
    assert "less than or equal to 90" in response.content.decode()
    assert not ScorecardShare.objects.exists()


def test_preview_shows_the_csm_what_the_customer_will_see(client_csm, account):
    body = client_csm.get(reverse("dashboards:scorecard_preview", args=[account.pk])).content
    assert b"this is exactly what the customer sees" in body
    assert b"secret-word" not in body
    pdf = client_csm.get(reverse("dashboards:scorecard_pdf", args=[account.pk]))
    assert pdf.content.startswith(b"%PDF")


def test_share_pages_use_a_fixed_number_of_queries(client_csm, client, account):
    # Budget: session + user, the account, its links (management page); the link, its view
    # count, interaction totals, the success plan and its steps (customer page).
    url = _create_link(client_csm, account)
    for _ in range(5):
        _create_link(client_csm, account)
    shares_url = reverse("dashboards:scorecard_shares", args=[account.pk])
    assert count_queries(client_csm, shares_url) <= 5
    assert count_queries(client, url) <= 6


def test_scorecard_shows_plan_progress_without_internal_completion_notes(client_csm, account):
    today = timezone.localdate()
    plan = factories.SuccessPlanFactory(account=account, name="Go-live plan")
    factories.PlanStepFactory(
        plan=plan,
        title="Kick-off workshop",
        due_on=today - timedelta(days=5),
        completed_on=today - timedelta(days=6),
        completion_note="INTERNAL: sponsor was late",
        is_milestone=True,
    )
    factories.PlanStepFactory(plan=plan, title="Train admins", owner_side="customer")
    body = client_csm.get(reverse("dashboards:scorecard_preview", args=[account.pk])).content
    text = body.decode()
    assert "Go-live plan" in text and "Kick-off workshop" in text and "Train admins" in text
    assert "1 of 2 steps done (50%)" in text
    assert "Your team" in text
    assert "sponsor was late" not in text
