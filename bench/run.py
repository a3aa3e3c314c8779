"""`make bench` / `make bench-quick`: measured speed on PostgreSQL + Redis + Celery + gunicorn.

Every figure is the median of several runs, printed beside its target and its ratio to a
floor measured in the same run on the same machine (these machines are shared and noisy).
Results go to BENCHMARKS.md. Traffic stays on loopback.
"""

import argparse
import json
import os
import platform
import resource
import signal
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
BENCH_DB = os.environ.get("BENCH_DB", "csplatform_bench")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
PORT = int(os.environ.get("BENCH_PORT", "8765"))

PROFILES = {
    # accounts, interactions/account, usage days, usage metrics, nightly repeats, load seconds
    "quick": {
        "accounts": 10_000,
        "per_account": 10,
        "usage_days": 30,
        "metrics": 2,
        "repeats": 3,
        "load_s": 6,
        "ttfb_samples": 10,
    },
    "full": {
        "accounts": 100_000,
        "per_account": 50,
        "usage_days": 50,
        "metrics": 2,
        "repeats": 3,
        "load_s": 20,
        "ttfb_samples": 25,
    },
}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def setup_environment() -> None:
    os.environ["DATABASE_URL"] = f"{PG_ADMIN_URL}/{BENCH_DB}"
    os.environ["CELERY_BROKER_URL"] = REDIS
    os.environ["REDIS_URL"] = REDIS
    os.environ["CONN_MAX_AGE"] = "60"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "csplatform.settings")
    os.environ["CSPLATFORM_ENV"] = "development"
    os.environ["DEBUG"] = "false"
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1,localhost"
    os.environ["LOG_LEVEL"] = "WARNING"


def recreate_database(name: str = BENCH_DB) -> None:
    import psycopg2

    conn = psycopg2.connect(f"{PG_ADMIN_URL}/postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            [name],
        )
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def backtest_scenario(*, accounts: int, repeats: int, output: Path, reuse: bool = False) -> dict:
    """The back-test benchmark in a database of its own (`bench/backtest.py`)."""
    from django.db import connection

    from bench import backtest

    name = f"{BENCH_DB}_backtest"
    connection.close()
    if not reuse:
        recreate_database(name)
    connection.settings_dict["NAME"] = name
    started_machine = machine()
    results = backtest.run(
        accounts=accounts, repeats=repeats, today=date.today(), log=log, reuse=reuse
    )
    (BASE_DIR / "artifacts" / "bench-backtest.json").write_text(
        json.dumps({**results, "machine": started_machine}, indent=2, default=str)
    )
    backtest.write_section(output, backtest.section(results, started_machine, str(date.today())))
    log(f"back-test: median {results['median_s']} s; wrote its section of {output}")
    return results


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    pg = psql("--version", capture=True).strip()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": f"{mem_gb:.0f} GiB",
        "python": platform.python_version(),
        "postgres": pg,
        "os": platform.platform(),
        "load_start": load_average(),
    }


def load_average() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg()) + " (1/5/15 min)"


def peak_rss_mb(pids: list[int]) -> float:
    """Highest VmHWM (peak resident set) among the processes and their children."""
    best = 0.0
    seen = set()
    stack = list(pids)
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    best = max(best, int(line.split()[1]) / 1024)
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            stack.extend(int(c) for c in children)
        except OSError:
            continue
    return best


class Process:
    """A child process (celery worker, gunicorn) stopped cleanly at the end."""

    def __init__(self, name: str, args: list[str]):
        self.name = name
        out = open(BASE_DIR / "artifacts" / f"bench-{name}.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(  # noqa: S603 -- our own argv
            args,
            cwd=BASE_DIR,
            env=os.environ.copy(),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)


def timed(fn, repeats: int) -> tuple[float, list[float]]:
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples), samples


def sql_group_by_floor() -> float:
    """The floor for the nightly run: plain GROUP BYs over the same rows it reads."""
    from django.db import connection

    def run() -> None:
        with connection.cursor() as cur:
            cur.execute(
                "SELECT account_id, COUNT(*), SUM(minutes), MAX(occurred_at), "
                "SUM(CASE WHEN category IN ('firefighting','escalation','unvalued_problem') "
                "THEN 1 ELSE 0 END) FROM accounts_interaction GROUP BY account_id"
            )
            cur.fetchall()
            cur.execute(
                "SELECT account_id, SUM(points), MIN(balance_after), MAX(seq) "
                "FROM accounts_trustentry GROUP BY account_id"
            )
            cur.fetchall()
            cur.execute(
                "SELECT account_id, metric, SUM(value), COUNT(*) FROM accounts_usagemetric "
                "GROUP BY account_id, metric"
            )
            cur.fetchall()

    median, _ = timed(run, 3)
    return median


