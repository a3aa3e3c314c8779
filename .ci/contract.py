"""`make contract`: the API contract as an integrator meets it, against a live server.

1. A fresh PostgreSQL database next to DATABASE_URL's (`<name>_contract`): migrate, seed the
   demo, and make two API tokens: a CSM's (alice: read, write, ingest) and an admin's (all
   scopes).
2. Serve it with gunicorn under production settings (tasks run in-process, no worker needed).
3. Schemathesis (the CLI, all checks, phases examples, coverage, fuzzing and stateful, using
   the links the schema declares) against /api/schema/: the CSM's token on every operation a
   CSM may use (all but ADMIN_PATHS and ADMIN_OPERATIONS), then the admin's on every
   operation (what an admin sees: every account, every owner, the configuration and the
   admin-only operations). The NOT_FUZZED ones (cross-field rules) are fuzzed by the suite
   instead (tests/api/test_fuzz.py); .ci/schemathesis.toml leaves the positive-data check out
   for the one operation whose only cross-field rule is a date order. Any failure fails.
4. (Run first, on the fresh data.) openapi-python-client generates a client from
   /api/schema/, and the CRM-sync walkthrough of docs/API.md (the ```python block after
   `<!-- contract: walkthrough -->`) runs through it exactly as written.
5. (Also before the fuzzers.) Every ```sh block of docs/API.md that calls curl runs, in
   order, as one bash script against the server (docs/API.md's base URL replaced by the live
   one, `$CSP` set to the admin's token); each curl must answer the status its `# NNN`
   comment documents (2xx where none is given).
6. (Last: some of them delete.) The hostile requests of tests/api/hostile.py (deep, invalid
   Unicode and NUL-laden bodies, bad cursors and page sizes, wrong content types, odd paths,
   every method on every path) go over real sockets with the admin's token: every answer must
   be JSON in the documented error shape, none a 5xx, an undeclared method a 405.

Environment: DATABASE_URL names the server; CONTRACT_MAX_EXAMPLES (default: the toml's) bounds the
examples per operation and phase, CONTRACT_SKIP (comma list of fuzz, client, docs, hostile)
leaves a part out while working on another, CONTRACT_FUZZ_RUNS (csm, admin-all; default both)
picks the schemathesis runs. Reports go to artifacts/contract/.
"""

from __future__ import annotations

import http.client
import os
import re
import resource
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

import psycopg2
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.api.hostile import hostile_requests, problem  # noqa: E402 - needs ROOT on the path
from tests.api.operations import CROSS_FIELD_OPERATIONS  # noqa: E402 - needs ROOT on the path

ARTIFACTS = ROOT / "artifacts" / "contract"
BIN = Path(sys.executable).parent
MAX_EXAMPLES = os.environ.get("CONTRACT_MAX_EXAMPLES")  # default: .ci/schemathesis.toml
SKIP = set(filter(None, os.environ.get("CONTRACT_SKIP", "").split(",")))
# Which schemathesis runs (by token) to make: both unless told (a quicker loop on one while
# working on it).
FUZZ_RUNS = set(filter(None, os.environ.get("CONTRACT_FUZZ_RUNS", "csm,admin-all").split(",")))
DOCS = ROOT / "docs" / "API.md"
DOCS_BASE = "http://127.0.0.1:8000"
WALKTHROUGH_MARK = "<!-- contract: walkthrough -->"
# Operations only an admin's token may use: the CSM run would see them answer 403 (left out of
# it); the admin-all run fuzzes them (by path).
ADMIN_PATHS = (
    "/api/v1/segments/",
    "/api/v1/icp-profiles/",
    "/api/v1/scorecards/",
    "/api/v1/scorecard-versions/",
    "/api/v1/scorecard-measures/",
    "/api/v1/score-runs/",
    "/api/v1/score-validation/",
    "/api/v1/score-backtests/",
    "/api/v1/webhooks/",
)
# Operations on a CSM's own resources that only an admin may use (archive, restore, delete,
# erase): fuzzed with the admin's token too, and left out of the CSM's run (where all they can
# answer is 403).
ADMIN_OPERATIONS = (
    "accounts_archived_list",
    "accounts_destroy",
    "accounts_external_destroy",
    "accounts_restore_create",
    "accounts_external_restore_create",
    "contacts_erase_create",
    "contacts_external_erase_create",
)


