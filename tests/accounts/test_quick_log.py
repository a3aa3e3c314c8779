"""The home page's quick log: it asks for the account, then offers only that account's people."""

import pytest
from django.urls import reverse

from accounts.models import Interaction
from tests import factories

pytestmark = pytest.mark.django_db


def _contact_options(html: str) -> list[str]:
    import re

    select = re.search(r'<select name="contact".*?</select>', html, re.S).group(0)
    return re.findall(r"<option[^>]*>([^<]*)</option>", select)


def test_the_quick_form_offers_no_contacts_until_an_account_is_chosen(client, org):
    account = org.accounts["csm_a1"][0]
    factories.ContactFactory(account=account, name="Ada Lovelace")
    client.force_login(org.csm_a1)
    html = client.get(reverse("dashboards:home")).content.decode()
    assert _contact_options(html) == ["Choose an account first"]


def _account_options(html: str) -> list[str]:
    import re

    select = re.search(r'<select name="account".*?</select>', html, re.S).group(0)
    return re.findall(r"<option[^>]*>([^<]*)</option>", select)


def test_two_accounts_of_one_name_are_told_apart_in_the_account_list(client, org):
    """GIVEN a book with two accounts called Bluepeak Labs (regional subsidiaries) WHEN the
    CSM opens the quick form THEN each carries its region and CRM id, other names stay plain;
    labelling them reads nothing more per account (ten more twins cost no query)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def twins(name, regions):
        for i, region in enumerate(regions):
            factories.AccountFactory(
                owner=org.csm_a1, name=name, region=region, external_id=f"{name}-{i}"
            )

    twins("Bluepeak Labs", ["NA", "LATAM"])
    factories.AccountFactory(owner=org.csm_a1, name="Zenith Labs")
    client.force_login(org.csm_a1)
    client.get(reverse("dashboards:home"))  # warm the caches the page keeps
    with CaptureQueriesContext(connection) as before:
        html = client.get(reverse("dashboards:home")).content.decode()
    options = _account_options(html)
    assert "Bluepeak Labs (NA, Bluepeak Labs-0)" in options
    assert "Bluepeak Labs (LATAM, Bluepeak Labs-1)" in options
    assert "Zenith Labs" in options
    twins("Orbit Media", ["EMEA"] * 10)
    with CaptureQueriesContext(connection) as after:
        client.get(reverse("dashboards:home"))
    assert len(after) == len(before)


def test_choosing_an_account_offers_only_its_contacts_once_each(client, org):
    """GIVEN two accounts of one book whose contacts share a name
    WHEN the CSM picks the first account in the quick form
    THEN the Contact list holds that account's people only, each once."""
    mine, other = org.accounts["csm_a1"][:2]
    factories.ContactFactory(account=mine, name="Sam Lee")
    factories.ContactFactory(account=mine, name="Ada Lovelace")
    factories.ContactFactory(account=other, name="Sam Lee")
    factories.ContactFactory(account=other, name="Grace Hopper")
    client.force_login(org.csm_a1)
    response = client.get(reverse("accounts:interaction_contacts"), {"account": mine.pk})
    assert response.status_code == 200
    assert _contact_options(response.content.decode()) == [
        "No one in particular",
        "Ada Lovelace",
        "Sam Lee",
    ]


def test_the_contact_list_of_an_account_the_user_cannot_see_stays_empty(client, org):
    theirs = org.accounts["csm_b1"][0]
    factories.ContactFactory(account=theirs, name="Secret Person")
    client.force_login(org.csm_a1)
    response = client.get(reverse("accounts:interaction_contacts"), {"account": theirs.pk})
    assert _contact_options(response.content.decode()) == ["Choose an account first"]


def test_a_contact_from_another_account_is_refused(client, org):
    mine, other = org.accounts["csm_a1"][:2]
    stranger = factories.ContactFactory(account=other)
    client.force_login(org.csm_a1)
    response = client.post(
        reverse("accounts:interaction_log"),
        {
            "account": mine.pk,
            "contact": stranger.pk,
            "category": "value_adding",
            "channel": "call",
            "sentiment": 1,
            "minutes": 10,
            "work_type": "support",
        },
    )
    assert response.status_code == 200
    assert "contact" in response.context["interaction_form"].errors
    assert not Interaction.objects.exists()


def test_the_confirmation_names_the_account_that_was_logged(client, org):
    mine = org.accounts["csm_a1"][0]
    person = factories.ContactFactory(account=mine, name="Ada Lovelace")
    client.force_login(org.csm_a1)
    data = {
        "account": mine.pk,
        "contact": person.pk,
        "category": "value_adding",
        "channel": "call",
        "sentiment": 1,
        "minutes": 10,
        "work_type": "support",
    }
    htmx = client.post(reverse("accounts:interaction_log"), data, HTTP_HX_REQUEST="true")
    assert f'Logged for <a href="{mine.get_absolute_url()}">{mine.name}</a>' in (
        htmx.content.decode()
    )
    plain = client.post(reverse("accounts:interaction_log"), data, follow=True)
    assert f"Interaction logged for {mine.name}." in plain.content.decode()
    assert Interaction.objects.filter(account=mine, contact=person).count() == 2
