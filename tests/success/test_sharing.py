"""The customer's read-only plan link: unguessable, expiring, revocable, nothing internal."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from success import services
from success.models import PlanShare
from tests import factories

TODAY = timezone.localdate()


@pytest.fixture
def shared(csm):
    account = factories.AccountFactory(owner=csm, name="Globex Retail")
    plan = factories.SuccessPlanFactory(account=account, objective="All stores on the new flow")
    factories.PlanStepFactory(
        plan=plan, title="Customer signs off data map", owner_side="customer", description="Ask IT"
    )
    factories.PlanStepFactory(
        plan=plan,
        title="We configure the connectors",
        owner_side="us",
        completed_on=TODAY,
        completion_note="INTERNAL: champion is wobbly",
        is_milestone=True,
        ladder_points=9,
    )
    factories.PlanStepFactory(plan=plan, title="Joint go-live review", owner_side="joint")
    created = services.plan_share_create(plan=plan, created_by=csm, days=14)
    return created.share, created.token


def shared_url(token):
    return reverse("success:shared_plan", args=[token])


@pytest.mark.django_db
def test_the_customer_sees_what_they_and_we_must_do_without_logging_in(client, shared):
    share, token = shared
    response = client.get(shared_url(token))
    assert response.status_code == 200
    body = response.content.decode()
    assert "All stores on the new flow" in body
    what_you_do, rest = body.split("What you will do")[1].split("What we will do", 1)
    assert "Customer signs off data map" in what_you_do and "Ask IT" in what_you_do
    assert "We configure the connectors" in rest and "Joint go-live review" in rest
    # nothing internal
    assert "INTERNAL" not in body and "champion is wobbly" not in body
    assert "+9" not in body and "milestone" not in body.lower()
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    share.refresh_from_db()
    assert share.view_count == 1


@pytest.mark.django_db
def test_only_a_hash_of_the_token_is_stored_and_tokens_are_long(shared):
    share, token = shared
    assert len(token) >= 40
    assert token not in share.token_digest
    assert not PlanShare.objects.filter(token_digest=token).exists()


@pytest.mark.django_db
def test_an_expired_link_stops_working(client, shared):
    share, token = shared
    PlanShare.objects.filter(pk=share.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert client.get(shared_url(token)).status_code == 404
    assert client.get(reverse("success:shared_plan_pdf", args=[token])).status_code == 404


@pytest.mark.django_db
def test_a_revoked_link_stops_working_at_once(client, shared, csm):
    """GIVEN a working link
    WHEN the CSM revokes it from the plan page
    THEN the customer's next visit is a 404."""
    share, token = shared
    assert client.get(shared_url(token)).status_code == 200
    client.force_login(csm)
    client.post(reverse("success:share_revoke", args=[share.pk]))
    client.logout()
    assert client.get(shared_url(token)).status_code == 404


@pytest.mark.django_db
def test_a_guessed_token_is_a_404(client, shared):
    _, token = shared
    assert (
        client.get(shared_url(token[:-1] + ("A" if token[-1] != "A" else "B"))).status_code == 404
    )
    assert client.get(shared_url("x" * 200)).status_code == 404


@pytest.mark.django_db
def test_the_customer_can_download_the_plan_as_a_pdf(client, shared):
    _, token = shared
    response = client.get(reverse("success:shared_plan_pdf", args=[token]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert "globex-retail" in response["Content-Disposition"]


@pytest.mark.django_db
def test_creating_a_link_from_the_plan_page_shows_it_once(client_csm, shared):
    share, _ = shared
    response = client_csm.post(
        reverse("success:share_create", args=[share.plan_id]), {"days": 7}, follow=True
    )
    text = response.content.decode()
    assert "/success/shared/" in text
    newest = PlanShare.objects.filter(plan=share.plan).first()
    assert (newest.expires_at - timezone.now()).days in (6, 7)


@pytest.mark.django_db
def test_a_link_longer_than_a_year_is_refused(client_csm, shared):
    share, _ = shared
    before = PlanShare.objects.count()
    client_csm.post(reverse("success:share_create", args=[share.plan_id]), {"days": 999})
    assert PlanShare.objects.count() == before


@pytest.mark.django_db
def test_another_csm_cannot_revoke_or_share(client, shared, org):
    share, token = shared
    client.force_login(org.csm_b1)
    assert client.post(reverse("success:share_revoke", args=[share.pk])).status_code == 404
    assert client.post(reverse("success:share_create", args=[share.plan_id])).status_code == 404
    client.logout()
    assert client.get(shared_url(token)).status_code == 200
