"""Admins manage webhooks in the browser: register (secret shown once), pause, delete, and read
each webhook's delivery log; everyone else gets a 403."""

import pytest
from django.urls import reverse

from integrations.models import Webhook, WebhookDelivery
from integrations.services import webhook_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, org):
    client.force_login(org.admin)
    return client


def test_an_admin_registers_a_webhook_and_sees_its_secret_exactly_once(admin_client, org):
    response = admin_client.post(
        reverse("integrations:webhook_list"),
        {"name": "CRM", "url": "https://crm.example.com/hook", "events": ["health.band_changed"]},
    )
    webhook = Webhook.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("integrations:webhook_detail", args=[webhook.pk])
    assert (webhook.name, webhook.events, webhook.active) == ("CRM", ["health.band_changed"], True)
    assert webhook.created_by == org.admin and len(webhook.secret) >= 16
    first = admin_client.get(response["Location"]).content.decode()
    assert webhook.secret in first and "will not be shown again" in first
    again = admin_client.get(response["Location"]).content.decode()
    assert webhook.secret not in again


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "CRM", "url": "ftp://crm.example.com", "events": ["cta.opened"]}, "url", "URL"),
        ({"name": "CRM", "url": "https://crm.example.com"}, "events", "at least one event"),
        (
            {"name": "CRM", "url": "https://crm.example.com", "events": ["nope"]},
            "events",
            "not one of the available choices",
        ),
        ({"name": "", "url": "https://crm.example.com", "events": ["cta.opened"]}, "name", ""),
    ],
)
def test_bad_input_is_refused_with_the_field_s_message_and_nothing_is_saved(
    admin_client, data, field, message
):
    response = admin_client.post(reverse("integrations:webhook_list"), data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors and message in " ".join(errors[field])
    assert not Webhook.objects.exists()


def test_pausing_stops_new_deliveries_and_switching_on_resumes_them(admin_client, org):
    webhook = webhook_create(name="CRM", url="https://crm.example.com/h", events=["cta.opened"])
    url = reverse("integrations:webhook_toggle", args=[webhook.pk])
    assert admin_client.post(url).status_code == 302
    webhook.refresh_from_db()
    assert webhook.active is False
    page = admin_client.get(reverse("integrations:webhook_detail", args=[webhook.pk]))
    assert "paused" in page.content.decode()
    admin_client.post(url)
    webhook.refresh_from_db()
    assert webhook.active is True


def test_the_detail_page_lists_deliveries_with_their_outcome_and_the_list_counts_them(
    admin_client,
):
    webhook = webhook_create(name="CRM", url="https://crm.example.com/h", events=["cta.opened"])
    WebhookDelivery.objects.create(
        webhook=webhook,
        event="cta.opened",
        payload={"cta_id": 1},
        status=WebhookDelivery.Status.FAILED,
        attempts=6,
        response_status=502,
        response_excerpt="bad gateway",
    )
    WebhookDelivery.objects.create(
        webhook=webhook, event="cta.opened", payload={}, status=WebhookDelivery.Status.DELIVERED
    )
    detail = admin_client.get(reverse("integrations:webhook_detail", args=[webhook.pk]))
    html = detail.content.decode()
    assert "bad gateway" in html and "502" in html and "Failed" in html
    listing = admin_client.get(reverse("integrations:webhook_list"))
    row = next(w for w in listing.context["webhooks"] if w.pk == webhook.pk)
    assert (row.delivered, row.waiting, row.failed) == (1, 0, 1)


def test_deleting_a_webhook_removes_it_and_its_log(admin_client):
    webhook = webhook_create(name="CRM", url="https://crm.example.com/h", events=["cta.opened"])
    WebhookDelivery.objects.create(webhook=webhook, event="cta.opened", payload={})
    response = admin_client.post(reverse("integrations:webhook_delete", args=[webhook.pk]))
    assert response.status_code == 302
    assert not Webhook.objects.exists() and not WebhookDelivery.objects.exists()


def test_only_admins_reach_the_webhook_pages(client, org):
    webhook = webhook_create(name="CRM", url="https://crm.example.com/h", events=["cta.opened"])
    pages = [
        ("get", reverse("integrations:webhook_list")),
        ("post", reverse("integrations:webhook_list")),
        ("get", reverse("integrations:webhook_detail", args=[webhook.pk])),
        ("post", reverse("integrations:webhook_toggle", args=[webhook.pk])),
        ("post", reverse("integrations:webhook_delete", args=[webhook.pk])),
    ]
    for user in (org.manager_a, org.csm_a1):
        client.force_login(user)
        for method, url in pages:
            assert getattr(client, method)(url).status_code == 403, (user, method, url)
    client.logout()
    assert client.get(pages[0][1]).status_code == 302  # to the login page
    webhook.refresh_from_db()
    assert webhook.active is True  # nothing changed


def test_the_settings_index_links_the_webhook_page(admin_client):
    html = admin_client.get(reverse("dashboards:settings")).content.decode()
    assert reverse("integrations:webhook_list") in html
