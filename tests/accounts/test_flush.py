"""`manage.py flush` empties every table, the append-only ledger included, and leaves the
ledger's guard in place; the test runner's way (no sequence reset) deletes the rows instead of
truncating, with the same result."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import DatabaseError, transaction

from accounts.models import Account, EntrySource, TrustEntry, TrustRule
from accounts.services import trust_entry_append
from tests import factories


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("reset_sequences", [True, False], ids=["truncate", "delete"])
def test_flush_empties_every_table_the_ledger_included_and_keeps_its_guard(reset_sequences):
    account = factories.AccountFactory()
    trust_entry_append(account=account, points=3, reason="Kickoff", source=EntrySource.MANUAL)
    assert TrustRule.objects.exists()  # the data migrations' reference rows

    call_command("flush", interactive=False, verbosity=0, reset_sequences=reset_sequences)

    assert not Account.objects.exists()
    assert not TrustEntry.objects.exists()
    assert not TrustRule.objects.exists()
    assert ContentType.objects.exists()  # put back by post_migrate, as after `migrate`
    entry = trust_entry_append(
        account=factories.AccountFactory(), points=1, reason="After", source=EntrySource.MANUAL
    )
    with pytest.raises(DatabaseError), transaction.atomic():
        TrustEntry.objects.filter(pk=entry.pk).delete()
