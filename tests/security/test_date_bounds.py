"""Every date and datetime input holds to sane years (1900..2200): year 1 and 9999 are a 400
with a field message in the API, a form error on pages, a row error in CSV imports."""

import pytest

from accounts.services.imports import csv_import
from tests.api.conftest import token_client

pytestmark = pytest.mark.django_db

FAR = ["0001-01-01", "9999-12-31", "1899-12-31", "2201-01-01"]


@pytest.mark.parametrize("day", FAR)
def test_api_refuses_a_renewal_date_outside_the_sane_years(org, day):
    api = token_client(org.csm_a1)
    response = api.post(
        "/api/v1/accounts/", {"name": "Far away", "renewal_date": day}, format="json"
    )
    assert response.status_code == 400
    assert "between the years 1900 and 2200" in response.json()["errors"]["renewal_date"][0]


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"])
def test_api_refuses_an_interaction_time_outside_the_sane_years(org, moment):
    api = token_client(org.csm_a1)
    account = org.accounts["csm_a1"][0]
    response = api.post(
        "/api/v1/interactions/",
        {"account": account.pk, "channel": "email", "category": "support_ticket",
         "occurred_at": moment},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400
    assert "occurred_at" in response.json()["errors"]


@pytest.mark.parametrize("query", ["renewal_before=9999-01-01", "renewal_after=0001-01-01"])
def test_api_filters_refuse_dates_outside_the_sane_years(org, query):
    response = token_client(org.csm_a1).get(f"/api/v1/accounts/?{query}")
    assert response.status_code == 400


def test_sane_dates_at_the_edges_are_accepted(org):
    api = token_client(org.csm_a1)
    for day in ("1900-01-01", "2200-12-31"):
        response = api.post(
            "/api/v1/accounts/", {"name": f"Edge {day}", "renewal_date": day}, format="json"
        )
        assert response.status_code == 201, response.json()


def test_page_form_refuses_a_year_9999_plan_start(org):
    from success.forms import PlanStartForm

    account = org.accounts["csm_a1"][0]
    form = PlanStartForm(data={"name": "Plan", "started_on": "9999-01-01"}, account=account)
    assert not form.is_valid()
    assert "between the years 1900 and 2200" in str(form.errors["started_on"])


def test_csv_import_reports_a_year_1_date_as_a_row_error(org):
    csv = "external_id,name,renewal_date\nA-1,Ancient Co,0001-01-01\n"
    result = csv_import(kind="accounts", content=csv, user=org.admin, dry_run=True)
    assert not result.ok
    assert "between the years 1900 and 2200" in str(result.errors)
