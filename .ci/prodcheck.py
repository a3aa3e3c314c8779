"""`make prodcheck`: the path a team deploys, end to end, in a few minutes.

1. Copy the project as a fresh clone has it (tracked files only: no .env, no .data/).
2. Build what the Dockerfile builds: production settings, `collectstatic` with the manifest
   storage, without DATABASE_URL / REDIS_URL.
3. On a fresh PostgreSQL database, outside any test transaction: `migrate` as the owner role,
   `grant_app_role`, then `seed_demo` and `recompute_scores` as the app's plain role (the one
   that cannot disable the ledger's trigger), as docker-compose.yml runs them.
4. Serve it with gunicorn under production settings and the app role, fetch the sign-in page
   and the static files it links, then sign in as a CSM, a manager and an admin and crawl the
   demo by following the links found on each page (`<a href>`, redirects, the `hx-get`
   requests a page makes, and its search and filter forms submitted as they stand). A link
   shown to a user that answers 4xx or 5xx fails the check; so does a page that links a static
   file the server cannot find. Deliberate probes (a mistyped address, a revoked customer link)
   are counted apart and must answer the branded page.
5. In Chromium, as each role, up to two pages of each address pattern the crawl reached, the
   scorecard editor behind the admin's "Edit draft" button, and the customer's links (live and
   revoked): axe-core finds no violation of any impact, and no page scrolls sideways at
   1440 or 390 px (.ci/pagecheck.py).

Environment: DATABASE_URL names the server (the check uses its own database next to it,
PRODCHECK_DATABASE_URL overrides); PRODCHECK_PER_SHAPE caps how many pages of one URL shape
(same path with other ids or query values) each role opens; PRODCHECK_BUDGET_SECONDS bounds the
crawl; PRODCHECK_BROWSER_PER_SHAPE (default 2) and PRODCHECK_BROWSER_BUDGET_SECONDS bound the
browser stage. The report is written to artifacts/prodcheck/report.txt; screenshots of pages
with a problem to artifacts/prodcheck/screens/.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urldefrag, urlencode, urljoin, urlparse

import pagecheck
import psycopg2
import requests

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts" / "prodcheck"
DEMO_PASSWORD = "demo-pass-2026"  # users/demo.py
ROLES = {"csm": "alice", "manager": "maria", "admin": "admin"}
PER_SHAPE = int(os.environ.get("PRODCHECK_PER_SHAPE", "10"))
BUDGET_SECONDS = float(os.environ.get("PRODCHECK_BUDGET_SECONDS", "360"))
BROWSER_PER_SHAPE = int(os.environ.get("PRODCHECK_BROWSER_PER_SHAPE", "2"))
BROWSER_BUDGET_SECONDS = float(os.environ.get("PRODCHECK_BROWSER_BUDGET_SECONDS", "600"))
# Links a crawler must not follow: signing out ends the crawl's session.
SKIP_PATHS = ("/logout/", "/admin/logout/")
# A deliberate probe: an address nothing links to, which must answer the branded 404.
MISSING_PAGE = "/accounts/999999999/"


def log(message: str) -> None:
    print(f"prodcheck: {message}", flush=True)


def fail(message: str) -> None:
    log(f"FAILED: {message}")
    sys.exit(1)


def database_url() -> str:
    explicit = os.environ.get("PRODCHECK_DATABASE_URL")
    if explicit:
        return explicit
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/csplatform")
    parsed = urlparse(base)
    if not parsed.scheme.startswith("postgres"):
        fail("DATABASE_URL must point at PostgreSQL (the check runs the deployed path)")
    return parsed._replace(path=f"{parsed.path.rstrip('/')}_prodcheck").geturl()


def recreate_database(url: str) -> str:
    """Drop and create the check's own database, so every run starts from nothing, and a plain
    login role for the app (as deploy/postgres-initdb does); returns the app's DATABASE_URL."""
    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    if not name.endswith("prodcheck"):
        fail(f"refusing to recreate {name!r}: the check's database name ends in 'prodcheck'")
    connection = psycopg2.connect(
        host=parsed.hostname,
        port=parsed.port or 5432,
        user=parsed.username,
        password=parsed.password,
        dbname="postgres",
    )
    connection.autocommit = True
    app_role, app_password = f"{name}_app", secrets.token_urlsafe(16)
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'DROP ROLE IF EXISTS "{app_role}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
        cursor.execute(
            f'CREATE ROLE "{app_role}" LOGIN PASSWORD %s NOSUPERUSER NOCREATEDB NOCREATEROLE',
            [app_password],
        )
        cursor.execute(f'GRANT CONNECT, TEMPORARY ON DATABASE "{name}" TO "{app_role}"')
    connection.close()
    netloc = f"{app_role}:{app_password}@{parsed.hostname}:{parsed.port or 5432}"
    return parsed._replace(netloc=netloc).geturl()


