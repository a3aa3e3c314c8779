"""The top-10 report: ranking, the last three interactions, the amiss flag, CSV and PDF."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account
from dashboards.selectors.reports import (
    last_interaction_categories,
    something_is_amiss,
)
from tests import factories
from tests.dashboards.conftest import count_queries

pytestmark = pytest.mark.django_db
TOP10 = reverse("dashboards:top10")


@pytest.fixture
def client_manager(client, org):
    client.force_login(org.manager_a)
    return client


@pytest.fixture
def troubled(org):
    """The manager's largest account by LTV: 'transactional', last three c, d, b."""
    now = timezone.now()
    account = factories.AccountFactory(
        owner=org.csm_a1,
        name="Globex Troubled",
        relationship_word="Transactional",
        lifetime_value=Decimal("900000"),
        arr=Decimal("100000"),
        health_score=35,
        health_band="red",
        health_delta_30=-12,
        decay_status="in_decay",
        quadrant="profitable_unhappy",
    )
    for days, category in [(1, "firefighting"), (2, "escalation"), (3, "value_adding")]:
        factories.InteractionFactory(
            account=account, category=category, occurred_at=now - timedelta(days=days)
        )
    factories.InteractionFactory(
        account=account, category="relationship_building", occurred_at=now - timedelta(days=30)
    )
    return account


def _pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_something_is_amiss_needs_a_short_term_word_and_mostly_trouble():
    assert something_is_amiss("transactional", ["firefighting", "escalation", "value_adding"])
    assert something_is_amiss("Price-Driven", ["unvalued_problem", "unvalued_problem"])
    assert not something_is_amiss("partner", ["firefighting", "escalation", "escalation"])
    assert not something_is_amiss("tense", ["firefighting", "value_adding", "value_adding"])
    assert not something_is_amiss("", [])


def test_last_three_categories_come_newest_first_from_one_query(
    troubled, django_assert_num_queries
):
    other = factories.AccountFactory(owner=troubled.owner)
    factories.InteractionFactory(account=other, category="value_adding")
    with django_assert_num_queries(1):
        result = last_interaction_categories([troubled.pk, other.pk])
    assert result[troubled.pk] == ["firefighting", "escalation", "value_adding"]
    assert result[other.pk] == ["value_adding"]


def test_top10_ranks_by_lifetime_value_or_arr_and_keeps_ten(client_manager, org, troubled):
    factories.AccountFactory.create_batch(
        12, owner=org.csm_a2, lifetime_value=Decimal("1000"), arr=Decimal("500000")
    )
    by_ltv = client_manager.get(TOP10).context["report"]
    by_arr = client_manager.get(TOP10, {"by": "arr"}).context["report"]
    assert len(by_ltv["rows"]) == 10 and len(by_arr["rows"]) == 10
    assert by_ltv["rows"][0].account == troubled
    assert troubled not in [r.account for r in by_arr["rows"]]


def test_top10_page_flags_the_account_where_something_is_amiss(client_manager, troubled):
    response = client_manager.get(TOP10)
    row = response.context["report"]["rows"][0]
    assert row.amiss and row.last_categories == ["firefighting", "escalation", "value_adding"]
    body = response.content.decode()
    assert "Something is amiss with 1 account" in body
    assert "Transactional" in body


def test_top10_only_ranks_accounts_the_user_may_see(client_csm, org, troubled):
    factories.AccountFactory(owner=org.csm_b1, lifetime_value=Decimal("9999999"), name="Not mine")
    names = [r.account.name for r in client_csm.get(TOP10).context["report"]["rows"]]
    assert "Not mine" not in names and troubled.name in names


def test_csv_export_has_a_row_per_account_with_the_review_columns(client_manager, troubled):
    response = client_manager.get(reverse("dashboards:top10_csv"))
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 5  # the org's four team-A accounts and the troubled one
    # People read the export: the header is the page's column names, enum values the labels
    # the page shows; amounts and the trend stay plain numbers a spreadsheet can sum and sort.
    assert list(rows[0]) == [
        "Rank", "Account", "CSM", "Relationship", "Last three interactions", "Lifetime value",
        "ARR", "Currency", "Health", "Health band", "Trend (30 days)", "Decay", "Decay score",
        "Quadrant", "Something is amiss",
    ]  # fmt: skip
    first = rows[0]
    assert first["Account"] == "Globex Troubled"
    assert first["Relationship"] == "Transactional"
    assert first["Last three interactions"] == "Firefighting | Escalation | Value adding"
    assert first["Lifetime value"] == "900000.00"
    assert first["Health"] == "35" and first["Health band"] == "Red"
    assert first["Trend (30 days)"] == "-12"
    assert first["Decay"] == "In decay"
    assert first["Quadrant"] == "Profitable, unhappy"
    assert first["Something is amiss"] == "yes"
    assert rows[1]["Something is amiss"] == "no"


def test_csv_export_defuses_spreadsheet_formulas_in_names(client_manager, org):
    factories.AccountFactory(owner=org.csm_a1, name="=HYPERLINK(1)", lifetime_value=Decimal("1e7"))
    rows = list(
        csv.reader(
            io.StringIO(client_manager.get(reverse("dashboards:top10_csv")).content.decode())
        )
    )
    assert rows[1][1] == "'=HYPERLINK(1)"


def test_pdf_export_reads_like_a_report(client_manager, org, troubled):
    response = client_manager.get(reverse("dashboards:top10_pdf"), {"by": "arr"})
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = _pdf_text(response.content)
    assert "Top-10 accounts by arr" in text
    assert f"Prepared for {org.manager_a.display_name}" in text
    assert "Globex Troubled" in text
    assert "Transactional" in text
    assert "Something is amiss" in text
    assert "How to read this report" in text
    assert "Page 1 of 1" in text


def test_top10_with_no_accounts_shows_an_empty_state(client, db):
    client.force_login(factories.UserFactory(role="manager"))
    assert "No active accounts to rank yet" in client.get(TOP10).content.decode()
    assert client.get(reverse("dashboards:top10_pdf")).status_code == 200


def test_reports_index_links_the_top10_report_and_exports(client_manager):
    body = client_manager.get(reverse("dashboards:reports")).content.decode()
    assert reverse("dashboards:top10") in body
    assert reverse("dashboards:top10_pdf") in body


def test_top10_query_count_does_not_grow_with_the_portfolio(client_manager, org, grow_book):
    # Budget: session + user, the ten accounts, their last interactions (one window query),
    # their health history.
    small = count_queries(client_manager, TOP10)
    grow_book(org.csm_a2, 30, lifetime_value=Decimal("5000"))
    Account.objects.update(relationship_word="tense")
    large = count_queries(client_manager, TOP10)
    assert large == small
    assert large <= 6


def test_reports_index_needs_no_queries_beyond_the_session(client_manager):
    assert count_queries(client_manager, reverse("dashboards:reports")) <= 2
