"""The benchmark steps. Each returns plain numbers; `write_markdown` renders BENCHMARKS.md."""

import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

from bench.run import PORT, Process, copy_floor, peak_rss_mb, sql_group_by_floor

CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "2"))

TARGETS = {
    "nightly_s": ("nightly run (s)", "≤ 60 s and ≤ 5× the SQL floor"),
    "api_list_p95_ms": ("API list p95 at 100 req/s (ms)", "< 100 ms, 0 errors"),
    "api_detail_p95_ms": ("API detail p95 at 100 req/s (ms)", "< 50 ms, 0 errors"),
    "ingest_rows_s": ("bulk ingest (rows/s)", "≥ 5,000 rows/s"),
    "ttfb_ms": ("dashboard time to first byte, median (ms)", "< 200 ms"),
    "worker_rss_mb": ("peak memory of any worker process (MB)", "< 1,024 MB"),
}


def run(*, profile: dict, profile_name: str, log) -> dict:
    from django.core.management import call_command
    from django.utils import timezone

    from bench.datagen import generate

    results: dict = {"profile": profile_name, "params": profile, "figures": {}, "notes": []}
    figures = results["figures"]
    log("migrating the bench database")
    call_command("migrate", verbosity=0)
    today = timezone.localdate()

    log(f"generating data with COPY for {profile['accounts']:,} accounts")
    gen = {}

    def report(name: str, rows: int, seconds: float) -> None:
        gen[name] = {"rows": rows, "seconds": round(seconds, 2), "rows_s": round(rows / seconds)}
        log(f"  {name}: {rows:,} rows in {seconds:.1f} s ({rows / seconds:,.0f} rows/s)")

    t0 = time.perf_counter()
    counts = generate(
        accounts=profile["accounts"],
        interactions_per_account=profile["per_account"],
        usage_days=profile["usage_days"],
        usage_metrics=profile["metrics"],
        today=today,
        report=report,
    )
    results["datagen"] = gen
    results["counts"] = counts
    results["datagen_total_s"] = round(time.perf_counter() - t0, 1)
    figures["copy_floor_rows_s"] = round(copy_floor(min(counts["usage_rows"], 2_000_000)))
    log(f"  \\copy floor: {figures['copy_floor_rows_s']:,} rows/s")

    floor = sql_group_by_floor()
    figures["sql_floor_s"] = round(floor, 3)
    log(f"SQL GROUP BY floor: {floor:.2f} s")

    nightly(results, profile=profile, today=today, log=log)
    web(results, profile=profile, log=log)
    return results