# Operations whose rules tie request fields together, which JSON Schema cannot state, so a
# schema-valid request can still be refused with a 400 (tests/api/operations.py). Listed in the
# report rather than hidden; the suite fuzzes them (tests/api/test_fuzz.py) with every check but
# positive-data acceptance, and their rules have their own tests.
NOT_FUZZED = CROSS_FIELD_OPERATIONS


def log(message: str) -> None:
    print(f"contract: {message}", flush=True)


def fail(message: str) -> None:
    log(f"FAILED: {message}")
    sys.exit(1)


def database_url() -> str:
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/csplatform")
    parsed = urlparse(base)
    if not parsed.scheme.startswith("postgres"):
        fail("DATABASE_URL must point at PostgreSQL")
    return parsed._replace(path=f"{parsed.path.rstrip('/')}_contract").geturl()


def recreate_database(url: str) -> None:
    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    if not name.endswith("_contract"):
        fail(f"refusing to recreate {name!r}: the contract database name ends in '_contract'")
    connection = psycopg2.connect(
        host=parsed.hostname,
        port=parsed.port or 5432,
        user=parsed.username,
        password=parsed.password,
        dbname="postgres",
    )
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()


def run(args: list[str], *, env: dict, timeout: int, step: str, cwd: Path = ROOT) -> str:
    started = time.monotonic()
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        print(result.stdout[-6000:], result.stderr[-6000:], sep="\n", file=sys.stderr)
        fail(f"{step} exited with {result.returncode}")
    log(f"{step}: ok in {time.monotonic() - started:.1f}s")
    return result.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def schemathesis(
    base: str,
    token: str,
    *,
    label: str,
    include: list[str],
    exclude: list[str],
    include_ids: tuple[str, ...] = (),
    exclude_ids: tuple[str, ...] = (),
    phases: str = "examples,coverage,fuzzing,stateful",
):
    """One schemathesis CLI run; returns (exit code, summary line)."""
    report = ARTIFACTS / f"schemathesis-{label}"
    args = [
        str(BIN / "schemathesis"),
        "--config-file",
        str(ROOT / ".ci" / "schemathesis.toml"),
        "run",
        f"{base}/api/schema/?format=json",
        "--url",
        base,
        "-H",
        f"Authorization: Bearer {token}",
        # All checks, by the toml (not `--checks all`, which would override its per-operation
        # exceptions).
        "--phases",
        phases,
        "--generation-deterministic",
        # One worker: two threads compiling at once trip a CPython 3.11 bug ("AST constructor
        # recursion depth mismatch") inside the generator.
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--no-color",
        "--report",
        "junit,ndjson",
        "--report-dir",
        str(report),
    ]
    if MAX_EXAMPLES:
        args += ["--max-examples", MAX_EXAMPLES]
    if include:
        args += ["--include-path-regex", "^(" + "|".join(re.escape(p) for p in include) + ")"]
    if exclude:
        args += ["--exclude-path-regex", "^(" + "|".join(re.escape(p) for p in exclude) + ")"]
    # Exact operation ids add to the path selection (filters of one kind are alternatives).
    for operation_id in include_ids:
        args += ["--include-operation-id", operation_id]
    for operation_id in exclude_ids:
        args += ["--exclude-operation-id", operation_id]
    started = time.monotonic()
    with open(ARTIFACTS / f"schemathesis-{label}.txt", "w") as out:
        # Run inside artifacts/: schemathesis keeps its cache (.schemathesis/) in the cwd. The
        # cap is for a hang: a quiet 2-core machine needs a few minutes, a loaded one (load 14)
        # 7 for the CSM's run, and at load 16 beside a test run it passed 15.
        code = subprocess.run(
            args, cwd=ARTIFACTS, stdout=out, stderr=subprocess.STDOUT, timeout=1800
        ).returncode
    text = (ARTIFACTS / f"schemathesis-{label}.txt").read_text()
    summary = [
        line.strip("= ") for line in text.splitlines() if re.match(r"^=+ .* in [\d.]+s =+$", line)
    ]
    log(
        f"schemathesis ({label}): exit {code} in {time.monotonic() - started:.0f}s: "
        f"{summary[-1] if summary else 'no summary'}"
    )
    return code, text


