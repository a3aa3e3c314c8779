"""One definition of what people write on an account: the account page, the API and the CSV
import accept the same fields and reject the same values with the same rule."""

import pytest
from django.urls import reverse

from accounts.services.imports import csv_import
from tests import factories
from tests.api.conftest import token_client
from users.models import Role

pytestmark = pytest.mark.django_db

# Every value here breaks one of the model's own rules.
BAD = {"discount_pct": "150", "arr": "-5", "hourly_cost": "-1", "seats": "-3"}


def _page_errors(client, account, field, value) -> dict:
    data = {
        "name": account.name,
        "stage": account.stage,
        "arr": "1000",
        "mrr": "100",
        "currency": "USD",
        "hourly_cost": "100",
        "monthly_support_cost": "0",
        "discount_pct": "0",
        field: value,
    }
    response = client.post(reverse("accounts:edit", args=[account.pk]), data)
    assert response.status_code == 200, "the page saved a value the model forbids"
    return response.context["form"].errors


@pytest.mark.parametrize(("field", "value"), list(BAD.items()))
def test_the_page_the_api_and_the_import_reject_the_same_bad_value(client, org, field, value):
    account = org.accounts["csm_a1"][0]
    client.force_login(org.csm_a1)
    assert field in _page_errors(client, account, field, value)

    api = token_client(org.csm_a1)
    response = api.patch(f"/api/v1/accounts/{account.pk}/", {field: value}, format="json")
    assert response.status_code == 400 and field in response.json()["errors"]

    report = csv_import(
        kind="accounts", content=f"external_id,name,{field}\n{account.external_id},X,{value}\n"
    )
    assert not report.committed and field in report.errors[0]["errors"]
    account.refresh_from_db()
    assert str(getattr(account, field)) != value


def test_every_field_the_page_edits_is_writable_through_the_api_and_importable(client, org):
    """GIVEN an admin WHEN the strategy and cost-to-serve fields (once only on the page) come
    through the API and a CSV file THEN both write them, like the page does."""
    account = org.accounts["csm_a1"][0]
    arr_before = account.arr
    api = token_client(org.admin)
    response = api.patch(
        f"/api/v1/accounts/{account.pk}/",
        {"strategy_6m": "Expand to EMEA", "hourly_cost": "80.50", "seats": 40},
        format="json",
    )
    assert response.status_code == 200, response.json()
    report = csv_import(
        kind="accounts",
        content=(
            "Account ID,Company,strategy_18m,monthly_support_cost,discount_pct,currency,arr\n"
            f"{account.external_id},Renamed Co,Be the reference customer,250,12.5,,\n"
        ),
        user=org.admin,
    )
    assert report.ok and report.committed, report.errors
    account.refresh_from_db()
    assert account.name == "Renamed Co"
    assert account.strategy_6m == "Expand to EMEA" and account.seats == 40
    assert account.strategy_18m == "Be the reference customer"
    assert (account.hourly_cost, account.monthly_support_cost, account.discount_pct) == (
        pytest.approx(80.5),
        250,
        pytest.approx(12.5),
    )
    # Empty cells of fields with a default keep what the account had.
    assert account.currency == "USD" and account.arr == arr_before
    client.force_login(org.admin)
    fields = client.get(reverse("accounts:edit", args=[account.pk])).context["form"].fields
    assert {"strategy_18m", "monthly_support_cost", "discount_pct", "seats"} <= set(fields)


def test_the_page_the_api_and_the_import_let_an_admin_assign_the_same_owners(client, org):
    """GIVEN an admin, an active CSM, another admin and a deactivated CSM WHEN each is made an
    account's owner on the page, through the API and by a CSV import THEN all three accept the
    active people and refuse the deactivated one (one rule: account_owner_choices)."""
    account = org.accounts["csm_a1"][0]
    gone = factories.UserFactory(username="gone", role=Role.CSM, is_active=False)
    other_admin = factories.UserFactory(username="root2", role=Role.ADMIN)
    client.force_login(org.admin)
    choices = client.get(reverse("accounts:edit", args=[account.pk])).context["form"]
    choices = set(choices.fields["owner"].queryset)
    api = token_client(org.admin)
    for owner, allowed in ((org.csm_b1, True), (other_admin, True), (gone, False)):
        assert (owner in choices) is allowed, owner
        response = api.patch(f"/api/v1/accounts/{account.pk}/", {"owner": owner.pk}, format="json")
        assert (response.status_code == 200) is allowed, (owner, response.json())
        report = csv_import(
            kind="accounts",
            content=f"external_id,name,owner\n{account.external_id},X,{owner.username}\n",
            user=org.admin,
        )
        assert report.committed is allowed, (owner, report.errors)
        if not allowed:
            assert "owner" in report.errors[0]["errors"]
