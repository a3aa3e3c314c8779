"""The CI audit step fails on a real vulnerability and says so plainly when it cannot run."""

import json
import os
import subprocess
import sys
from types import SimpleNamespace

import pytest

from tests.security import dependency_audit


def fake_pip_audit(monkeypatch, dependencies: list[dict]) -> None:
    monkeypatch.setattr(
        dependency_audit.shutil, "which", lambda name, path=None: "/usr/bin/pip-audit"
    )

    def run(args, **kwargs):
        return SimpleNamespace(
            returncode=1 if any(d.get("vulns") for d in dependencies) else 0,
            stdout=json.dumps({"dependencies": dependencies, "fixes": []}),
            stderr="",
        )

    monkeypatch.setattr(dependency_audit.subprocess, "run", run)


def test_a_reported_vulnerability_fails_the_audit(monkeypatch, capsys):
    """GIVEN pip-audit reports a CVE for a pinned package THEN the step exits 1 naming it."""
    fake_pip_audit(
        monkeypatch,
        [
            {"name": "django", "version": "5.2.0", "vulns": [{"id": "PYSEC-2099-1"}]},
            {"name": "celery", "version": "5.5.0", "vulns": []},
        ],
    )
    assert dependency_audit.audit(["requirements.txt"]) == 1
    assert "VULNERABLE django 5.2.0: PYSEC-2099-1" in capsys.readouterr().out


def test_no_vulnerability_service_is_reported_without_failing(monkeypatch, capsys):
    """GIVEN every package was skipped because no vulnerability data could be fetched
    THEN the step prints 'audit could not run: no vulnerability service' and exits 0."""
    fake_pip_audit(
        monkeypatch,
        [
            {
                "name": "django",
                "skip_reason": "Dependency not found on PyPI and could not be audited",
            }
        ],
    )
    assert dependency_audit.audit(["requirements.txt"]) == 0
    assert capsys.readouterr().out.startswith("audit could not run: no vulnerability service")


def test_a_clean_audit_says_how_many_packages_it_checked(monkeypatch, capsys):
    fake_pip_audit(monkeypatch, [{"name": "django", "version": "5.2.19", "vulns": []}])
    assert dependency_audit.audit(["requirements.txt"]) == 0
    assert "0 known vulnerabilities in 1 packages" in capsys.readouterr().out


def test_pip_audit_missing_is_not_a_crash(monkeypatch, capsys):
    monkeypatch.setattr(dependency_audit.shutil, "which", lambda name, path=None: None)
    assert dependency_audit.audit(["requirements.txt"]) == 0
    assert "audit could not run" in capsys.readouterr().out


def test_the_audit_finds_pip_audit_beside_the_interpreter_without_path(monkeypatch, capsys):
    """GIVEN the step is run as `.venv/bin/python -m ...` with the venv's bin not on PATH (as
    CI runs it) THEN it runs the venv's own pip-audit instead of reporting it missing. (The
    real audit, a venv and a pip install of every requirement, is `make security`'s step.)"""
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    ran = []

    def run(args, **kwargs):
        ran.append(args)
        report = {"dependencies": [{"name": "django", "version": "5.2.19", "vulns": []}]}
        return SimpleNamespace(returncode=0, stdout=json.dumps(report), stderr="")

    monkeypatch.setattr(dependency_audit.subprocess, "run", run)
    assert dependency_audit.audit(["requirements.txt"]) == 0
    beside = os.path.join(os.path.dirname(sys.executable), "pip-audit")
    assert os.access(beside, os.X_OK)
    assert [args[0] for args in ran] == [beside]
    assert "0 known vulnerabilities in 1 packages" in capsys.readouterr().out


@pytest.mark.slow
def test_the_real_audit_step_runs_to_a_verdict():
    """The real pip-audit on requirements.txt ends with a verdict line, never a traceback."""
    done = subprocess.run(
        ["python", "-m", "tests.security.dependency_audit", "requirements.txt"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert "Traceback" not in done.stderr
    assert (
        done.stdout.strip().splitlines()[-1].startswith(("audit could not run", "dependency audit"))
    )