def nightly(results: dict, *, profile: dict, today, log) -> None:
    """Time full nightly runs through real Celery workers (a fresh as_of date each time)."""
    from django.db import connection

    from accounts.models import Account
    from healthscores.models import HealthSnapshot, RunStatus
    from healthscores.services import score_run_start

    results["celery"] = f"1 Celery worker, prefork, concurrency {CONCURRENCY}"
    worker = Process(
        "worker",
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "csplatform",
            "worker",
            f"--concurrency={CONCURRENCY}",
            "--pool=prefork",
            "-l",
            "warning",
            "--without-gossip",
            "--without-mingle",
            "-n",
            "bench@%h",
        ],
    )
    try:
        from csplatform.celery import app

        app.conf.task_always_eager = False
        deadline = time.time() + 60
        while not app.control.ping(timeout=1):
            if time.time() > deadline:
                raise RuntimeError("celery worker did not start; see artifacts/bench-worker.log")
        app.control.purge()  # tasks a stopped earlier benchmark left in the queue
        samples = []
        # Oldest date first, as nights follow each other: every run after the first reads the
        # previous day's snapshots (why it changed, trend, alerts), as a real nightly run does.
        for i in reversed(range(profile["repeats"])):
            as_of = today - timedelta(days=i)
            # Nights are a day apart: let the previous run's follow-up task (the intervention
            # rules over every account) finish before the clock starts, and do what autovacuum
            # does in between (it is off on these machines): the last run rewrote every
            # account's health columns and added a day of snapshots.
            _wait_until_idle(app)
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
                # Start each night from the same state: the vacuum (and the night before)
                # left hundreds of MB of dirty pages that the server would otherwise write
                # out in the middle of the timed run.
                cursor.execute("CHECKPOINT")
            history = HealthSnapshot.objects.filter(as_of=as_of - timedelta(days=1)).exists()
            t0 = time.perf_counter()
            run = score_run_start(as_of=as_of, trigger="manual")
            while True:
                run.refresh_from_db()
                if run.is_finished:
                    break
                if time.perf_counter() - t0 > 1800:
                    raise RuntimeError("nightly run did not finish in 30 minutes")
                time.sleep(0.2)
            elapsed = time.perf_counter() - t0
            samples.append(elapsed)
            snapshots = HealthSnapshot.objects.filter(as_of=as_of)
            distinct = snapshots.values("account_id").distinct().count()
            log(
                f"  nightly run as_of={as_of}: {elapsed:.1f} s, status {run.status},"
                f" {run.scored_accounts:,}/{run.total_accounts:,} accounts, {snapshots.count():,}"
                f" snapshots for {distinct:,} accounts"
            )
            if run.status != RunStatus.COMPLETED or snapshots.count() != run.total_accounts:
                results["notes"].append(
                    f"nightly run for {as_of} ended {run.status} with {snapshots.count():,}"
                    f" snapshots for {run.total_accounts:,} accounts: {run.failures[:2]}"
                )
            results.setdefault("nightly_runs", []).append(
                {
                    "as_of": as_of.isoformat(),
                    "previous_day": history,
                    "seconds": round(elapsed, 2),
                    "status": run.status,
                    "accounts": run.total_accounts,
                    "snapshots": snapshots.count(),
                    "chunks": run.chunks_total,
                }
            )
        results["figures"]["nightly_s"] = round(statistics.median(samples), 2)
        results["figures"]["nightly_samples_s"] = [round(s, 2) for s in samples]
        results["figures"]["worker_rss_mb"] = round(peak_rss_mb([worker.proc.pid]), 1)
        results["figures"]["scorable_accounts"] = Account.objects.count()
    finally:
        worker.stop()
    # The runs rewrote every account's current health: reclaim the dead row versions and
    # refresh the planner's statistics as autovacuum would soon after (it is off on these
    # machines' PostgreSQL), so the pages below are not measured on a bloated table.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("CHECKPOINT")  # the web figures are not measured during its write-out


def _wait_until_idle(app, timeout: float = 300) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        inspect = app.control.inspect(timeout=1)
        busy = [t for tasks in (inspect.active() or {}).values() for t in tasks]
        busy += [t for tasks in (inspect.reserved() or {}).values() for t in tasks]
        if not busy:
            return
        time.sleep(0.5)


def web(results: dict, *, profile: dict, log) -> None:
    """gunicorn on loopback: the no-DB floor, API latency under load, ingest, dashboard TTFB."""
    from bench import web_suite

    results["gunicorn"] = "4 sync workers"
    server = Process(
        "gunicorn",
        [
            sys.executable,
            "-m",
            "gunicorn",
            "csplatform.wsgi:application",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            "4",
            "--threads",
            "1",
            "--log-level",
            "warning",
        ],
    )
    try:
        web_suite.wait_ready(f"http://127.0.0.1:{PORT}/healthz/")
        web_suite.run(
            results,
            base=f"http://127.0.0.1:{PORT}",
            seconds=profile["load_s"],
            ttfb_samples=profile["ttfb_samples"],
            log=log,
        )
        results["figures"]["gunicorn_rss_mb"] = round(peak_rss_mb([server.proc.pid]), 1)
    finally:
        server.stop()


def _load_remark(machine: dict) -> str:
    """A warning when something else was already using the cores as the benchmark started."""
    try:
        busy = float(str(machine.get("load_start", "")).split("/")[0]) >= 1.0
    except ValueError:
        return ""
    if not busy:
        return " (the benchmark's own load)"
    return (
        " — **the machine was busy** before the benchmark started, so the figures are"
        " pessimistic; re-run on a quiet machine"
    )


def _yes_no(value) -> str:
    return "?" if value is None else ("yes" if value else "no")


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return "—" if value is None else str(value)


def _verdict(met: bool) -> str:
    return "met" if met else "**not met**"


def _ratio(value, floor) -> float:
    return value / floor if floor else float("nan")