def fresh_clone(target: Path) -> None:
    """The files git would commit, as they are in the working tree (no .env, no .data/,
    no .venv): what a fresh clone has once the work in progress is committed."""
    if target.exists():
        shutil.rmtree(target)
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def run(args: list[str], *, cwd: Path, env: dict, timeout: int, step: str) -> float:
    started = time.monotonic()
    log(f"{step}: {' '.join(args)}")
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    seconds = time.monotonic() - started
    if result.returncode != 0:
        print(result.stdout[-4000:], result.stderr[-8000:], sep="\n", file=sys.stderr)
        fail(f"{step} exited with {result.returncode} after {seconds:.1f}s")
    log(f"{step}: ok in {seconds:.1f}s")
    return seconds


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LinkParser(HTMLParser):
    """Collects href/src targets of a page, and what its search and filter forms (method="get")
    submit as they stand, with a search box holding a letter."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.htmx: list[str] = []  # requests the page's htmx makes (on load, a click, a poll)
        self.assets: list[str] = []
        self.csrf = ""
        self.form: tuple[str, list[tuple[str, str]]] | None = None  # a GET form being read
        self.select: str | None = None  # the name of the select being read
        self.chosen: tuple[str, str] | None = None  # its selected (or else first) option

    def handle_starttag(self, tag, attrs):
        attributes = {key: value or "" for key, value in attrs}
        if attributes.get("hx-get"):
            self.htmx.append(attributes["hx-get"])
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        elif tag == "link" and attributes.get("href"):
            self.assets.append(attributes["href"])
        elif tag == "script" and attributes.get("src"):
            self.assets.append(attributes["src"])
        elif tag == "input" and attributes.get("name") == "csrfmiddlewaretoken":
            self.csrf = attributes.get("value") or ""
        elif tag == "form" and attributes.get("method", "").lower() == "get":
            self.form = (attributes.get("action", ""), [])
        elif self.form is not None:
            self._form_field(tag, attributes)

    def _form_field(self, tag: str, attributes: dict[str, str]) -> None:
        name, kind = attributes.get("name"), attributes.get("type", "text")
        if tag == "input" and name and kind not in ("submit", "button", "reset", "file"):
            if kind in ("checkbox", "radio") and "checked" not in attributes:
                return
            value = attributes.get("value", "")
            if kind == "search" or (name == "q" and not value):
                value = value or "a"
            self.form[1].append((name, value))
        elif tag == "select" and name:
            self.select, self.chosen = name, None
        elif tag == "option" and self.select is not None:
            option = (self.select, attributes.get("value", ""))
            if self.chosen is None or "selected" in attributes:
                self.chosen = option

    def handle_endtag(self, tag):
        if tag == "select" and self.select is not None and self.form is not None:
            if self.chosen is not None:
                self.form[1].append(self.chosen)
            self.select = None
        elif tag == "form" and self.form is not None:
            action, fields = self.form
            self.links.append(f"{action.split('?')[0]}?{urlencode(fields)}" if fields else action)
            self.form = None


class Browser:
    """A cookie-keeping client for a server behind an HTTPS proxy (Secure cookies, no TLS)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = {
            "X-Forwarded-Proto": "https",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            "Referer": f"https://{urlparse(self.base).netloc}/",
            **kwargs.pop("headers", {}),
        }
        response = self.http.request(
            method, self.base + path, headers=headers, allow_redirects=False, timeout=60, **kwargs
        )
        self.http.cookies.clear()
        for cookie in response.cookies:
            self.cookies[cookie.name] = cookie.value
        return response

    def sign_in(self, username: str, password: str) -> None:
        page = self.request("GET", "/login/")
        parser = LinkParser()
        parser.feed(page.text)
        response = self.request(
            "POST",
            "/login/",
            data={
                "username": username,
                "password": password,
                "csrfmiddlewaretoken": parser.csrf,
            },
        )
        if response.status_code != 302 or "sessionid" not in self.cookies:
            fail(f"signing in as {username} answered {response.status_code}")


