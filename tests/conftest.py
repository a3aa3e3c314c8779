"""Shared fixtures. Every test runs on PostgreSQL and Redis: the ones `DATABASE_URL` /
`REDIS_URL` name (CI), or the embedded servers this session starts (csplatform/embedded.py)
when they are unset. Nothing skips for a missing service."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings

from csplatform import embedded
from tests import factories

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
# The slow fault drills (marker `fault_drill`, tests/faults) are collected only with it set
# (`make faults`); `make test` leaves them out instead of reporting them skipped.
RUN_FAULTS = os.environ.get("RUN_FAULTS", "").lower() in {"1", "true", "yes"}
BASE_DIR = Path(settings.BASE_DIR)
# Chromium's headless shell (Debian's chromium-headless-shell), which Playwright itself uses for
# headless Chromium: the same Blink and V8 as the full browser, without its windowing and UI
# layers, for half the browser's CPU time over the browser tests. The full browser otherwise.
CHROMIUM = os.environ.get("CHROMIUM_PATH") or next(
    (
        path
        for path in ("/usr/bin/chromium-headless-shell", "/usr/bin/chromium")
        if Path(path).exists()
    ),
    "/usr/bin/chromium-headless-shell",
)
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
# Each xdist worker keeps its own cache keys, so clearing them between tests leaves the
# other workers' (and a `make run` next door) alone.
CACHE_PREFIX = f"csp-test-{XDIST_WORKER or 'main'}"
# ... and its own Celery queue: the real workers a test starts (and the faults' workers, which
# inherit the environment) take only the tasks of their own xdist worker's tests.
CELERY_QUEUE = f"celery-test-{XDIST_WORKER or 'main'}"
os.environ["CELERY_TASK_DEFAULT_QUEUE"] = CELERY_QUEUE
_embedded_stops: list = []


def pytest_configure(config):
    """Start the embedded PostgreSQL/Valkey once per session (in the xdist controller, before
    the workers start) when DATABASE_URL/REDIS_URL don't name servers; stop them at the end."""
    if not XDIST_WORKER:
        _embedded_stops.extend(embedded.start())
    settings.CACHES["default"]["KEY_PREFIX"] = CACHE_PREFIX
    from csplatform.celery import app

    app.conf.task_default_queue = CELERY_QUEUE
    _clock_start()


def pytest_unconfigure(config):
    embedded.stop(_embedded_stops)
    _embedded_stops.clear()


def database_url_of(connection) -> str:
    """The URL of the database a test runs on, for the worker processes it starts."""
    return embedded.url_of_database(connection.settings_dict)


# Data migrations ship reference rows (default trust rules, the default scorecard, the
# intervention rules). A transactional test empties the database when it ends, which would
# leave the tests after it without them and make results depend on test order; they are
# restored as it ends (`pytest_runtest_teardown`).
REFERENCE_DATA = [
    ("accounts.migrations.0004_default_trust_rules", "forward"),
    ("scorecards.migrations.0002_default_scorecard", "create_default"),
    ("success.migrations.0002_default_rules", "create_rules"),
]


@pytest.fixture(scope="session")
def django_db_setup(
    django_test_environment, django_db_blocker, django_db_createdb, django_db_modify_db_settings
):
    """This process's test database is a copy of the migrated template (tests/database_template.py):
    the migrations run once per migration state, not once per xdist worker and session.
    Yields the template's name."""
    import uuid

    from django.db import connection

    from tests.database_template import database_drop_later, database_from_template

    original = connection.settings_dict["NAME"]
    test_name = connection.creation._get_test_db_name()
    # --create-db rebuilds the template once for this run (all its xdist workers share the id).
    run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID") or uuid.uuid4().hex
    with django_db_blocker.unblock():
        template, _ = database_from_template(
            connection,
            database_name=original,
            test_name=test_name,
            rebuild_for=run_id if django_db_createdb else None,
        )
    connection.close()
    settings.DATABASES[connection.alias]["NAME"] = test_name
    connection.settings_dict["NAME"] = test_name
    yield template
    with django_db_blocker.unblock():
        connection.close()
        settings.DATABASES[connection.alias]["NAME"] = original
        connection.settings_dict["NAME"] = original
        database_drop_later(connection, test_name)


