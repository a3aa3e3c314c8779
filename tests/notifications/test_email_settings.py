"""Mail settings come from the environment: EMAIL_URL, or EMAIL_HOST & co.; neither is the
console. Checked by sending through a real SMTP server from a fresh process."""

import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]


def manage(*args, **env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("EMAIL_")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_email_host_settings_send_through_that_smtp_server(smtp_server):
    result = manage(
        "sendtestemail",
        "ops@csp.example.com",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_server.port),
        DEFAULT_FROM_EMAIL="alerts@csp.example.com",
    )
    assert result.returncode == 0, result.stderr
    assert smtp_server.wait_for(lambda item: True, timeout=10)
    recipients, message = smtp_server.received[0]
    assert recipients == ["ops@csp.example.com"]
    assert message["From"] == "alerts@csp.example.com"


def test_without_mail_settings_e_mails_are_printed_on_the_console(smtp_server):
    result = manage("sendtestemail", "ops@csp.example.com")
    assert result.returncode == 0, result.stderr
    assert "To: ops@csp.example.com" in result.stdout
    assert smtp_server.received == []


def test_tls_and_ssl_together_stop_with_one_clear_line():
    result = manage("check", EMAIL_HOST="smtp.example.com", EMAIL_USE_TLS="1", EMAIL_USE_SSL="1")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "configuration error: EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be on"
    )