def generated_client(base: str, env: dict) -> Path:
    """A client from the live schema, exactly as openapi-python-client makes it."""
    schema = requests.get(f"{base}/api/schema/?format=json", timeout=30)
    schema.raise_for_status()
    (ARTIFACTS / "openapi.json").write_text(schema.text)
    out = ARTIFACTS / "client" / "csplatform_api_client"
    run(
        [
            str(BIN / "openapi-python-client"),
            "generate",
            "--path",
            str(ARTIFACTS / "openapi.json"),
            "--output-path",
            str(out),
            "--meta",
            "none",
            "--overwrite",
            "--fail-on-warning",
        ],
        env={**env, "PATH": f"{BIN}:{env.get('PATH', '')}"},  # it formats with ruff
        timeout=300,
        step="openapi-python-client generate",
    )
    return out.parent


def doc_blocks(language: str) -> list[tuple[int, str]]:
    """(line number, text) of every fenced block of `language` in docs/API.md, but those right
    after a `<!-- contract: skip (why) -->` line."""
    blocks, current, start, previous = [], None, 0, ""
    for number, line in enumerate(DOCS.read_text().splitlines(), 1):
        skipped = previous.startswith("<!-- contract: skip")
        if line.strip():
            previous = line.strip()
        if current is None and line.strip() == f"```{language}" and skipped:
            current, start = None, -1
        elif start == -1:
            start = 0 if line.strip() == "```" else -1
        elif current is None and line.strip() == f"```{language}":
            current, start = [], number
        elif current is not None and line.strip() == "```":
            blocks.append((start, "\n".join(current)))
            current = None
        elif current is not None:
            current.append(line)
    return blocks


def walkthrough(base: str, token: str, client_dir: Path, env: dict) -> None:
    text = DOCS.read_text()
    if WALKTHROUGH_MARK not in text:
        fail(f"docs/API.md has no {WALKTHROUGH_MARK} block")
    after = text.split(WALKTHROUGH_MARK, 1)[1]
    code = after.split("```python\n", 1)[1].split("\n```", 1)[0]
    script = ARTIFACTS / "walkthrough.py"
    script.write_text(code + "\n")
    output = run(
        [sys.executable, str(script)],
        env={
            **env,
            "PYTHONPATH": str(client_dir),
            "CSP_BASE_URL": base,
            "CSP_TOKEN": token,
        },
        timeout=300,
        step="docs/API.md walkthrough through the generated client",
    )
    (ARTIFACTS / "walkthrough.txt").write_text(output)


# Each curl of docs/API.md runs through this wrapper: it prints the body (so `$(curl ... | jq)`
# works as written) and fails the script unless the status is the one the docs promise.
DOCS_PRELUDE = r"""
set -euo pipefail
shopt -s inherit_errexit
uuidgen() { cat /proc/sys/kernel/random/uuid; }
curl() {
  local body status
  body=$(mktemp)
  status=$(command curl -sS -o "$body" -w '%{http_code}' "$@")
  cat "$body"; rm -f "$body"; echo >&2
  case "$__expect" in
    2xx) [[ "$status" == 2?? ]] ;;
    *) [[ "$status" == "$__expect" ]] ;;
  esac || { echo "docs/API.md line $__line: answered $status, documented $__expect" >&2; exit 1; }
  echo "docs/API.md line $__line: $status" >> "$__log"
}
"""


def docs_script(base: str) -> str:
    """docs/API.md's ```sh blocks that call curl, in order, as one bash script: before each
    command that calls curl, the status the `# NNN` comment after it documents (2xx if none)."""
    out = []
    for start, block in doc_blocks("sh"):
        if "curl " not in block:
            continue  # set-up (create_api_token, the generator), not a call to the API
        lines = block.replace(DOCS_BASE, base).splitlines()
        commands = []  # (index of the first line, index of the last line)
        i = 0
        while i < len(lines):
            if re.match(r"^\s*([A-Z_]+=\$\()?curl ", lines[i]):
                first = i
                while not _balanced("\n".join(lines[first : i + 1])) or lines[i].endswith("\\"):
                    i += 1
                commands.append((first, i))
            i += 1
        expect = {}
        for first, last in commands:
            following = lines[last + 1].strip() if last + 1 < len(lines) else ""
            match = re.match(r"#\s*(\d{3})\b", following)
            expect[first] = match.group(1) if match else "2xx"
        for index, line in enumerate(lines):
            if index in expect:
                out.append(f"__expect={expect[index]}; __line={start + 1 + index}")
            out.append(line)
    return DOCS_PRELUDE + "\n".join(out) + "\n"


