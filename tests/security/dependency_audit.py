"""CI's dependency audit: `python -m tests.security.dependency_audit [requirements files]`.

Runs pip-audit on the pinned requirements. Exits 1 when any package has a known
vulnerability. When no vulnerability service answers (these machines reach PyPI's package
index but not its vulnerability data, so pip-audit skips every package as "not found"), it
prints one clear line — "audit could not run: no vulnerability service" — and exits 0, so
a missing service never passes for a clean audit nor blocks CI.
"""

import json
import os
import shutil
import subprocess
import sys

UNREACHABLE = "audit could not run: no vulnerability service"


def audit(requirements: list[str]) -> int:
    # CI calls this as `.venv/bin/python -m ...` without the venv on PATH: look beside the
    # interpreter first, so an installed pip-audit is never reported missing.
    search = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])
    pip_audit = shutil.which("pip-audit", path=search)
    if pip_audit is None:
        print(
            "audit could not run: pip-audit is not installed (pip install -r requirements-dev.txt)"
        )
        return 0
    args = [pip_audit, "--format", "json", "--progress-spinner", "off"]
    for path in requirements:
        args += ["-r", path]
    done = subprocess.run(args, capture_output=True, text=True, timeout=900)  # noqa: S603
    try:
        report = json.loads(done.stdout or "{}")
    except json.JSONDecodeError:
        report = {}
    dependencies = report.get("dependencies", [])
    if not dependencies:
        print(f"{UNREACHABLE} (pip-audit exited {done.returncode}: {done.stderr.strip()[-300:]})")
        return 0
    vulnerable = [d for d in dependencies if d.get("vulns")]
    audited = [d for d in dependencies if "skip_reason" not in d]
    for dep in vulnerable:
        ids = ", ".join(v.get("id", "?") for v in dep["vulns"])
        print(f"VULNERABLE {dep['name']} {dep.get('version', '')}: {ids}")
    if vulnerable:
        print(f"dependency audit failed: {len(vulnerable)} vulnerable package(s)")
        return 1
    if not audited:
        reason = dependencies[0]["skip_reason"]
        print(f"{UNREACHABLE} ({len(dependencies)} packages skipped: {reason})")
        return 0
    skipped = len(dependencies) - len(audited)
    print(
        f"dependency audit: 0 known vulnerabilities in {len(audited)} packages ({skipped} skipped)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(audit(sys.argv[1:] or ["requirements.txt"]))
