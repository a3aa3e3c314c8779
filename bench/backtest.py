"""The back-test benchmark: a 12-date validation of 100,000 accounts (`make bench-backtest`,
and part of `make bench` / `make bench-quick` at 100,000 / 10,000 accounts).

Generates the accounts (`bench/backtest_data.py`) in a database of its own, then runs the
product's back-test as the management command does (in this process, the whole service:
observations, report, suggested weights judged out of time, report written to the row) a
few times, and reports the median beside a reference measured in the same run on the same
data: one plain SQL `GROUP BY` over every row the back-test reads, plus one plain L2 logistic
regression on its pooled observations (the least any back-test with learned weights must do).
The load average is recorded: these 2 cores are shared.
"""

import os
import statistics
import time
from datetime import date
from pathlib import Path

from bench.sections import section_write

MARK_START = "<!-- backtest-bench:start -->"
MARK_END = "<!-- backtest-bench:end -->"
TARGET_S = 60.0
BENCH_SCORECARD = "Back-test bench"


def _cpu_seconds() -> tuple[float, float]:
    """CPU seconds used so far by this process and by its PostgreSQL backend (from /proc:
    both run on this machine). What a back-test costs whatever else the cores are doing."""
    import resource

    from django.db import connection

    usage = resource.getrusage(resource.RUSAGE_SELF)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    backend = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return usage.ru_utime + usage.ru_stime, backend


def reference(observations) -> dict:
    """The floor: the inputs read once with plain GROUP BYs, and one plain model fit."""
    import numpy as np
    from django.db import connection
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        for sql in (
            "SELECT account_id, metric, SUM(value), COUNT(*) FROM accounts_usagemetric "
            "GROUP BY account_id, metric",
            "SELECT account_id, SUM(points) FROM accounts_trustentry GROUP BY account_id",
            "SELECT account_id, MAX(occurred_at) FROM accounts_interaction "
            "WHERE category = 'value_adding' GROUP BY account_id",
        ):
            cursor.execute(sql)
            cursor.fetchall()
    sql_s = time.perf_counter() - t0
    x = np.nan_to_num(observations.raws)
    x = (x - x.mean(axis=0)) / (x.std(axis=0) + 1e-9)
    t0 = time.perf_counter()
    with threadpool_limits(limits=1):
        LogisticRegression(C=1.0, max_iter=1000).fit(x, observations.label)
    fit_s = time.perf_counter() - t0
    return {"sql_s": round(sql_s, 2), "fit_s": round(fit_s, 2), "total_s": round(sql_s + fit_s, 2)}


def run(*, accounts: int, repeats: int, today: date, log, reuse: bool = False) -> dict:
    """Generate, back-test `repeats` times, measure the reference; plain numbers back."""
    from django.core.management import call_command

    from bench.backtest_data import backtest_window, generate, scorecard_create
    from healthscores.models import BacktestStatus
    from healthscores.services.backtest import (
        backtest_dates,
        score_backtest_create,
        score_backtest_process,
    )
    from healthscores.services.measures import measure_rules
    from healthscores.services.observations import observations_collect
    from healthscores.services.validation import _scope
    from scorecards.models import ScorecardVersion

    call_command("migrate", verbosity=0)
    results: dict = {"accounts": accounts, "load_start": os.getloadavg(), "datagen": {}}

    def report(name: str, rows: int, seconds: float) -> None:
        results["datagen"][name] = {"rows": rows, "seconds": round(seconds, 1)}
        log(f"  {name}: {rows:,} rows in {seconds:.1f} s")

    version = (
        ScorecardVersion.objects.filter(scorecard__name=BENCH_SCORECARD).first() if reuse else None
    )
    if version is None:
        log(f"back-test bench: generating {accounts:,} accounts with a year of weekly usage")
        t0 = time.perf_counter()
        results["counts"] = generate(accounts=accounts, today=today, report=report)
        results["datagen_s"] = round(time.perf_counter() - t0, 1)
        version = scorecard_create()
    else:
        log("back-test bench: reusing the data of the last run")
        from accounts.models import Account, UsageMetric

        results["counts"] = {
            "accounts": Account.objects.count(),
            "usage_rows": UsageMetric.objects.count(),
        }
        results["datagen_s"] = None
        results["accounts"] = results["counts"]["accounts"]
    start, end, split = backtest_window(today)
    dates = backtest_dates(start, end, 28)
    results["window"] = {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "split": split.isoformat(),
        "dates": len(dates),
    }
    samples, cpu, last = [], [], None
    for i in range(repeats):
        python_cpu, postgres_cpu = _cpu_seconds()
        t0 = time.perf_counter()
        backtest = score_backtest_create(
            version=version, start=start, end=end, split_on=split, enqueue=False, today=today
        )
        backtest = score_backtest_process(backtest_id=backtest.pk)
        elapsed = time.perf_counter() - t0
        if backtest.status != BacktestStatus.DONE:
            raise RuntimeError(f"back-test failed: {backtest.error}")
        samples.append(elapsed)
        after = _cpu_seconds()
        cpu.append((after[0] - python_cpu, after[1] - postgres_cpu))
        last = backtest
        log(
            f"  back-test {i + 1}/{repeats}: {elapsed:.1f} s, "
            f"{backtest.report['observations']:,} observations, load {os.getloadavg()[0]:.1f}"
        )
    results["samples_s"] = [round(s, 2) for s in samples]
    results["cpu_python_s"] = round(statistics.median(c[0] for c in cpu), 2)
    results["cpu_postgres_s"] = round(statistics.median(c[1] for c in cpu), 2)
    results["median_s"] = round(statistics.median(samples), 2)
    results["observations"] = last.report["observations"]
    results["phases_s"] = last.report.get("seconds", {})
    results["test_auc"] = last.report["current"]["test"]["auc"]
    judged = (last.suggestion or {}).get("judged") or {}
    results["suggested_test_auc"] = (judged.get("test") or {}).get("auc")
    log("  reference: plain GROUP BYs over the inputs and one logistic regression")
    obs = observations_collect(
        rules=measure_rules(version.measures.all()),
        scope=_scope(version),
        dates=dates,
        horizon_days=90,
    )
    results["reference"] = reference(obs)
    results["load_end"] = os.getloadavg()
    return results


