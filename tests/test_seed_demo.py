"""The demo organisation is realistic and safe to seed twice."""

import io

import pytest
from django.core.management import call_command

from accounts.models import Account
from users.models import User

pytestmark = pytest.mark.django_db


def test_seed_demo_twice_creates_the_same_organisation_once():
    out = io.StringIO()
    call_command("seed_demo", "--accounts", "30", stdout=out)
    first = (User.objects.count(), Account.objects.count())
    call_command("seed_demo", "--accounts", "30", stdout=io.StringIO())
    assert (User.objects.count(), Account.objects.count()) == first
    assert first[1] == 30
    assert "alice" in out.getvalue() and "demo-pass-2026" in out.getvalue()
    alice = User.objects.get(username="alice")
    assert alice.check_password("demo-pass-2026")
    assert Account.objects.for_user(alice).exists()
    assert Account.objects.exclude(owner=alice).filter(owner__team=alice.team).exists()