def shape(path: str) -> str:
    """A URL with its ids and query values blanked: pages of one kind share a shape."""
    parsed = urlparse(path)
    keys = sorted({key for key, _ in parse_qsl(parsed.query, keep_blank_values=True)})
    return re.sub(r"/\d+(?=/|$)", "/<id>", parsed.path) + ("?" + "&".join(keys) if keys else "")


@dataclass
class Crawl:
    """What one role's crawl reached."""

    statuses: Counter = field(default_factory=Counter)  # status class -> requests
    shapes: int = 0
    # Full pages that answered 200 with HTML, by shape, in the order the crawl opened them.
    pages: dict[str, list[str]] = field(default_factory=dict)


def crawl(browser: Browser, role: str, deadline: float, problems: list[str]) -> Crawl:
    """Follow every link from the home page; the first page of each shape goes first, so a
    budget that runs out drops only more pages of shapes already opened. Every request comes
    from something a user is shown (a link, a redirect, a request the page's htmx makes): any
    4xx or 5xx among them is a dead end, a problem."""
    host = urlparse(browser.base).netloc
    seen = {"/"}
    found_on = {"/": ("the sign-in redirect", False)}  # path -> (page that showed it, htmx?)
    # The address in the browser's bar while a request runs: an htmx fragment's links are
    # relative to the page it is swapped into, not to the fragment's own address.
    page_of = {"/": "/"}
    per_shape: Counter = Counter({"/": 1})
    result = Crawl()
    first_of_shape, more_of_shape = deque(["/"]), deque()
    assets_checked: set[str] = set()
    while (first_of_shape or more_of_shape) and time.monotonic() < deadline:
        path = (first_of_shape or more_of_shape).popleft()
        source, htmx = found_on[path]
        response = browser.request("GET", path, headers={"HX-Request": "true"} if htmx else {})
        result.statuses[response.status_code // 100 * 100] += 1
        if response.status_code >= 400:
            how = "requested by htmx on" if htmx else "linked from"
            problems.append(f"{role}: GET {path} -> {response.status_code} ({how} {source})")
            continue
        targets: list[tuple[str, bool]] = []
        if response.status_code in (301, 302, 303, 307, 308):
            targets = [(response.headers.get("Location", ""), htmx)]
        elif "text/html" in response.headers.get("Content-Type", ""):
            parser = LinkParser()
            parser.feed(response.text)
            targets = [(link, False) for link in parser.links]
            targets += [(request, True) for request in parser.htmx]
            if not htmx and response.status_code == 200:
                result.pages.setdefault(shape(path), []).append(path)
            for asset in parser.assets:
                if asset.startswith("/static/") and asset not in assets_checked:
                    assets_checked.add(asset)
                    if browser.request("GET", asset).status_code != 200:
                        problems.append(f"{role}: {path} links {asset}, which is not served")
        for target, by_htmx in targets:
            relative_to = path if response.is_redirect else page_of[path]
            absolute = urldefrag(urljoin(f"https://{host}{relative_to}", target)).url
            parsed = urlparse(absolute)
            if parsed.netloc not in (host, "") or parsed.scheme not in ("http", "https"):
                continue
            local = parsed.path + (f"?{parsed.query}" if parsed.query else "")
            if local in seen or parsed.path.startswith(("/static/", *SKIP_PATHS)):
                continue
            seen.add(local)
            # A fragment htmx swaps in is another kind of answer than the page at its address.
            kind = ("hx:" if by_htmx else "") + shape(local)
            if per_shape[kind] >= PER_SHAPE:
                continue
            per_shape[kind] += 1
            found_on[local] = (path, by_htmx)
            page_of[local] = page_of[path] if by_htmx else local
            (first_of_shape if per_shape[kind] == 1 else more_of_shape).append(local)
    if first_of_shape:
        problems.append(
            f"{role}: the crawl budget ran out before {len(first_of_shape)} kinds of page "
            f"were opened, e.g. {first_of_shape[0]}"
        )
    result.shapes = len(per_shape)
    log(
        f"{role}: {sum(result.statuses.values())} requests of {len(per_shape)} shapes"
        + (f" ({len(more_of_shape)} more left for lack of time)" if more_of_shape else "")
        + ": "
        + ", ".join(f"{code // 100}xx: {n}" for code, n in sorted(result.statuses.items()))
    )
    return result


def probe(base: str, csm: Browser, csm_crawl: Crawl, problems: list[str]) -> dict[str, int]:
    """Deliberate probes, apart from the crawl: a mistyped address, and a customer's scorecard
    link the CSM creates and then revokes. Each must answer our branded page (never Django's
    URL list). Returns the customer's addresses with the status each must answer."""
    missing = csm.request("GET", MISSING_PAGE)
    if missing.status_code != 404 or "We can't find that page" not in missing.text:
        problems.append(f"probe: GET {MISSING_PAGE} -> {missing.status_code}, not our 404 page")
    account = next(iter(csm_crawl.pages.get("/accounts/<id>/", [])), None)
    if account is None:
        problems.append("probe: the CSM's crawl reached no account page to share")
        return {}
    shares = account.replace("/accounts/", "/customer-scorecards/") + "shares/"

    def share() -> tuple[str, str, str]:
        """A new link to the account's scorecard: (its path, the revoke action, a CSRF token)."""
        parser = LinkParser()
        parser.feed(csm.request("GET", shares).text)
        created = csm.request(
            "POST",
            shares,
            data={"days": "30", "note": "prodcheck", "csrfmiddlewaretoken": parser.csrf},
        )
        link = re.search(r'value="https?://[^/"]+(/shared/scorecard/[^/"]+/)"', created.text)
        # The newest link has the highest id.
        revokes = re.findall(
            r'action="(/customer-scorecards/\d+/shares/(\d+)/revoke/)"', created.text
        )
        if created.status_code != 200 or not link or not revokes:
            raise LookupError(f"creating a share link on {shares} -> {created.status_code}")
        revoke = max(revokes, key=lambda action: int(action[1]))[0]
        return link.group(1), revoke, parser.csrf

    try:
        revoked_link, revoke, csrf = share()
        live_link, _, _ = share()
    except LookupError as error:
        problems.append(f"probe: {error}")
        return {}
    if csm.request("POST", revoke, data={"csrfmiddlewaretoken": csrf}).status_code != 302:
        problems.append(f"probe: revoking {revoke} did not redirect back")
    customer = Browser(base)
    live = customer.request("GET", live_link)
    if live.status_code != 200:
        problems.append(f"probe: a live customer link -> {live.status_code}")
    dead = customer.request("GET", revoked_link)
    if (
        dead.status_code != 404
        or "This link has expired or was revoked" not in dead.text
        or "URLconf" in dead.text
    ):
        problems.append(f"probe: a revoked customer link -> {dead.status_code}, not our page")
    links = {live_link: 200, revoked_link: 404}
    plan = next(iter(csm_crawl.pages.get("/success/plans/<id>/", [])), None)
    if plan is None:
        problems.append("probe: the CSM's crawl reached no success plan to share")
        return links
    parser = LinkParser()
    parser.feed(csm.request("GET", plan).text)
    shared = csm.request(
        "POST",
        f"{plan}share/",
        data={"days": "30", "csrfmiddlewaretoken": parser.csrf},
    )
    # The link is shown once, in the message on the plan's page the POST redirects to.
    shown = re.search(
        r"https?://[^/\s<]+(/success/shared/[^/\s<]+/)", csm.request("GET", plan).text
    )
    if shared.status_code != 302 or not shown:
        problems.append(f"probe: sharing {plan} -> {shared.status_code}, no link shown")
        return links
    if customer.request("GET", shown.group(1)).status_code != 200:
        problems.append("probe: a live success plan link does not answer 200")
    return {**links, shown.group(1): 200}


def browser_pages(pages: dict[str, list[str]], per_pattern: int) -> list[str]:
    """The pages the browser opens: for each address pattern (ids blanked, query left out: one
    view, one template), the first page the crawl opened, then the first of each other set of
    query keys (another state of the page: filtered, sorted, a tab) up to per_pattern pages."""
    groups: dict[str, list[str]] = {}
    for kind, paths in pages.items():  # the crawl's order: the first link a user meets first
        groups.setdefault(kind.split("?")[0], []).append(paths[0])
    return [path for group in groups.values() for path in group[:per_pattern]]


def open_draft(admin: Browser, admin_crawl: Crawl, problems: list[str]) -> list[str]:
    """The pages behind the admin's "Edit draft" button (a POST, so no crawl reaches them):
    the scorecard editor and the preview of the draft's impact."""
    scorecard = next(iter(admin_crawl.pages.get("/scorecards/<id>/", [])), None)
    if scorecard is None:
        problems.append("probe: the admin's crawl reached no scorecard")
        return []
    parser = LinkParser()
    parser.feed(admin.request("GET", scorecard).text)
    draft = admin.request("POST", f"{scorecard}draft/", data={"csrfmiddlewaretoken": parser.csrf})
    editor = draft.headers.get("Location", "")
    if draft.status_code != 302 or not re.fullmatch(r"/scorecards/versions/\d+/edit/", editor):
        problems.append(f"probe: starting a draft of {scorecard} -> {draft.status_code}")
        return []
    parser = LinkParser()
    parser.feed(admin.request("GET", editor).text)
    preview = [link for link in parser.links if "preview" in link][:1]
    return [editor, *preview]


def check_site(base: str, timings: dict[str, float]) -> tuple[list[str], list[str]]:
    """Crawl as each role, probe, open every kind of page in Chromium; the report's lines and
    the problems found (the report ends with them)."""
    problems: list[str] = []
    crawls: dict[str, Crawl] = {}
    browsers: dict[str, Browser] = {}
    crawl_started = time.monotonic()
    for role, username in ROLES.items():
        deadline = time.monotonic() + BUDGET_SECONDS / len(ROLES)
        browsers[role] = Browser(base)
        browsers[role].sign_in(username, DEMO_PASSWORD)
        crawls[role] = crawl(browsers[role], role, deadline, problems)
    timings["crawl"] = time.monotonic() - crawl_started
    probes = probe(base, browsers["csm"], crawls["csm"], problems)
    to_open = {
        role: [(path, 200) for path in browser_pages(result.pages, BROWSER_PER_SHAPE)]
        for role, result in crawls.items()
    }
    to_open["csm"].append((MISSING_PAGE, 404))
    to_open["admin"] += [
        (path, 200) for path in open_draft(browsers["admin"], crawls["admin"], problems)
    ]
    to_open["customer"] = [(path, status) for path, status in probes.items()]
    checked = pagecheck.check_pages(
        base=base,
        pages_by_role=to_open,
        cookies_by_role={role: b.cookies for role, b in browsers.items()},
        artifacts=ARTIFACTS,
        deadline=time.monotonic() + BROWSER_BUDGET_SECONDS,
        log=log,
    )
    timings["browser"] = checked.seconds
    (ARTIFACTS / "browser-pages.txt").write_text(
        "".join(f"{seconds:6.2f}s {page}\n" for seconds, page in checked.timings)
    )
    problems.extend(checked.problems)
    totals = sum((c.statuses for c in crawls.values()), Counter())
    report = [
        "prodcheck report",
        *(f"{step}: {seconds:.1f}s" for step, seconds in timings.items()),
        *(
            f"crawl as {role}: {sum(c.statuses.values())} requests, {c.shapes} shapes: "
            + ", ".join(f"{code // 100}xx={n}" for code, n in sorted(c.statuses.items()))
            for role, c in crawls.items()
        ),
        "probes (deliberate, answered as expected unless listed below): "
        + ", ".join(f"{path} -> {code}" for path, code in {MISSING_PAGE: 404, **probes}.items()),
        "browser: pages opened: "
        + ", ".join(f"{role}={n}" for role, n in checked.pages.items())
        + f"; axe violations, any impact (pages): {dict(checked.violations) or 0}"
        + f"; pages scrolling sideways: {dict(checked.overflow) or 0}"
        + f"; pages with a CSP violation, script error or failed request: {checked.script}",
        "pages by status: " + ", ".join(f"{c // 100}xx={n}" for c, n in sorted(totals.items())),
        *problems,
    ]
    return report, problems


def main() -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # A server already running (`make run`, say): only the crawl, the probes and the browser.
    base = os.environ.get("PRODCHECK_BASE_URL")
    report, problems = check_site(base.rstrip("/"), {}) if base else build_and_check()
    (ARTIFACTS / "report.txt").write_text("\n".join(report) + "\n")
    if problems:
        print("\n".join(problems), file=sys.stderr)
        fail(f"{len(problems)} problems (artifacts/prodcheck/report.txt)")
    log("ok: " + report[-1])


def build_and_check() -> tuple[list[str], list[str]]:
    """Steps 1-4: build, migrate, seed and serve as production does, then check the site."""
    clone = ARTIFACTS / "clone"
    fresh_clone(clone)
    url = database_url()
    app_url = recreate_database(url)
    python = sys.executable
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
        STATIC_ROOT=str(clone / "staticfiles"),
        # Tasks run in-process: the check needs no worker, and leaves nothing on the broker.
        CELERY_TASK_ALWAYS_EAGER="true",
        PYTHONDONTWRITEBYTECODE="1",
    )
    # Migrations run as the owner; everything after as the app's plain role (OPERATIONS.md).
    owner_env = env
    env = {**owner_env, "DATABASE_URL": app_url}
    timings = {
        # As the Dockerfile builds it: no server URLs (the settings load without them).
        "collectstatic": run(
            [python, "manage.py", "collectstatic", "--noinput"],
            cwd=clone,
            env={
                k: v
                for k, v in env.items()
                if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}
            },
            timeout=300,
            step="collectstatic (manifest storage, no DATABASE_URL / REDIS_URL)",
        ),
        "migrate": run(
            [python, "manage.py", "migrate", "--noinput"],
            cwd=clone,
            env=owner_env,
            timeout=300,
            step="migrate (owner role)",
        ),
        "grant_app_role": run(
            [python, "manage.py", "grant_app_role", urlparse(app_url).username],
            cwd=clone,
            env=owner_env,
            timeout=60,
            step="grant_app_role",
        ),
        "seed_demo": run(
            [python, "manage.py", "seed_demo"], cwd=clone, env=env, timeout=600, step="seed_demo"
        ),
        "recompute_scores": run(
            [python, "manage.py", "recompute_scores"],
            cwd=clone,
            env=env,
            timeout=300,
            step="recompute_scores",
        ),
    }
    port = free_port()
    gunicorn = subprocess.Popen(
        [
            str(Path(python).parent / "gunicorn"),
            "csplatform.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--timeout",
            "120",
            # The default control socket is one path per user: parallel checks would share it.
            "--no-control-socket",
        ],
        cwd=clone,
        env=env,
        stdout=open(ARTIFACTS / "gunicorn.log", "w"),  # noqa: SIM115 - lives as long as gunicorn
        stderr=subprocess.STDOUT,
    )
    problems: list[str] = []
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(60):
            try:
                if requests.get(f"{base}/healthz/", timeout=5).status_code == 200:
                    break
            except requests.RequestException:  # still booting
                pass
            time.sleep(0.5)
        else:
            fail("gunicorn did not answer /healthz/ within 30 s (see gunicorn.log)")
        login = Browser(base).request("GET", "/login/")
        hashed = re.findall(r'(?:href|src)="(/static/[^"]+\.[0-9a-f]{12}\.(?:css|js))"', login.text)
        if login.status_code != 200 or not hashed:
            fail(f"the sign-in page answered {login.status_code} with {len(hashed)} hashed assets")
        for asset in hashed:
            if requests.get(base + asset, timeout=10).status_code != 200:
                problems.append(f"/login/ links {asset}, which gunicorn does not serve")
        log(f"gunicorn serves /login/ with {len(hashed)} hashed static files")
        report, found = check_site(base, timings)
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        try:
            gunicorn.wait(timeout=20)
        except subprocess.TimeoutExpired:
            gunicorn.kill()
    return report + problems, found + problems


if __name__ == "__main__":
    main()
