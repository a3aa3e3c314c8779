"""A CSM adds and corrects the people at their accounts from the account page."""

import pytest
from django.urls import reverse

from accounts.models import Contact

pytestmark = pytest.mark.django_db

FIELDS = {"name": "Priya Raman", "title": "VP Operations", "email": "priya@customer.example"}


def test_csm_adds_a_champion_and_sees_them_on_the_account_page(client, org):
    account = org.accounts["csm_a1"][0]
    client.force_login(org.csm_a1)
    response = client.post(
        reverse("accounts:contact_new", args=[account.pk]), {**FIELDS, "is_champion": "on"}
    )
    assert response.status_code == 302
    contact = Contact.objects.get(account=account)
    assert contact.is_champion and contact.title == "VP Operations"
    page = client.get(account.get_absolute_url()).content.decode()
    assert "Priya Raman" in page and "champion" in page


def test_a_bad_email_is_a_field_error_and_saves_nothing(client, org):
    account = org.accounts["csm_a1"][0]
    client.force_login(org.csm_a1)
    response = client.post(
        reverse("accounts:contact_new", args=[account.pk]), {**FIELDS, "email": "not-an-email"}
    )
    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert not Contact.objects.exists()


def test_csm_corrects_a_contact_title(client, org):
    account = org.accounts["csm_a1"][0]
    contact = Contact.objects.create(account=account, name="Sam Lee", title="Analyst")
    client.force_login(org.csm_a1)
    client.post(
        reverse("accounts:contact_edit", args=[account.pk, contact.pk]),
        {"name": "Sam Lee", "title": "Head of Analytics", "is_user": "on"},
    )
    contact.refresh_from_db()
    assert contact.title == "Head of Analytics"


def test_another_csms_account_and_its_contacts_are_404(client, org):
    theirs = org.accounts["csm_b1"][0]
    contact = Contact.objects.create(account=theirs, name="Hidden Person")
    client.force_login(org.csm_a1)
    assert client.get(reverse("accounts:contact_new", args=[theirs.pk])).status_code == 404
    url = reverse("accounts:contact_edit", args=[theirs.pk, contact.pk])
    assert client.post(url, {"name": "Renamed"}).status_code == 404
    contact.refresh_from_db()
    assert contact.name == "Hidden Person"
