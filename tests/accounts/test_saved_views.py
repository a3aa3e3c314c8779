"""Saved views of the Accounts list: named filters and sort, per user."""

import pytest
from django.urls import reverse

from accounts.models import SavedView

pytestmark = pytest.mark.django_db


def test_a_csm_saves_the_current_filters_and_sort_and_comes_back_to_them(client, org):
    """GIVEN a CSM looking at all accounts sorted by ARR, on page 2
    WHEN they save the view as "Biggest first"
    THEN it is listed for them, keeps the filters and sort (not the page), and opens them."""
    client.force_login(org.csm_a1)
    response = client.post(
        reverse("accounts:saved_view_create"),
        {"name": "  Biggest   first ", "query": "status=all&sort=-arr&page=2&evil=1"},
    )
    view = SavedView.objects.get(user=org.csm_a1)
    assert (view.name, view.query) == ("Biggest first", "sort=-arr&status=all")
    assert response["Location"] == f"{reverse('accounts:list')}?sort=-arr&status=all"
    page = client.get(response["Location"])
    assert [v.name for v in page.context["saved_views"]] == ["Biggest first"]
    assert 'aria-current="true">Biggest first' in page.content.decode()


def test_saving_under_an_existing_name_overwrites_it(client, org):
    client.force_login(org.csm_a1)
    url = reverse("accounts:saved_view_create")
    client.post(url, {"name": "Mine", "query": "sort=arr"})
    client.post(url, {"name": "Mine", "query": "sort=-health"})
    assert list(SavedView.objects.values_list("query", flat=True)) == ["sort=-health"]


def test_a_view_without_a_name_is_refused_with_a_message(client, org):
    client.force_login(org.csm_a1)
    response = client.post(reverse("accounts:saved_view_create"), {"name": " ", "query": ""})
    assert response.status_code == 302 and not SavedView.objects.exists()
    assert "Give the view a name." in client.get(response["Location"]).content.decode()


def test_views_are_private_to_their_owner(client, org):
    theirs = SavedView.objects.create(user=org.csm_b1, name="Theirs", query="sort=arr")
    client.force_login(org.csm_a1)
    assert client.get(reverse("accounts:list")).context["saved_views"] == []
    response = client.post(reverse("accounts:saved_view_delete", args=[theirs.pk]))
    assert response.status_code == 404 and SavedView.objects.filter(pk=theirs.pk).exists()
    client.force_login(org.csm_b1)
    client.post(reverse("accounts:saved_view_delete", args=[theirs.pk]))
    assert not SavedView.objects.exists()


@pytest.mark.parametrize("views", [0, 15])
def test_the_accounts_list_costs_the_same_queries_with_saved_views(
    client, org, views, django_assert_max_num_queries
):
    for i in range(views):
        SavedView.objects.create(user=org.csm_a1, name=f"View {i}", query=f"sort=arr&q={i}")
    client.force_login(org.csm_a1)
    # session + user, the count and the page of accounts (owner, segment joined), the
    # segment and CSM choices of the filters, the user's views
    with django_assert_max_num_queries(7):
        client.get(reverse("accounts:list"), {"sort": "-arr", "status": "all"})
