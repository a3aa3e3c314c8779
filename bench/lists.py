"""`python -m bench.lists [--accounts N]`: the Accounts list and the header search at N accounts
(100,000 by default), time to first byte through gunicorn, on a database of its own.

The full benchmark (`make bench`) measures the same pages after its nightly runs; this is the
short form for list and search work: accounts generated with COPY (a couple of interactions
each, no usage history), one nightly run in-process so every account has its health columns,
then each page as an admin (every account), a manager (a team's book) and a CSM. Every
request goes to 127.0.0.1. Prints a Markdown table; `--output` appends nothing by itself.
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from bench.run import BASE_DIR, PORT, Process, load_average, log, recreate_database

# (page, path): the default list, each sortable column both ways, a filter + sort a saved
# view would hold, the list's own search and the header search (two words and a number).
PAGES = [
    ("list, default", "/accounts/"),
    ("list, sort ARR desc", "/accounts/?sort=-arr"),
    ("list, sort health", "/accounts/?sort=health"),
    ("list, sort goodwill desc", "/accounts/?sort=-goodwill"),
    ("list, sort renewal", "/accounts/?sort=renewal"),
    ("list, sort name, page 40", "/accounts/?sort=name&page=40"),
    ("list, saved-view shape", "/accounts/?status=all&stage=renewal&fit=good&sort=-arr"),
    ("list, search 'account 4242'", "/accounts/?q=account+4242"),
    ("header search 'account 777'", "/accounts/search/?q=account+777"),
    ("header search '1234'", "/accounts/search/?q=1234"),
]
USERS = ("bench-admin", "bench-manager-0", "bench-csm-0")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=15)
    parser.add_argument("--reuse", action="store_true", help="keep the last run's data")
    args = parser.parse_args()
    import os

    os.environ.setdefault("BENCH_DB", "csplatform_bench_lists")
    from bench import run as bench_run

    bench_run.BENCH_DB = os.environ["BENCH_DB"]
    bench_run.setup_environment()
    (BASE_DIR / "artifacts").mkdir(exist_ok=True)
    if not args.reuse:
        recreate_database(bench_run.BENCH_DB)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from accounts.models import Account
    from bench import web_suite
    from bench.datagen import generate
    from healthscores.models import RunTrigger
    from healthscores.services import score_run_in_process

    started = {"load": load_average(), "at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    if not args.reuse:
        call_command("migrate", verbosity=0)
        t0 = time.perf_counter()
        generate(
            accounts=args.accounts,
            interactions_per_account=2,
            usage_days=1,
            usage_metrics=1,
            today=timezone.localdate(),
        )
        log(f"generated {args.accounts:,} accounts in {time.perf_counter() - t0:.0f} s")
        t0 = time.perf_counter()
        score_run_in_process(as_of=timezone.localdate(), trigger=RunTrigger.BACKFILL, force=True)
        log(f"scored them in {time.perf_counter() - t0:.0f} s")
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    total = Account.objects.count()
    connection.close()
    server = Process(
        "gunicorn-lists",
        [
            sys.executable,
            "-m",
            "gunicorn",
            "csplatform.wsgi:application",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            "2",
            "--log-level",
            "warning",
        ],
    )
    rows = []
    try:
        base = f"http://127.0.0.1:{PORT}"
        web_suite.wait_ready(f"{base}/healthz/")
        floor = [web_suite._ttfb_ms(web_suite.requests.Session(), f"{base}/healthz/")]
        floor += [
            web_suite._ttfb_ms(web_suite.requests.Session(), f"{base}/healthz/") for _ in range(20)
        ]
        healthz = statistics.median(floor)
        for who in USERS:
            session = web_suite._login(base, who)
            for name, path in PAGES:
                web_suite._ttfb_ms(session, base + path)  # warm
                timings = sorted(
                    web_suite._ttfb_ms(session, base + path) for _ in range(args.samples)
                )
                median = statistics.median(timings)
                p95 = timings[int(0.95 * (len(timings) - 1))]
                rows.append({"user": who, "page": name, "median_ms": median, "p95_ms": p95})
                log(f"  {who:16} {name:32} median {median:6.1f} ms  p95 {p95:6.1f} ms")
    finally:
        server.stop()
    result = {
        "accounts": total,
        "healthz_median_ms": round(healthz, 1),
        "started": started,
        "load_end": load_average(),
        "rows": rows,
    }
    Path(BASE_DIR / "artifacts" / "bench-lists.json").write_text(json.dumps(result, indent=2))
    print(f"\n{total:,} accounts; /healthz/ median {healthz:.1f} ms; load {started['load']}")
    print("| page | user | median ms | p95 ms | target |\n| --- | --- | --- | --- | --- |")
    for row in rows:
        print(
            f"| {row['page']} | {row['user']} | {row['median_ms']:.1f} | {row['p95_ms']:.1f}"
            " | < 200 ms |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