def _load(values) -> str:
    return " / ".join(f"{v:.1f}" for v in values)


def section(results: dict, machine: dict, when: str) -> str:
    """The BENCHMARKS.md section (between the markers)."""
    ref = results["reference"]
    ratio = results["median_s"] / ref["total_s"] if ref["total_s"] else float("nan")
    met = results["median_s"] <= TARGET_S
    phases = ", ".join(f"{k} {v} s" for k, v in results["phases_s"].items())
    counts = results["counts"]
    gen = ", ".join(f"{k} {v['rows']:,} in {v['seconds']} s" for k, v in results["datagen"].items())
    busy = results["load_start"][0] > (machine.get("cores") or 2)
    return "\n".join(
        [
            MARK_START,
            "## Back-test over 12 dates (`make bench-backtest`)",
            "",
            f"Measured on {when}: {results['accounts']:,} accounts, "
            f"{results['window']['dates']} dates every 28 days "
            f"({results['window']['start']} to {results['window']['end']}, split "
            f"{results['window']['split']}, 90-day horizon), "
            f"{results['observations']:,} observations; a published scorecard of 7 measures "
            "(logins per seat, messages, replies per message, logins trend, tenure, goodwill "
            "balance, days since value delivered). The back-test runs as `manage.py "
            "backtest_scorecard` runs it: the whole service in one process (observations, "
            "report with bootstrap intervals, suggested weights with their grouped "
            "cross-validation, judged on the test period, written to the row), "
            f"{len(results['samples_s'])} times. Machine: {machine.get('cpu', '?')}, "
            f"{machine.get('cores', '?')} cores, {machine.get('postgres', '')}.",
            "",
            "| figure | measured | target | reference (same run) | verdict |",
            "| --- | --- | --- | --- | --- |",
            f"| 12-date back-test, median of {len(results['samples_s'])} (s) | "
            f"{results['median_s']} | ≤ {TARGET_S:.0f} s | {ratio:.1f}× the reference "
            f"({ref['total_s']} s: plain GROUP BYs over the inputs {ref['sql_s']} s + one "
            f"logistic regression on the observations {ref['fit_s']} s) | "
            f"{'met' if met else '**not met**'} |",
            "| CPU time of one back-test, Python (all threads) + its main PostgreSQL "
            f"backend (s) | {results['cpu_python_s'] + results['cpu_postgres_s']:.1f} | | | "
            "information |",
            "",
            f"Runs: {', '.join(str(s) for s in results['samples_s'])} s. CPU time of one "
            f"back-test (median): {results['cpu_python_s']} s in Python + "
            f"{results['cpu_postgres_s']} s in its main PostgreSQL backend = "
            f"{results['cpu_python_s'] + results['cpu_postgres_s']:.1f} s (not counted: "
            "PostgreSQL's two parallel workers of the usage read and the backends of the "
            "ledger and interaction reads run beside it, processes that end with their query). "
            "The back-test spreads over two threads and several backends, so on an otherwise "
            "idle 2-core machine it can take less wall time than CPU time; on a busy one each "
            "runnable thread waits its turn for a core. "
            f"Where the last run spent its time: {phases or 'not recorded'}. "
            f"Test-period AUC of the scorecard {results['test_auc']}, of the suggestion "
            f"{results['suggested_test_auc']} (synthetic data: a sanity check, not a quality "
            "figure; `make validate-bench` is that). "
            + (
                f"Data ({results['datagen_s']} s, generated by PostgreSQL with INSERT ... "
                f"SELECT): {gen}. "
                if results["datagen_s"] is not None
                else "Data of the previous run, reused (`--reuse`). "
            )
            + f"Rows: {', '.join(f'{k} {v:,}' for k, v in counts.items())}.",
            "",
            f"**Load average** at the start {_load(results['load_start'])}, at the end "
            f"{_load(results['load_end'])} (1/5/15 min) on {machine.get('cores', '?')} cores"
            + (
                " — **the machine was busy** (other agents' tests and benchmarks), so the "
                "figures are pessimistic."
                if busy
                else "."
            ),
            MARK_END,
        ]
    )


def write_section(path: Path, text: str) -> None:
    """Replace the back-test section of BENCHMARKS.md (or append it)."""
    section_write(path, text, start=MARK_START, end=MARK_END)