@contextmanager
def rows_kept_for_scope(django_db_blocker, build):
    """Rows that `build()` writes stay for the tests that run while the block is open, and
    roll back when it closes: expensive data the tests only read or change in passing (a
    400-account simulation, the records an API fuzzer aims at) is written once per module
    instead of once per test. The block holds a transaction open; each test's own transaction
    (pytest-django's, non-transactional tests only) becomes a savepoint inside it, so what a
    test changes still rolls back when the test ends. `build` runs as a test would (tasks
    eager, the fast password hasher) at the session's first moment, the moment date-sensitive
    tests run at. Yields what `build` returns.

    Use it in a module- or class-scoped fixture that every test of its module or class
    requests, so no test that does not ask for the rows runs while they are there."""
    import time_machine
    from django.db import transaction
    from django.test import override_settings

    outer = transaction.atomic()
    with django_db_blocker.unblock():
        outer.__enter__()
    try:
        with (
            django_db_blocker.unblock(),
            time_machine.travel(SESSION_START[0], tick=True),
            override_settings(PASSWORD_HASHERS=FAST_PASSWORD_HASHERS),
            celery_eager(),
        ):
            built = build()
        yield built
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


# --- Awkward calendar days (`make test-dates`) -------------------------------------------
# A test module that reads the clock is date-sensitive: it gets the `dates` marker, and
# with CSP_TEST_NOW set (an ISO datetime) the run's clock starts there (still ticking).
# CI runs them on a month's first and last day, 29 February and a daylight-saving change, so
# `make test` cannot pass only on kind days.
CLOCK_READS = ("localdate(", "date.today(", "timezone.now(", "datetime.now(")
# The moment this process's session started (CSP_TEST_NOW's, when set).
SESSION_START: list[datetime] = []


def pytest_collection_modifyitems(config, items):
    if not RUN_FAULTS:
        drills = [item for item in items if item.get_closest_marker("fault_drill")]
        if drills:
            config.hook.pytest_deselected(items=drills)
            items[:] = [item for item in items if item not in drills]
    sensitive: dict[Path, bool] = {}
    for item in items:
        path = Path(str(item.fspath))
        if path not in sensitive:
            source = path.read_text() if path.suffix == ".py" else ""
            browser_or_fault = "/e2e/" in str(path) or "/faults/" in str(path)
            sensitive[path] = not browser_or_fault and any(r in source for r in CLOCK_READS)
        # A real worker runs in its own process, on the real clock: it cannot share the pin.
        # (`real_clock` marks tests that start one through a fixture of their own.)
        real_clock = "celery_worker" in getattr(item, "fixturenames", ()) or (
            item.get_closest_marker("real_clock") is not None
        )
        if sensitive[path] and not real_clock:
            item.add_marker(pytest.mark.dates)
    # Modules with a slow or browser test run first. xdist deals the first quarter of the
    # tests out in turn and the rest as workers ask, so a slow test collected late would keep
    # one worker busy while the others, done, wait. A module stays together (its module-scoped
    # fixtures are built once); the order is otherwise the collection's.
    slow = {
        item.path
        for item in items
        if item.get_closest_marker("slow") or item.get_closest_marker("browser")
    }
    items.sort(key=lambda item: item.path not in slow)


def _clock_start() -> None:
    """With CSP_TEST_NOW, the whole run starts there (the clock keeps ticking): set before
    any test module is imported, so module-level dates agree with what the services read."""
    moment = os.environ.get("CSP_TEST_NOW")
    if moment:
        import time_machine

        time_machine.travel(datetime.fromisoformat(moment), tick=True).start()
    SESSION_START.append(datetime.now(UTC))


