import pytest

from tests import factories


@pytest.fixture
def account(db):
    return factories.AccountFactory()
