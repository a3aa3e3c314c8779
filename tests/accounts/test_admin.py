"""The Django admin shows the ledger and the derived numbers but cannot bend them."""

import pytest

from accounts.models import Account, TrustEntry
from accounts.services import trust_entry_append

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, org):
    org.admin.is_staff = org.admin.is_superuser = True
    org.admin.save(update_fields=["is_staff", "is_superuser"])
    client.force_login(org.admin)
    return client


def test_an_admin_cannot_edit_an_accounts_goodwill_balance_or_ledger_seq(admin_client, org):
    """GIVEN an account with goodwill 7 at seq 1 WHEN an admin saves its admin form with a
    balance of 999 and seq 42 THEN the form has no such inputs and the numbers stay."""
    account = org.accounts["csm_a1"][0]
    trust_entry_append(account=account, points=7, reason="kickoff", source="manual")
    url = f"/admin/accounts/account/{account.pk}/change/"
    page = admin_client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert "goodwill_balance" not in form.fields and "ledger_seq" not in form.fields
    data = {
        name: value
        for name, value in form.initial.items()
        if name in form.fields and value is not None
    }
    data.update(goodwill_balance=999, ledger_seq=42, name="Renamed")
    data = {k: (v.pk if hasattr(v, "pk") else v) for k, v in data.items()}
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    account.refresh_from_db()
    assert account.name == "Renamed"
    assert (account.goodwill_balance, account.ledger_seq) == (7, 1)


def test_the_admin_shows_ledger_entries_but_cannot_add_change_or_delete_them(admin_client, org):
    account = org.accounts["csm_a1"][0]
    entry = trust_entry_append(account=account, points=5, reason="kickoff", source="manual")
    assert admin_client.get("/admin/accounts/trustentry/").status_code == 200
    view = admin_client.get(f"/admin/accounts/trustentry/{entry.pk}/change/")
    assert view.status_code == 200 and b'name="balance_after"' not in view.content
    posted = admin_client.post(
        f"/admin/accounts/trustentry/{entry.pk}/change/", {"points": 500, "balance_after": 500}
    )
    assert posted.status_code == 403
    assert admin_client.get("/admin/accounts/trustentry/add/").status_code == 403
    assert admin_client.post(f"/admin/accounts/trustentry/{entry.pk}/delete/").status_code == 403
    entry.refresh_from_db()
    assert (entry.points, entry.balance_after) == (5, 5)
    assert Account.objects.get(pk=account.pk).goodwill_balance == 5
    assert TrustEntry.objects.count() == 1
