"""Who sees which customer accounts: the rule every page and API builds on."""

import pytest

from accounts.models import Account

pytestmark = pytest.mark.django_db


def names(qs):
    return sorted(qs.values_list("name", flat=True))


def test_csm_sees_only_their_own_accounts(org):
    assert names(Account.objects.for_user(org.csm_a1)) == ["csm_a1 account 1", "csm_a1 account 2"]


def test_manager_sees_the_accounts_of_the_teams_they_lead(org):
    visible = names(Account.objects.for_user(org.manager_a))
    assert visible == sorted([f"{u} account {i}" for u in ("csm_a1", "csm_a2") for i in (1, 2)])


def test_manager_of_several_teams_sees_all_of_them(org):
    org.team_b.manager = org.manager_a
    org.team_b.save()
    assert Account.objects.for_user(org.manager_a).count() == 6


def test_admin_sees_every_account(org):
    assert Account.objects.for_user(org.admin).count() == 6


def test_inactive_or_anonymous_users_see_nothing(org):
    from django.contrib.auth.models import AnonymousUser

    org.csm_a1.is_active = False
    assert Account.objects.for_user(org.csm_a1).count() == 0
    assert Account.objects.for_user(AnonymousUser()).count() == 0


def test_csm_cannot_open_another_csms_account_page(client, org):
    client.force_login(org.csm_a1)
    other = org.accounts["csm_b1"][0]
    assert client.get(f"/accounts/{other.pk}/").status_code == 404
    own = org.accounts["csm_a1"][0]
    assert client.get(f"/accounts/{own.pk}/").status_code == 200


def test_account_list_and_home_show_only_visible_accounts(client, org):
    client.force_login(org.csm_a1)
    for url in ("/accounts/", "/"):
        body = client.get(url).content.decode()
        assert "csm_a1 account 1" in body, url
        assert "csm_b1 account 1" not in body, url
        assert "csm_a2 account 1" not in body, url
