"""A real SMTP server (aiosmtpd) on loopback, and a scenario that drops an account to red."""

from datetime import timedelta

import pytest

from tests import factories
from tests.healthscores.conftest import add_interactions, add_ledger
from tests.smtp import smtp_server_running


@pytest.fixture
def smtp_server():
    """GIVEN an SMTP server listening on 127.0.0.1 (a real one: aiosmtpd over TCP)."""
    with smtp_server_running() as mailbox:
        yield mailbox


@pytest.fixture
def smtp_settings(settings, smtp_server):
    """This process sends through the real SMTP server."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_USE_TLS = False
    settings.SITE_URL = "https://csp.example.com"
    return smtp_server


def text_and_html(message) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def green_account(owner, today):
    """An account that scores green on `today - 1`: long goodwill, value delivered weekly."""
    account = factories.AccountFactory(
        owner=owner, contract_start=today - timedelta(days=300), icp_fit=100, name="Globex"
    )
    add_ledger(account, [(today - timedelta(days=200), 100)])
    add_interactions(account, [(today - timedelta(days=d), "value_adding") for d in (3, 10, 17)])
    return account


def turn_bad(account, today) -> None:
    """Today the account loses its fit and its goodwill and escalates five times."""
    account.icp_fit = 0
    account.save(update_fields=["icp_fit"])
    add_ledger(account, [(today, -200)])
    add_interactions(account, [(today, "escalation")] * 5)