def psql(*args: str, capture: bool = False) -> str:
    """Run psql (the floor is psql's own \\copy, not our Python)."""
    done = subprocess.run(  # noqa: S603 -- fixed argv, no shell
        ["psql", *args],  # noqa: S607 -- psql from PATH, as an operator would run it
        check=True,
        capture_output=capture,
        text=True,
    )
    return done.stdout or ""


def copy_floor(rows: int) -> float:
    """The floor for data generation: psql's \\copy of a ready-made file of `rows` usage rows
    into a table shaped like accounts_usagemetric (same columns, defaults and indexes)."""
    path = BASE_DIR / "artifacts" / "bench-copy-floor.tsv"
    with open(path, "w") as fh:
        for i in range(rows):
            account, rest = divmod(i, 60)
            metric, day = divmod(rest, 30)
            fh.write(f"{account + 1}\tm{metric}\t2026-01-{day + 1:02d}\t{i % 97}.5\n")
    db = os.environ["DATABASE_URL"]
    psql(
        db,
        "-q",
        "-c",
        "SET client_min_messages = warning; DROP TABLE IF EXISTS bench_copy_floor;"
        " CREATE TABLE bench_copy_floor (LIKE accounts_usagemetric INCLUDING ALL)",
    )
    t0 = time.perf_counter()
    psql(db, "-q", "-c", f"\\copy bench_copy_floor (account_id, metric, date, value) FROM '{path}'")
    elapsed = time.perf_counter() - t0
    psql(db, "-q", "-c", "DROP TABLE bench_copy_floor")
    path.unlink()
    return rows / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--full", action="store_true")
    parser.add_argument("--accounts", type=int)
    parser.add_argument(
        "--backtest", action="store_true", help="only the back-test benchmark (100,000 accounts)"
    )
    parser.add_argument("--skip-backtest", action="store_true")
    parser.add_argument(
        "--reuse", action="store_true", help="back-test benchmark: keep the last run's data"
    )
    parser.add_argument("--output", default=str(BASE_DIR / "BENCHMARKS.md"))
    parser.add_argument(
        "--render", metavar="JSON", help="only rewrite the Markdown from a saved results file"
    )
    args = parser.parse_args()
    if args.render:
        from bench import suite

        suite.write_markdown(json.loads(Path(args.render).read_text()), Path(args.output))
        log(f"wrote {args.output} from {args.render}")
        return 0
    profile_name = "full" if args.full else "quick"
    profile = dict(PROFILES[profile_name])
    if args.accounts:
        profile["accounts"] = args.accounts
    (BASE_DIR / "artifacts").mkdir(exist_ok=True)
    setup_environment()
    from bench import suite

    try:
        recreate_database()
    except Exception as exc:
        print(f"error: PostgreSQL is needed for the benchmark ({exc})", file=sys.stderr)
        return 2
    import django

    django.setup()
    backtest_accounts = args.accounts or (10_000 if args.quick else 100_000)
    if args.backtest:
        backtest_scenario(
            accounts=backtest_accounts, repeats=3, output=Path(args.output), reuse=args.reuse
        )
        return 0
    started_machine = machine()
    results = suite.run(profile=profile, profile_name=profile_name, log=log)
    results["machine"] = {**started_machine, "load_end": load_average()}
    results["figures"]["bench_driver_rss_mb"] = round(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
    )
    results["date"] = date.today().isoformat()
    (BASE_DIR / "artifacts" / f"bench-{profile_name}.json").write_text(
        json.dumps(results, indent=2, default=str)
    )
    suite.write_markdown(results, Path(args.output))
    log(f"wrote {args.output}")
    if not args.skip_backtest:
        backtest_scenario(accounts=backtest_accounts, repeats=3, output=Path(args.output))
    return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["Process", "copy_floor", "peak_rss_mb", "sql_group_by_floor", "timed", "timedelta"]