def result_rows(results: dict) -> list[str]:
    """The results table: figure | measured | target | ratio to floor | verdict."""
    f = results["figures"]
    rows = []

    def row(label, value, target, ratio, met) -> None:
        rows.append(f"| {label} | {_fmt(value)} | {target} | {ratio} | {_verdict(met)} |")

    gen = results.get("datagen", {})
    if gen:
        slowest = min(v["rows_s"] for k, v in gen.items() if k != "accounts")
        row(
            "data generation with COPY, slowest table (rows/s)",
            slowest,
            "COPY, not row inserts",
            f"{_ratio(slowest, f['copy_floor_rows_s']):.2f}× psql \\copy",
            True,
        )
    if "nightly_s" in f:
        ratio = _ratio(f["nightly_s"], f["sql_floor_s"])
        row(
            "nightly run through Celery (s)",
            f["nightly_s"],
            "≤ 60 s and ≤ 5× SQL floor",
            f"{ratio:.1f}× SQL GROUP BY ({f['sql_floor_s']} s)",
            f["nightly_s"] <= 60 and ratio <= 5,
        )
    for name, limit in (("list", 100), ("detail", 50)):
        key = f"api_{name}_p95_ms"
        if key in f:
            errors = f[f"api_{name}_errors"]
            row(
                f"API {name} p95 at 100 req/s (ms); errors",
                f"{_fmt(f[key])}; {errors} errors",
                f"< {limit} ms, 0 errors",
                f"{_ratio(f[key], f['floor_p95_ms']):.1f}× /healthz/ p95 at 100 req/s",
                f[key] < limit and errors == 0,
            )
    for name, v in results.get("ingest", {}).items():
        row(
            f"bulk ingest through the API, {name} (rows/s)",
            v["rows_s"],
            "≥ 5,000 rows/s",
            f"{_ratio(v['rows_s'], f['copy_floor_rows_s']):.3f}× psql \\copy",
            v["rows_s"] >= 5000,
        )
    for page in ("home", "account", "portfolio"):
        key = f"ttfb_{page}_ms"
        if key in f:
            row(
                f"time to first byte, {page} page, median (ms)",
                f[key],
                "< 200 ms",
                f"{_ratio(f[key], f['floor_median_ms']):.1f}× /healthz/ median",
                f[key] < 200,
            )
    memory = {k: v for k, v in f.items() if k.endswith("_rss_mb")}
    if memory:
        worst = max(memory.values())
        row(
            "peak memory of any process (MB)",
            worst,
            "< 1,024 MB each",
            ", ".join(f"{k.removesuffix('_rss_mb')} {v:,.0f}" for k, v in memory.items()),
            worst < 1024,
        )
    return rows


