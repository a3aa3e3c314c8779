"""No secrets in the repository: no private keys, cloud or service tokens, or passwords other
than the documented demo and test ones, in any tracked file."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent.parent

PATTERNS = {
    "private key": re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY"),
    "AWS access key": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "Slack token": re.compile(r"\bxox[abpr]-[A-Za-z0-9-]{10,}"),
    "Stripe live key": re.compile(r"\b[sr]k_live_[A-Za-z0-9]{16,}"),
    "Google API key": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    "password in a URL": re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@'\"]+:[^@\s'\"/]{3,}@"),
    "assigned password": re.compile(
        r"""(?i)\b\w*(?:password|passwd|secret_key|api_key)\w*\s*[:=]\s*["']([^"'\s]{8,})["']"""
    ),
}
# Documented non-secrets: the demo logins (README), the test and benchmark fixtures' passwords,
# and the development-only key that production settings refuse to start with.
ALLOWED_VALUES = {
    "demo-pass-2026",
    "correct-horse-battery-9",
    "bench-password-only-for-local-benchmarks",
    "header-check-pass-1",
    "django-insecure-development-key-do-not-use-in-production-0123456789",
}
# Placeholders, and docker-compose.yml's throw-away database user for the local stack.
ALLOWED_URL_USERS = {"user:pass@", "user:password@", "postgres:postgres@", "csplatform:csplatform@"}
SKIP_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".ico", ".pdf", ".woff", ".woff2", ".ttf"}


def tracked_files() -> list[Path]:
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z"], cwd=BASE_DIR, capture_output=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [BASE_DIR / name for name in out.decode().split("\0") if name]


def findings() -> list[str]:
    found = []
    for path in tracked_files():
        if path.suffix.lower() in SKIP_SUFFIXES or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        for lineno, line in enumerate(text.splitlines(), start=1):
            for name, pattern in PATTERNS.items():
                for match in pattern.finditer(line):
                    value = match.group(match.lastindex or 0)
                    if value in ALLOWED_VALUES or any(u in value for u in ALLOWED_URL_USERS):
                        continue
                    if name == "assigned password" and _looks_like_code(value):
                        continue
                    rel = path.relative_to(BASE_DIR)
                    found.append(f"{rel}:{lineno}: {name}")
    return found


def _looks_like_code(value: str) -> bool:
    """Setting names, template variables and placeholders are not secrets."""
    return (
        value.isupper()
        or value.startswith(("{", "$", "<", "%", "settings.", "env("))
        or value in {"password1", "password2", "new_password1", "new_password2"}
        or "example" in value
        or "change-me" in value
    )


def test_no_tracked_file_holds_a_secret():
    """GIVEN every file git tracks WHEN scanned for keys, tokens and passwords THEN only the
    documented demo and test passwords appear."""
    assert findings() == []


def test_the_scanner_catches_a_planted_private_key(tmp_path, monkeypatch):
    """GIVEN a tracked file with a private key and a real-looking password THEN both are
    reported (so a green scan means something)."""
    planted = tmp_path / "leak.env"
    # Assembled from pieces so this test file itself does not trip the scanner.
    key_header = "-----BEGIN RSA " + "PRIVATE KEY-----"
    assignment = "DB_PASSWORD " + "= 'hunter2-prod-9f8e7d'"
    planted.write_text(f"{key_header}\n{assignment}\n")
    module = sys.modules[__name__]
    monkeypatch.setattr(module, "BASE_DIR", tmp_path)
    monkeypatch.setattr(module, "tracked_files", lambda: [planted])
    assert findings() == ["leak.env:1: private key", "leak.env:2: assigned password"]
