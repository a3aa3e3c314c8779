"""CSV import from a CRM: all rows or none, every bad row reported with its line."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import Account, Contact, Interaction, TrustEntry
from accounts.services.imports import csv_import
from tests import factories

pytestmark = pytest.mark.django_db

ACCOUNTS_CSV = """\
Account ID,Account Name,Industry,Employees,Region,Segment,Stage,Owner,ARR,Renewal,Unused
crm-1,Alpha Labs,SaaS,250,EMEA,Mid-Market,adoption,{owner},"48,000",2027-03-01,x
crm-2,Beta Foods,Retail,80,NA,,prospect,,0,,y
"""


@pytest.fixture
def owner(db):
    factories.SegmentFactory(name="Mid-Market")
    return factories.UserFactory(username="casey")


def test_a_valid_accounts_file_imports_every_row_with_starting_trust(owner, tmp_path):
    report = csv_import(kind="accounts", content=ACCOUNTS_CSV.format(owner="casey"))
    assert report.ok and report.committed and (report.created, report.updated) == (2, 0)
    alpha = Account.objects.get(external_id="crm-1")
    assert (alpha.owner, alpha.segment.name, alpha.arr, alpha.employee_count) == (
        owner,
        "Mid-Market",
        48000,
        250,
    )
    assert alpha.goodwill_balance == 10  # a customer extends a little trust
    assert Account.objects.get(external_id="crm-2").ledger_seq == 0  # a prospect does not
    assert report.ignored_columns == ["unused"]
    again = csv_import(kind="accounts", content=ACCOUNTS_CSV.format(owner="casey"))
    assert (again.created, again.updated) == (0, 2)
    assert Account.objects.count() == 2 and TrustEntry.objects.count() == 1


def test_a_malformed_accounts_file_changes_nothing_and_reports_each_bad_row(owner):
    """GIVEN a file with a good row and four bad ones WHEN imported THEN nothing is written
    and every bad row is reported with its line number and column."""
    content = (
        "external_id,name,stage,owner,arr,renewal_date,employee_count\n"
        "ok-1,Fine Co,adoption,casey,1000,2027-01-01,10\n"  # line 2
        "bad-1,Bad Stage,sleeping,,1000,,\n"  # line 3
        "bad-2,Who Owns,adoption,nobody,1000,,\n"  # line 4
        "bad-3,Neg,adoption,,-5,2027-13-45,\n"  # line 5
        ",No Id,adoption,,,,many\n"  # line 6
    )
    report = csv_import(kind="accounts", content=content)
    assert not report.committed
    assert Account.objects.count() == 0 and TrustEntry.objects.count() == 0
    by_line = {e["line"]: e["errors"] for e in report.errors}
    assert sorted(by_line) == [3, 4, 5, 6]
    assert "stage" in by_line[3]
    assert "owner" in by_line[4]
    assert {"arr", "renewal_date"} <= set(by_line[5])
    assert {"external_id", "employee_count"} <= set(by_line[6])


def test_rows_with_the_wrong_number_of_columns_are_reported_by_line(owner):
    content = "external_id,name\nok,Fine\nbad,Too,Many\n"
    report = csv_import(kind="accounts", content=content)
    assert [e["line"] for e in report.errors] == [3]
    assert Account.objects.count() == 0


def test_missing_required_columns_are_reported_on_the_header_line():
    report = csv_import(kind="interactions", content="account,summary\nx,y\n")
    assert report.errors[0]["line"] == 1 and "category" in report.errors[0]["errors"]["header"][0]


def test_interactions_import_appends_ledger_entries_and_is_idempotent():
    account = factories.AccountFactory(external_id="acc-1")
    factories.ContactFactory(account=account, external_id="p-1")
    content = (
        "Activity ID,Account ID,Date,Type,Category,Sentiment,Severity,Contact ID,Duration Minutes\n"
        "a1,acc-1,2026-01-05 10:00,Call,b,2,,p-1,30\n"
        "a2,acc-1,2026-01-06,ticket,Escalation,-1,4,,45\n"
    )
    report = csv_import(kind="interactions", content=content)
    assert report.committed and report.created == 2
    account.refresh_from_db()
    assert account.goodwill_balance == 5 - 40
    csv_import(kind="interactions", content=content)
    assert Interaction.objects.count() == 2 and TrustEntry.objects.count() == 2


def test_a_bad_interaction_row_blocks_the_whole_file():
    factories.AccountFactory(external_id="acc-1")
    content = (
        "external_id,account,occurred_at,channel,category,severity\n"
        "a1,acc-1,2026-01-05,call,value_adding,\n"
        "a2,acc-1,2026-01-06,call,escalation,\n"  # escalation needs a severity
        "a3,acc-404,2026-01-06,call,value_adding,\n"  # unknown account
        "a4,acc-1,yesterday,pigeon,value_adding,\n"  # bad date and channel
    )
    report = csv_import(kind="interactions", content=content)
    by_line = {e["line"]: e["errors"] for e in report.errors}
    assert sorted(by_line) == [3, 4, 5]
    assert "severity" in by_line[3] and "account" in by_line[4]
    assert {"occurred_at", "channel"} <= set(by_line[5])
    assert not Interaction.objects.exists() and not TrustEntry.objects.exists()


def test_a_csm_can_only_import_into_their_own_accounts(org):
    mine = org.accounts["csm_a1"][0]
    theirs = org.accounts["csm_b1"][0]
    content = f"account,name\n{mine.external_id},Pat\n{theirs.external_id},Sam\n"
    report = csv_import(kind="contacts", content=content, user=org.csm_a1)
    assert [e["line"] for e in report.errors] == [3]
    assert not Contact.objects.exists()


def test_dry_run_writes_nothing_and_previews_actions():
    factories.AccountFactory(external_id="acc-1")
    report = csv_import(
        kind="contacts", content="account,name,is_champion\nacc-1,Pat,yes\n", dry_run=True
    )
    assert report.ok and not report.committed and report.created == 1
    assert report.preview[0]["action"] == "create" and not Contact.objects.exists()


def test_import_command_exits_nonzero_and_reports_lines(tmp_path):
    factories.AccountFactory(external_id="acc-1")
    path = tmp_path / "contacts.csv"
    path.write_text("account,name,email\nacc-1,Pat,pat@example.com\nacc-1,,not-an-email\n")
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_csv", "contacts", str(path), stderr=err, stdout=io.StringIO())
    assert "line 3" in err.getvalue()
    assert not Contact.objects.exists()
    path.write_text("account,name,email\nacc-1,Pat,pat@example.com\n")
    out = io.StringIO()
    call_command("import_csv", "contacts", str(path), "--dry-run", stdout=out)
    assert "dry run" in out.getvalue() and not Contact.objects.exists()
    call_command("import_csv", "contacts", str(path), stdout=io.StringIO())
    assert Contact.objects.get().email == "pat@example.com"


def test_import_command_reports_a_missing_file():
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_csv", "accounts", "/nonexistent.csv")