def write_markdown(results: dict, path: Path) -> None:
    f = results["figures"]
    m = results["machine"]
    c = results["counts"]
    make = "make bench" if results["profile"] == "full" else "make bench-quick"
    gen_rows = "\n".join(
        f"| {name} | {v['rows']:,} | {v['seconds']} | {v['rows_s']:,} |"
        for name, v in results.get("datagen", {}).items()
    )
    nightly_rows = "\n".join(
        f"| {r['as_of']} | {_yes_no(r.get('previous_day'))} | {r['seconds']} | {r['status']} |"
        f" {r['accounts']:,} | {r['snapshots']:,} | {r['chunks']} |"
        for r in results.get("nightly_runs", [])
    )
    api_rows = "\n".join(
        f"| {name} | {v['sent']:,} | {v['errors']} | {v['median_ms']} | {v['p95_ms']} |"
        f" {v['p99_ms']} |"
        for name, v in results.get("api", {}).items()
    )
    ingest_rows = "\n".join(
        f"| {name} | {v['requests']} | {v['rows']:,} | {v['seconds']} | {v['rows_s']:,} |"
        f" {v['median_request_ms']:,} | {v['statuses']} |"
        for name, v in results.get("ingest", {}).items()
    )
    ttfb_rows = "\n".join(
        f"| {key.split(':')[1]} | {key.split(':')[0]} | {v['median_ms']} | {v['p95_ms']} |"
        for key, v in results.get("ttfb", {}).items()
    )
    notes = "\n".join("- " + n for n in results.get("notes", [])) or "- none"
    floor_rows = "\n".join(
        [
            "| plain SQL `GROUP BY` over interactions, ledger and usage (median of 3) |"
            f" {f.get('sql_floor_s')} s |",
            "| psql `\\copy` of a ready-made file into a usage-shaped table |"
            f" {_fmt(f.get('copy_floor_rows_s'))} rows/s |",
            "| `/healthz/` (no database) through gunicorn, closed loop |"
            f" {_fmt(f.get('floor_rps'))} req/s, median {_fmt(f.get('floor_median_ms'))} ms |",
            "| `/healthz/` at 100 req/s, open loop |"
            f" median {_fmt(f.get('floor_paced_median_ms'))} ms,"
            f" p95 {_fmt(f.get('floor_p95_ms'))} ms |",
        ]
    )
    text = f"""# Benchmarks

Measured by `{make}` on {results["date"]} ({results["profile"]} profile). Re-run it with
`make bench` (full, long) or `make bench-quick` (under 3 minutes); this file is rewritten by
each run, and the raw figures go to `artifacts/bench-{results["profile"]}.json`.

Every figure sits beside its target and its ratio to a floor measured in the same run on the
same machine: a plain SQL `GROUP BY` over the same rows (for the nightly run), psql's own
`\\copy` (for loading), and a Django view that touches no database (for the web figures).
Nightly runs and the SQL floor are medians of {results["params"]["repeats"]} and 3 runs. The nights
run oldest first, so every run after the first reads the previous day's snapshots (why it
changed, trend, alerts) as a real night does; between nights the benchmark waits for the
run's follow-up task and runs `VACUUM ANALYZE`, as autovacuum would (it is off on these
machines). The data is vacuumed once after loading, as after any bulk load. Before the floor,
each night and the web figures the benchmark issues a `CHECKPOINT`, so no timed phase pays for
writing out the pages the phase before it dirtied.

**Machine**: {m["cpu"]}, {m["cores"]} cores, {m["memory"]} RAM; {m["postgres"]};
Python {m["python"]}; {m["os"]}. Load average at the start {m.get("load_start", "?")}, at the
end {m.get("load_end", "?")}{_load_remark(m)}.

**Stack**: PostgreSQL on loopback; Redis broker and cache; {results.get("celery", "")};
gunicorn {results.get("gunicorn", "")}; the load generator (`bench/load.py`, open loop at a
fixed rate, latency counted from the scheduled send time) runs on the same 2 cores.

**Data**: {c["accounts"]:,} accounts, {c["interactions"]:,} interactions,
{c["trust_entries"]:,} ledger entries, {c["usage_rows"]:,} usage rows, loaded with COPY in
{results["datagen_total_s"]} s (generation in Python included). Owners: 50 teams of 10 CSMs
(~{c["accounts"] // 500:,} accounts each), each manager's book ~{c["accounts"] // 50:,} accounts.

## Results

| figure | measured | target | ratio to floor | verdict |
| --- | --- | --- | --- | --- |
{chr(10).join(result_rows(results))}

## Floors measured in the same run

| floor | value |
| --- | --- |
{floor_rows}

## Data generation (COPY)

| table | rows | seconds | rows/s |
| --- | --- | --- | --- |
{gen_rows}

## Nightly runs (real Celery workers, concurrency 2)

| as_of | previous day's snapshots | seconds | status | accounts | snapshots | chunks |
| --- | --- | --- | --- | --- | --- | --- |
{nightly_rows}

## API at 100 requests/s (token auth, 3 tokens)

| kind | requests | errors | median ms | p95 ms | p99 ms |
| --- | --- | --- | --- | --- | --- |
{api_rows}

## Bulk ingest (1,000 rows per request, 4 concurrent clients)

| endpoint | requests | rows | seconds | rows/s | median request ms | statuses |
| --- | --- | --- | --- | --- | --- | --- |
{ingest_rows}

## Dashboard time to first byte (logged-in session)

| page | user | median ms | p95 ms |
| --- | --- | --- | --- |
{ttfb_rows}

## Notes

{notes}
"""
    findings = Path(__file__).with_name("findings.md")
    if findings.exists():
        text += "\n" + findings.read_text()
    # `make validate-bench`, the back-test and the list benchmarks own their sections: keep them.
    from bench import backtest, lists, validate

    old = path.read_text() if path.exists() else ""
    for start, end in (
        (validate.MARK_START, validate.MARK_END),
        (backtest.MARK_START, backtest.MARK_END),
        (lists.MARK_START, lists.MARK_END),
    ):
        if start in old and end in old:
            text += "\n" + old[old.index(start) : old.index(end) + len(end)] + "\n"
    path.write_text(text)