@pytest.fixture(autouse=True)
def _date_sensitive_clock(request):
    """A date-sensitive test starts at the session's first moment, its clock ticking: the
    dates its module read at import (`TODAY = timezone.localdate()`), the ones it reads and
    the ones the code reads agree, even when the run crosses midnight."""
    if request.node.get_closest_marker("dates") is None:
        yield
        return
    import time_machine

    with time_machine.travel(SESSION_START[0], tick=True):
        yield


def _is_transactional(item) -> bool:
    marker = item.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        return True
    return bool({"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ())))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """A transactional test ends by emptying every table (pytest-django's flush). The data
    migrations' reference rows go back at once, so whatever test runs next on this worker,
    transactional or not, starts on what the migrations left, as it would alone."""
    try:
        return (yield)
    finally:
        # The last test's teardown also ends the session (Django is back on the original
        # database, which has no tables to restore into).
        if nextitem is not None and _is_transactional(item):
            import importlib

            from django.apps import apps
            from pytest_django.plugin import blocking_manager_key

            from accounts.models import TrustRule

            with item.config.stash[blocking_manager_key].unblock():
                if not TrustRule.objects.exists():
                    for module_name, function in REFERENCE_DATA:
                        getattr(importlib.import_module(module_name), function)(apps, None)


def service_missing(reason: str) -> None:
    """Skip with the reason on a laptop; fail under CI=true."""
    if IN_CI:
        pytest.fail(f"required service missing under CI=true: {reason}", pytrace=False)
    pytest.skip(reason)


@contextmanager
def celery_eager():
    from csplatform.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _celery_eager_by_default(settings):
    """Tasks run in-process unless a test asks for the real worker (see `celery_worker`)."""
    from celery._state import _set_task_join_will_block

    # Celery keeps "inside a task, `result.get()` would block" in one process-wide flag that
    # each eager task sets and restores. Eager tasks run by a test's threads at once (the
    # concurrent ledger appends) can restore it in the wrong order and leave it set; then every
    # `.delay().get()` of a later test on this worker would be refused.
    _set_task_join_will_block(False)
    with celery_eager():
        yield


# Factories hash a password per user; the real hasher would dominate the suite's time.
FAST_PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = FAST_PASSWORD_HASHERS


def clear_test_cache() -> None:
    """Delete this worker's cache keys (FLUSHDB would empty the other workers' too)."""
    from django.core.cache import cache

    client = cache._cache.get_client(write=True)
    keys = list(client.scan_iter(match=f"{CACHE_PREFIX}:*", count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture(autouse=True)
def _clear_cache():
    from healthscores.documents import version_measure_meta_forget

    clear_test_cache()
    # A transactional test's database reuses ids that an earlier test's versions had.
    version_measure_meta_forget()
    yield


# What the test machine's (absent) DNS would answer for the public names tests use.
PUBLIC_TEST_ADDRESS = "93.184.215.14"


@pytest.fixture(autouse=True)
def _webhook_targets(settings, monkeypatch):
    """Test receivers listen on loopback, which production refuses (SSRF): allow it here, as
    an operator would for an internal receiver; names under example(.com) resolve to a public
    address without DNS. tests/security/test_webhook_targets.py checks the real rule."""
    from integrations import targets

    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    real = targets.resolve

    def resolve(host: str, port: int) -> list[str]:
        if host.endswith((".example", ".example.com", ".example.org")):
            return [PUBLIC_TEST_ADDRESS]
        return real(host, port)

    monkeypatch.setattr(targets, "resolve", resolve)


@pytest.fixture
def scratch_database_url(db):
    """An empty database on the test server, for a child process that migrates its own."""
    from django.db import connection

    name = f"{connection.settings_dict['NAME']}_scratch"
    with connection._nodb_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield embedded.url_of_database({**connection.settings_dict, "NAME": name})
    with connection._nodb_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def migrated_database_url(django_db_setup, db):
    """A migrated database of its own (a copy of the session's template), for a child process
    that works outside the test's transaction without migrating from scratch."""
    from django.db import connection

    from tests.database_template import database_drop

    name = f"{connection.settings_dict['NAME']}_migrated"
    with connection._nodb_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}" TEMPLATE "{django_db_setup}"')
    yield embedded.url_of_database({**connection.settings_dict, "NAME": name})
    database_drop(connection, name)


@pytest.fixture
def redis_url():
    """The broker's URL (CELERY_BROKER_URL, REDIS_URL or the embedded Valkey's socket)."""
    return settings.CELERY_BROKER_URL


# What the shared worker's environment says beyond the session's: its e-mail goes to a test SMTP
# server (`worker_mailbox`), its links name this site, and a failed webhook is retried after
# 1 s instead of production's 30 s (tests/integrations/test_webhooks.py waits for a retry).
WORKER_SITE_URL = "https://csp.example.com"
WORKER_WEBHOOK_RETRY_BASE_SECONDS = 1


class SharedWorker:
    """A real `celery worker` process and the SMTP server its e-mail goes to."""

    def __init__(self, proc: subprocess.Popen, name: str, mailbox):
        self.proc, self.name, self.mailbox = proc, name, mailbox

    def answers(self, timeout: float = 1) -> bool:
        from csplatform.celery import app

        return bool(app.control.ping(timeout=timeout, destination=[self.name]))

    def consume(self, on: bool) -> None:
        """Start or stop taking tasks from this process's queue (the worker stays up)."""
        from csplatform.celery import app

        command = app.control.add_consumer if on else app.control.cancel_consumer
        replies = command(CELERY_QUEUE, destination=[self.name], reply=True, timeout=10)
        if not replies:
            pytest.fail(f"celery worker {self.name} did not answer {command.__name__}")

    def wait_idle(self, timeout: float = 30) -> None:
        """Wait until the worker runs no task and holds none it took from the queue: the test
        ends by emptying the tables, and a task still writing to them would deadlock with that
        (or write into the next test)."""
        from csplatform.celery import app

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            inspect = app.control.inspect(destination=[self.name], timeout=1)
            active, reserved = inspect.active() or {}, inspect.reserved() or {}
            if self.name in active and not active[self.name] and not reserved.get(self.name):
                return
            time.sleep(0.05)
        pytest.fail(f"celery worker {self.name} still had tasks {timeout:.0f} s after the test")


def celery_worker_argv(name: str, *extra: str) -> list[str]:
    """The command line of a real `celery worker` a test starts: the production pool
    (prefork, two processes), none of the cluster chatter (gossip, mingle) a test does not
    need, named `name`."""
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "csplatform",
        "worker",
        "--pool=prefork",
        "--concurrency=2",
        "-l",
        "info",
        "--without-gossip",
        "--without-mingle",
        *extra,
        "-n",
        name,
    ]


@pytest.fixture(scope="session")
def _shared_celery_worker(django_db_setup, django_db_blocker):
    """One real `celery worker` per test process (xdist worker), started the first time a test
    asks for `celery_worker` and stopped when the session ends: starting one costs about 2 s of
    CPU, and six tests use one. It consumes only while such a test runs (`celery_worker`), so
    a test without it still finds its queued tasks unconsumed, as with no worker at all."""
    from django.db import connection

    from csplatform.celery import app
    from tests.smtp import smtp_server_running

    with smtp_server_running() as mailbox:
        env = {
            **os.environ,
            "DATABASE_URL": database_url_of(connection),
            "REDIS_URL": settings.CACHES["default"]["LOCATION"],
            "CACHE_KEY_PREFIX": CACHE_PREFIX,
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "CONN_MAX_AGE": "0",
            # Test receivers listen on loopback (refused by default: SSRF).
            "WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
            "WEBHOOK_RETRY_BASE_SECONDS": str(WORKER_WEBHOOK_RETRY_BASE_SECONDS),
            "EMAIL_URL": f"smtp://127.0.0.1:{mailbox.port}",
            "SITE_URL": WORKER_SITE_URL,
        }
        app.control.purge()
        name = f"test-{os.getpid()}@{socket.gethostname()}"
        log = (
            open(BASE_DIR / "artifacts" / "celery-worker.log", "ab")  # noqa: SIM115 -- closed below
            if (BASE_DIR / "artifacts").is_dir()
            else subprocess.DEVNULL
        )
        proc = subprocess.Popen(
            celery_worker_argv(name),
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        worker = SharedWorker(proc, name, mailbox)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    pytest.fail(
                        "celery worker exited during start-up; see artifacts/celery-worker.log"
                    )
                if worker.answers():
                    break
            else:
                pytest.fail("celery worker did not answer a ping within 60 s")
            yield worker
        finally:
            # A cold shutdown: no task of a test is left to finish, and a warm one takes ~2 s.
            proc.send_signal(signal.SIGQUIT)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
            if log is not subprocess.DEVNULL:
                log.close()


@pytest.fixture
def celery_worker(transactional_db, _shared_celery_worker):
    """A real `celery worker` process on the test database and the real Redis broker (this
    test process's shared one, see `_shared_celery_worker`): tasks go to it, not in-process.
    Tasks an earlier test left queued are purged first."""
    from csplatform.celery import app

    worker = _shared_celery_worker
    if worker.proc.poll() is not None or not worker.answers(timeout=5):
        pytest.fail("the shared celery worker is gone; see artifacts/celery-worker.log")
    app.control.purge()
    worker.mailbox.received.clear()
    worker.consume(True)
    app.conf.task_always_eager = False
    try:
        yield worker.proc
    finally:
        app.conf.task_always_eager = True
        worker.consume(False)
        worker.wait_idle()


@pytest.fixture
def worker_mailbox(celery_worker, _shared_celery_worker):
    """The SMTP server the shared worker's e-mail goes to (its EMAIL_URL), emptied for this
    test; the e-mails' links name WORKER_SITE_URL."""
    return _shared_celery_worker.mailbox


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium driven by Playwright (the system browser: no downloads here)."""
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        service_missing(
            f"Chromium not found at {CHROMIUM} (apt-get install -y chromium-headless-shell)"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        service_missing("playwright is not installed (pip install -r requirements-dev.txt)")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


@pytest.fixture
def screenshot(request):
    """Save a screenshot to artifacts/screenshots/<test>-<name>.png (kept by CI)."""
    out = BASE_DIR / "artifacts" / "screenshots"

    def take(page, name: str) -> Path:
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


# How long a page must make no request to count as settled. Playwright's "networkidle" waits
# 500 ms of silence after every navigation, which over the ~150 pages the accessibility and CSP
# checks visit was over a minute of waiting; the pages' own follow-up requests (htmx
# `hx-trigger="load"` fragments such as the bell) start before the load event, so a short
# silence after they finish is enough.
QUIET_SECONDS = 0.1


def track_requests(page) -> None:
    """Count `page`'s requests in flight, for `wait_until_settled`."""
    state = {"open": set(), "last": time.monotonic()}

    def started(request):
        state["open"].add(request)
        state["last"] = time.monotonic()

    def ended(request):
        state["open"].discard(request)
        state["last"] = time.monotonic()

    page.on("request", started)
    page.on("requestfinished", ended)
    page.on("requestfailed", ended)
    page._requests_in_flight = state


def wait_until_settled(page, timeout: float = 15) -> None:
    """Wait until the page has loaded, its requests are done and none started for
    QUIET_SECONDS (see `track_requests`)."""
    page.wait_for_load_state("load")
    state = page._requests_in_flight
    deadline = time.monotonic() + timeout
    while state["open"] or time.monotonic() - state["last"] < QUIET_SECONDS:
        if time.monotonic() > deadline:
            pending = [r.url for r in state["open"]]
            raise TimeoutError(f"{page.url}: requests still open after {timeout} s: {pending}")
        page.wait_for_timeout(20)


def browser_login(page, username: str, password: str = factories.PASSWORD) -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)


# --- the cast: an org with two teams -------------------------------------------------------
@pytest.fixture
def org(db):
    """GIVEN an admin, a manager leading team A, a manager of team B, two CSMs in A, one in B."""
    return factories.org()


@pytest.fixture
def csm(org):
    return org.csm_a1


@pytest.fixture
def client_csm(client, org):
    client.force_login(org.csm_a1)
    return client
