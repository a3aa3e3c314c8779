"""The header search: accounts and contacts the user may see, in a bounded number of queries."""

import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


def test_search_finds_my_accounts_and_their_contacts_but_not_other_books(client, org):
    mine = org.accounts["csm_a1"][0]
    mine.name = "Globex Retail"
    mine.save(update_fields=["name"])
    theirs = org.accounts["csm_b1"][0]
    theirs.name = "Globex Foods"
    theirs.save(update_fields=["name"])
    factories.ContactFactory(account=mine, name="Gloria Globex", email="gloria@globex.example")
    factories.ContactFactory(account=theirs, name="Secret Globex", email="s@foods.example")
    client.force_login(org.csm_a1)
    results = client.get(reverse("accounts:search"), {"q": "globex"}).context["results"]
    assert [a.name for a in results["accounts"]] == ["Globex Retail"]
    assert [c.name for c in results["contacts"]] == ["Gloria Globex"]


def test_a_one_letter_search_asks_for_more(client, org):
    client.force_login(org.csm_a1)
    response = client.get(reverse("accounts:search"), {"q": "g"})
    assert response.context["results"]["too_short"]
    assert "at least two characters" in response.content.decode()


def test_every_page_has_the_search_box_in_the_header(client, org):
    client.force_login(org.csm_a1)
    html = client.get(reverse("dashboards:home")).content.decode()
    assert f'action="{reverse("accounts:search")}"' in html and 'id="global-q"' in html


@pytest.mark.parametrize("extra", [0, 40])
def test_search_costs_the_same_queries_for_any_book_size(
    client, org, extra, django_assert_max_num_queries
):
    for i in range(extra):
        account = factories.AccountFactory(owner=org.csm_a1, name=f"Match {i}")
        factories.ContactFactory(account=account, name=f"Match person {i}")
    client.force_login(org.csm_a1)
    # session + user, then one query for the accounts and one for the contacts (capped at 10)
    with django_assert_max_num_queries(4):
        response = client.get(reverse("accounts:search"), {"q": "match"})
    assert len(response.context["results"]["accounts"]) == min(extra, 10)