def docs_examples(base: str, token: str, env: dict) -> int:
    """Run docs/API.md's curl examples; returns how many answered as documented."""
    script = ARTIFACTS / "docs_examples.sh"
    script.write_text(docs_script(base))
    log_file = ARTIFACTS / "docs_examples.log"
    log_file.write_text("")
    result = subprocess.run(
        ["bash", str(script)],
        env={**env, "CSP": f"Authorization: Bearer {token}", "__log": str(log_file)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    (ARTIFACTS / "docs_examples.out").write_text(result.stdout + "\n" + result.stderr)
    ran = len(log_file.read_text().splitlines())
    if result.returncode != 0:
        fail(f"docs/API.md examples: {result.stderr.strip().splitlines()[-1:]} ({ran} ran before)")
    log(f"docs/API.md: {ran} curl examples answered as documented")
    return ran


def hostile(base: str, token: str) -> tuple[int, list[str]]:
    """Send tests/api/hostile.py's requests to the live server; returns (sent, problems)."""
    schema = requests.get(f"{base}/api/schema/?format=json", timeout=30).json()
    some = requests.get(
        f"{base}/api/v1/accounts/?page_size=1",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    ).json()["results"][0]
    fill = {
        "account_pk": str(some["id"]),
        "external_id": some["external_id"] or "none",
        "id": "1",
        "step_pk": "1",
        "delivery_id": "1",
    }
    port = int(urlparse(base).port)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    sent, problems = 0, []
    for request in hostile_requests(schema, fill=fill):
        target = request.wire_path() + (f"?{request.query_string()}" if request.query else "")
        headers = {"Authorization": f"Bearer {token}", "Connection": "keep-alive"}
        if request.content_type:
            headers["Content-Type"] = request.content_type
        body = request.body_bytes()
        try:
            connection.request(request.method, target, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read()
        except (http.client.HTTPException, OSError) as exc:
            problems.append(f"{request.describe()}: {type(exc).__name__}: {exc}")
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            continue
        sent += 1
        wrong = problem(request, response.status, response.getheader("Content-Type", ""), content)
        if wrong:
            problems.append(f"{request.describe()}: {wrong}")
        if response.getheader("Connection", "").lower() == "close":
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.close()
    (ARTIFACTS / "hostile.txt").write_text(
        f"{sent} hostile requests answered, {len(problems)} problems\n" + "\n".join(problems)
    )
    log(f"hostile requests: {sent} answered, {len(problems)} problems")
    return sent, problems


def _balanced(command: str) -> bool:
    """Whether the quotes and parentheses of a (possibly multi-line) shell command are closed."""
    try:
        shlex.split(command.replace("\\\n", " "), comments=True)
    except ValueError:
        return False
    return command.count("$(") <= command.count(")")


def main() -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    failures: list[str] = []
    lines: list[str] = []
    url = database_url()
    recreate_database(url)
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_SETTINGS_MODULE", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        CSPLATFORM_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(48),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
        DATABASE_URL=url,
        CELERY_TASK_ALWAYS_EAGER="true",
        # The fuzzer sends thousands of requests a minute; the limit itself is tested elsewhere.
        API_THROTTLE_RATE="1000000/min",
        PYTHONDONTWRITEBYTECODE="1",
        # As the image is built: the manifest storage's files, so HTML pages (a 404 for a path
        # outside the API, say) render as in production instead of failing on a missing entry.
        STATIC_ROOT=tempfile.mkdtemp(prefix="csp-contract-static-"),
    )
    lines.append(
        "fuzzed by the suite instead (cross-field rules, tests/api/test_fuzz.py): "
        + ", ".join(NOT_FUZZED)
    )
    python = sys.executable
    run(
        [python, "manage.py", "collectstatic", "--noinput"],
        env=env,
        timeout=300,
        step="collectstatic",
    )
    run([python, "manage.py", "migrate", "--noinput"], env=env, timeout=300, step="migrate")
    run([python, "manage.py", "seed_demo"], env=env, timeout=600, step="seed_demo")
    tokens = {
        role: run(
            [
                python,
                "manage.py",
                "create_api_token",
                user,
                "--name",
                "contract",
                "--scopes",
                *scopes,
            ],
            env=env,
            timeout=60,
            step=f"token for {user}",
        ).strip()
        for role, user, scopes in [
            ("csm", "alice", ["read", "write", "ingest"]),
            ("admin", "admin", ["read", "write", "ingest", "admin"]),
        ]
    }
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    gunicorn = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "csplatform.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "3",
            "--timeout",
            "120",
            "--no-control-socket",
        ],
        cwd=ROOT,
        env=env,
        stdout=open(ARTIFACTS / "gunicorn.log", "w"),  # noqa: SIM115 - lives as long as gunicorn
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(60):
            try:
                if requests.get(f"{base}/healthz/", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.5)
        else:
            fail("gunicorn did not answer /healthz/ within 30 s (see gunicorn.log)")
        # The documented examples first, on the freshly seeded data the docs describe; then
        # the fuzzers, whose writes would change what those examples find.
        if "client" not in SKIP:
            client_dir = generated_client(base, env)
            walkthrough(base, tokens["csm"], client_dir, env)
            lines.append("generated client: docs/API.md walkthrough ran unmodified")
        if "docs" not in SKIP:
            ran = docs_examples(base, tokens["admin"], env)
            lines.append(f"docs/API.md: {ran} curl examples answered as documented")
        if "fuzz" not in SKIP:
            for label, token, include, exclude, include_ids, exclude_ids in [
                ("csm", tokens["csm"], [], list(ADMIN_PATHS), (), ADMIN_OPERATIONS),
                # An admin sees every account and may use every operation: all of them, with
                # all checks and the stateful phase (it covers what a separate run of the admin
                # operations did, which it replaced).
                ("admin-all", tokens["admin"], [], [], (), ()),
            ]:
                if label not in FUZZ_RUNS:
                    continue
                code, text = schemathesis(
                    base,
                    token,
                    label=label,
                    include=include,
                    exclude=exclude,
                    include_ids=include_ids,
                    exclude_ids=(*exclude_ids, *NOT_FUZZED),
                )
                summary = [ln for ln in text.splitlines() if re.match(r"^=+ .* in [\d.]+s =+$", ln)]
                lines.append(f"schemathesis {label}: {summary[-1].strip('= ') if summary else '?'}")
                tested = re.search(r"Tested: (\d+)", text)
                if tested:
                    lines.append(f"  operations tested: {tested.group(1)}")
                if code != 0:
                    failures.append(
                        f"schemathesis ({label} token) exited {code}: see "
                        f"artifacts/contract/schemathesis-{label}.txt"
                    )
        if "hostile" not in SKIP:
            sent, problems = hostile(base, tokens["admin"])
            lines.append(f"hostile requests: {sent} answered, {len(problems)} problems")
            if problems:
                failures.append(
                    f"{len(problems)} hostile requests got a 5xx, non-JSON or shapeless answer "
                    "(artifacts/contract/hostile.txt): " + "; ".join(problems[:5])
                )
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        try:
            gunicorn.wait(timeout=20)
        except subprocess.TimeoutExpired:
            gunicorn.kill()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU seconds tell the cost on a busy machine too: on a quiet 2-core one the run takes
    # about max(cpu / 2, the slowest sequential part).
    lines.append(
        f"total: {time.monotonic() - started:.0f}s wall, "
        f"{usage.ru_utime + usage.ru_stime:.0f}s CPU (server, fuzzer, seed, client)"
    )
    report = "\n".join(["contract report", *lines, *(f"FAILED: {f}" for f in failures)])
    (ARTIFACTS / "report.txt").write_text(report + "\n")
    print(report)
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
