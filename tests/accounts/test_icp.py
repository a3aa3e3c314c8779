"""ICP fit: the weight share of criteria met, with edge cases, recomputed in bulk."""

import pytest

from accounts.models import Account
from accounts.services import account_create, account_update, icp_scores_refresh
from accounts.services.config import icp_criterion_save
from tests import factories
from tests.factories import IcpCriterionFactory, IdealCustomerProfileFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def default_icp(db):
    icp = IdealCustomerProfileFactory(name="Core", is_default=True, good_fit_threshold=70)
    IcpCriterionFactory(
        icp=icp, attribute="industry", operator="in", value=["SaaS", "fintech"], weight=3
    )
    IcpCriterionFactory(
        icp=icp, attribute="employee_count", operator="between", value=[100, None], weight=1
    )
    IcpCriterionFactory(icp=icp, attribute="region", operator="in", value=["EMEA"], weight=1)
    return icp


def scored(**fields) -> Account:
    account = factories.AccountFactory(**fields)
    icp_scores_refresh(account_ids=[account.pk])
    account.refresh_from_db()
    return account


def test_fit_is_the_weight_share_of_criteria_met(default_icp):
    account = scored(industry="Fintech", employee_count=50, region="EMEA")
    assert account.icp_fit == 80  # (3 + 1) of 5
    assert account.icp_good_fit is True
    assert [m["criterion"] for m in account.icp_detail["missed"]] == ["Employee count 100 or more"]
    assert account.icp_detail["icp"] == "Core"


def test_a_missing_attribute_counts_as_missed(default_icp):
    account = scored(industry="", employee_count=None, region="EMEA")
    assert account.icp_fit == 20
    assert account.icp_good_fit is False
    assert {m["actual"] for m in account.icp_detail["missed"]} == {None}


@pytest.mark.parametrize(
    ("bounds", "employees", "met"),
    [
        ([100, None], 100, True),
        ([100, None], 99, False),
        ([None, 500], 500, True),
        ([None, 500], 501, False),
        ([100, 500], 300, True),
        ([None, None], 1, True),
    ],
)
def test_between_is_inclusive_with_open_ends(bounds, employees, met):
    icp = IdealCustomerProfileFactory(is_default=True)
    IcpCriterionFactory(icp=icp, attribute="employee_count", operator="between", value=bounds)
    assert scored(employee_count=employees).icp_fit == (100 if met else 0)


def test_an_icp_without_criteria_leaves_accounts_unscored():
    IdealCustomerProfileFactory(is_default=True)
    account = scored()
    assert account.icp_fit is None and account.icp_good_fit is None
    assert "no criteria" in account.icp_detail["note"]


def test_no_icp_means_no_score():
    account = scored()
    assert (account.icp_fit, account.icp_good_fit, account.icp_detail) == (None, None, {})


def test_the_segments_active_icp_wins_over_the_default(default_icp):
    segment = factories.SegmentFactory(name="Enterprise")
    strict = IdealCustomerProfileFactory(name="Ent", segment=segment, good_fit_threshold=90)
    IcpCriterionFactory(icp=strict, attribute="arr", operator="gte", value=500000)
    big = scored(segment=segment, arr=600000)
    small = scored(segment=segment, arr=100000)
    assert (big.icp_fit, small.icp_fit) == (100, 0)
    assert small.icp_detail["icp"] == "Ent"
    strict.is_active = False
    strict.save()
    icp_scores_refresh()
    small.refresh_from_db()
    assert small.icp_detail["icp"] == "Core"


def test_custom_attribute_and_not_in_criteria():
    icp = IdealCustomerProfileFactory(is_default=True)
    IcpCriterionFactory(
        icp=icp, attribute="custom", custom_key="uses_sso", operator="eq", value="yes"
    )
    IcpCriterionFactory(icp=icp, attribute="region", operator="not_in", value=["LATAM"])
    assert scored(custom_attributes={"uses_sso": "Yes"}, region="EMEA").icp_fit == 100
    assert scored(custom_attributes={}, region="LATAM").icp_fit == 0


def test_changing_a_criterion_rescores_every_account(
    default_icp, django_capture_on_commit_callbacks
):
    account = scored(industry="Retail", employee_count=500, region="EMEA")
    assert account.icp_fit == 40
    criterion = default_icp.criteria.get(attribute="industry")
    criterion.value = ["Retail"]
    with django_capture_on_commit_callbacks(execute=True):
        icp_criterion_save(criterion=criterion)  # rescoring is enqueued after commit
    account.refresh_from_db()
    assert account.icp_fit == 100


def test_account_services_score_on_create_and_on_change(default_icp):
    owner = factories.UserFactory()
    account = account_create(
        name="Newco", industry="SaaS", employee_count=300, region="EMEA", owner=owner
    )
    assert account.icp_fit == 100
    assert account.goodwill_balance == 10 and account.ledger_seq == 1  # starting trust
    account = account_update(account=account, industry="Mining")
    assert account.icp_fit == 40 and account.icp_good_fit is False
    assert account.goodwill_balance == 10


def test_a_prospect_gets_no_starting_trust_until_signed(default_icp):
    prospect = account_create(name="Maybe", stage="prospect", industry="SaaS")
    assert prospect.ledger_seq == 0 and prospect.icp_fit is not None
    signed = account_update(account=prospect, stage="onboarding")
    assert signed.goodwill_balance == 10
