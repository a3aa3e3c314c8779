"""`make validate-bench`: the product's own back-test and suggested weights on simulated churn.

Two data sets from `bench/churnsim.py` go in through the public API (segments, accounts,
subscriptions, 1,000-row usage bulk upserts, with an admin's API token): one whose churn
follows the accounts' behaviour, and a control whose churn is random. Each gets a segment
scorecard with equal weights on the usage, trend, ratio and tenure measures, set up as
docs/ARCHITECTURE.md suggests. The back-test runs through `POST /api/v1/score-backtests/`
(in-process, no broker: the task runs as the request commits) and its report is read back
through the API; the suggestion is applied as a draft through the API and that draft is
back-tested again, so the figure of the suggestion is the one its applied scorecard gets.
The table (equal vs suggested, train vs test, per tenure band) goes to BENCHMARKS.md.
"""

import argparse
import json
import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
VALIDATE_DB = os.environ.get("VALIDATE_DB", "csplatform_validate")
REDIS = os.environ.get("VALIDATE_REDIS_URL", "redis://127.0.0.1:6379/3")  # the cache only
MARK_START = "<!-- validate-bench:start -->"
MARK_END = "<!-- validate-bench:end -->"
TODAY = date(2026, 12, 1)  # the data's "today": the simulation ends two days before
SIM_END = date(2026, 11, 29)

EQUAL_WEIGHTS = [
    {
        "key": "logins_per_seat",
        "label": "Logins per seat, 28 days",
        "kind": "usage",
        "bad": 0,
        "good": 20,
        "params": {"metric": "logins", "aggregation": "sum", "window_days": 28, "per_seat": True},
    },
    {
        "key": "messages",
        "label": "Messages, 28 days",
        "kind": "usage",
        "bad": 0,
        "good": 300,
        "params": {"metric": "messages", "aggregation": "sum", "window_days": 28},
    },
    {
        "key": "reply_rate",
        "label": "Replies per message, 28 days",
        "kind": "usage_ratio",
        "bad": 0,
        "good": 0.6,
        "params": {"metric": "replies", "denominator": "messages", "window_days": 28},
    },
    {
        "key": "logins_trend",
        "label": "Logins trend, 28 vs 28 days",
        "kind": "usage_trend",
        "bad": -1,
        "good": 0.2,
        "params": {"metric": "logins", "window_days": 28},
    },
    {
        "key": "reports",
        "label": "Reports, 28 days",
        "kind": "usage",
        "bad": 0,
        "good": 15,
        "params": {"metric": "reports", "aggregation": "sum", "window_days": 28},
    },
    {"key": "tenure", "label": "Tenure", "kind": "tenure", "bad": 0, "good": 365},
]


STARTED = time.perf_counter()  # the data's clock is pinned (time-machine); this one is not


def log(message: str) -> None:
    print(f"[validate +{time.perf_counter() - STARTED:.0f} s] {message}", flush=True)


def setup(database: str) -> None:
    os.environ["DATABASE_URL"] = f"{PG_ADMIN_URL}/{database}"
    os.environ["CELERY_BROKER_URL"] = ""  # tasks run in-process as the request commits
    os.environ["REDIS_URL"] = REDIS
    # One loader, and the data's clock is pinned: a per-minute limit would never reset.
    os.environ["API_THROTTLE_RATE"] = "100000000/min"
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "csplatform.settings")
    os.environ["CSPLATFORM_ENV"] = "development"
    os.environ["DEBUG"] = "false"
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1,localhost,testserver"
    os.environ["LOG_LEVEL"] = "WARNING"
    import psycopg2

    conn = psycopg2.connect(f"{PG_ADMIN_URL}/postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            [database],
        )
        cur.execute(f'DROP DATABASE IF EXISTS "{database}"')
        cur.execute(f'CREATE DATABASE "{database}"')
    conn.close()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


class Api:
    """The public API in-process: the full stack (token auth, scopes, serializers)."""

    def __init__(self):
        from django.test import Client

        from integrations.services import api_token_create
        from users.models import User

        admin = User.objects.create_user(
            username="validate-admin", password="x", role="admin", is_staff=True
        )
        _token, key = api_token_create(
            user=admin, name="validate-bench", scopes=["read", "write", "ingest", "admin"]
        )
        self.client = Client(HTTP_AUTHORIZATION=f"Token {key}")
        self.admin = admin

    def call(self, method: str, url: str, body=None, expect=(200, 201, 202)) -> dict:
        if method == "get":
            response = self.client.get(f"/api/v1/{url}")
        else:
            response = getattr(self.client, method)(
                f"/api/v1/{url}", data=json.dumps(body or {}), content_type="application/json"
            )
        if response.status_code not in expect:
            raise SystemExit(
                f"{method.upper()} {url}: {response.status_code} {response.content[:500]}"
            )
        return response.json() if response.content else {}


def load(api: Api, data, segment_name: str) -> int:
    """The data set through the API; returns the segment id."""
    segment = api.call("post", "segments/", {"name": segment_name})["id"]
    for account in data.accounts:
        created = api.call(
            "post",
            "accounts/",
            {
                "name": account.name,
                "external_id": account.external_id,
                "segment": segment,
                "stage": "churned" if account.churned_on else "mature",
                "seats": account.seats,
                "contract_start": account.contract_start.isoformat(),
                "churned_on": account.churned_on.isoformat() if account.churned_on else None,
            },
        )
        api.call(
            "post",
            "subscriptions/",
            {
                "account": created["id"],
                "product": "core",
                "start_date": account.contract_start.isoformat(),
                "end_date": account.churned_on.isoformat() if account.churned_on else None,
                "mrr": f"{account.mrr:.2f}",
            },
        )
    rows = [
        {"account_external_id": ext, "metric": metric, "date": day.isoformat(), "value": value}
        for ext, metric, day, value in data.usage
    ]
    for i in range(0, len(rows), 1000):
        api.call("post", "usage/bulk/", {"rows": rows[i : i + 1000]})
    return segment


def scorecard_for(segment_id: int, name: str):
    """An equal-weight scorecard for the segment, published (the scorecard API is another
    helper's work in progress; this uses the services the API calls)."""
    from accounts.models import Segment
    from scorecards.models import Band, Measure, Scorecard, ScorecardVersion

    scorecard = Scorecard.objects.create(name=name, segment=Segment.objects.get(pk=segment_id))
    version = ScorecardVersion.objects.create(scorecard=scorecard, number=1, status="published")
    Measure.objects.bulk_create(
        Measure(version=version, position=i, weight=10, missing_policy="exclude", **m)
        for i, m in enumerate(EQUAL_WEIGHTS)
    )
    for key, low, colour in (
        ("red", 0, "#d64545"),
        ("yellow", 40, "#e0a100"),
        ("green", 70, "#1f9d55"),
    ):
        Band.objects.create(
            version=version, key=key, label=key.title(), min_score=low, colour=colour
        )
    return version


def backtest(api: Api, version_id: int, dates: dict) -> dict:
    started = time.perf_counter()
    body = api.call("post", "score-backtests/", {"scorecard_version": version_id, **dates})
    result = api.call("get", f"score-backtests/{body['id']}/")
    if result["status"] != "done":
        raise SystemExit(f"back-test {body['id']} {result['status']}: {result['error']}")
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def figures(report_part: dict) -> dict:
    row = {
        "auc": report_part["auc"],
        "ci": report_part["auc_ci"],
        "lift": report_part["top_decile_lift"],
    }
    row["obs"] = report_part["observations"]
    row["churned"] = report_part["churned"]
    row["tenure"] = {t["key"]: (t["auc"], t["observations"]) for t in report_part["tenure"]}
    return row


def run_set(api: Api, name: str, data, dates: dict) -> dict:
    segment = load(api, data, f"Simulated {name}")
    version = scorecard_for(segment, f"Simulated {name} (equal weights)")
    log(f"{name}: loaded {len(data.accounts):,} accounts, {len(data.usage):,} usage rows")
    equal = backtest(api, version.pk, dates)
    log(f"{name}: back-test of the equal-weight version in {equal['seconds']} s")
    draft = api.call("post", f"score-backtests/{equal['id']}/apply/")
    applied = backtest(api, draft["id"], dates)
    log(f"{name}: the applied suggestion (draft v{draft['number']}) re-tested")
    suggestion = equal["suggestion"]
    return {
        "equal": {p: figures(equal["report"]["current"][p]) for p in ("train", "test")},
        "suggested": {p: figures(applied["report"]["current"][p]) for p in ("train", "test")},
        "judged": {p: figures(suggestion["judged"][p]) for p in ("train", "test")},
        "measures": suggestion["measures"],
        "c": suggestion["c"],
        "seconds": equal["seconds"],
        "embargoed": equal["report"]["embargoed"],
        "dates": equal["report"]["periods"],
    }


def markdown(results: dict, args) -> str:
    def cell(value):
        return "–" if value is None else f"{value:.3f}"

    lines = [
        MARK_START,
        "## Out-of-time validation on simulated churn (`make validate-bench`)",
        "",
        f"Measured on {results['when']} with `make validate-bench` ({args.accounts:,} accounts per "
        f"set, {args.weeks} weeks of weekly usage, seed {args.seed}). The simulator "
        "(`bench/churnsim.py`): a latent weekly engagement per account (AR(1) around its own "
        "level, lower while onboarding, lasting declines), four correlated noisy usage metrics "
        "read from it, and a weekly churn hazard rising with low engagement, its fall over 8 "
        "weeks and tenure under 90 days / a year. The control has the same accounts and usage "
        "but random churn. Both go in through the API; each segment's scorecard has equal "
        "weights on logins per seat, messages, replies per message, the logins trend (log "
        "ratio), reports and tenure. Back-test: "
        f"{len(results['behaviour']['dates']['train']['dates'])} training dates and "
        f"{len(results['behaviour']['dates']['test']['dates'])} test dates every 28 days, "
        "90-day horizon, training observations whose horizon reaches the test period embargoed. "
        '"Suggested" is the draft the suggestion was applied to through the API, back-tested '
        "again: only its **test** figures count (it was fitted on the training dates, so its "
        "training figures are in sample and not reported). AUC with the 95% interval from "
        "resampling accounts.",
        "",
        "| data set | score | period | AUC (95% CI) | top-decile lift "
        "| < 90 d | 90–365 d | > 365 d |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name in ("behaviour", "control"):
        r = results[name]
        for score in ("equal", "suggested"):
            for period in ("test", "train"):
                f = r[score][period]
                if score == "suggested" and period == "train":
                    lines.append(
                        f"| {name} | suggested (applied draft) | train | fitted here: in "
                        "sample, not reported | | | | |"
                    )
                    continue
                ci = f"{cell(f['ci'][0])}–{cell(f['ci'][1])}" if f["ci"] else "–"
                t = f["tenure"]
                label = "equal weights" if score == "equal" else "suggested (applied draft)"
                period_label = "**test (out of time)**" if period == "test" else "train"
                lines.append(
                    f"| {name} | {label} | {period_label} | {cell(f['auc'])} ({ci}) | "
                    f"{f['lift'] if f['lift'] is not None else '–'}× | {cell(t['new'][0])} | "
                    f"{cell(t['growing'][0])} | {cell(t['established'][0])} |"
                )
    b = results["behaviour"]
    kept = [m for m in b["measures"] if "curve" in m]
    left = [m for m in b["measures"] if "left_out" in m]
    lines += [
        "",
        f"Behaviour set: {b['equal']['test']['obs']:,} test observations "
        f"({b['equal']['test']['churned']:,} churned), {b['equal']['train']['obs']:,} training "
        f"({b['embargoed']:,} embargoed). Penalty chosen by grouped CV: C = {b['c']}. Suggested "
        "weights: "
        + ", ".join(f"{m['label']} {m['weight']:g}" for m in kept)
        + "."
        + (
            " Left out: " + "; ".join(f"{m['label']} ({m['left_out']})" for m in left) + "."
            if left
            else ""
        ),
        f"One back-test of the behaviour set took {b['seconds']} s in-process (load average at the "
        f"start {results['load']}).",
        MARK_END,
    ]
    return "\n".join(lines)


def write(section: str, path: Path) -> None:
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    if MARK_START in text and MARK_END in text:
        text = (
            text[: text.index(MARK_START)] + section + text[text.index(MARK_END) + len(MARK_END) :]
        )
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=800)
    parser.add_argument("--weeks", type=int, default=78)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--output", default=str(BASE_DIR / "BENCHMARKS.md"))
    args = parser.parse_args()
    sys.path.insert(0, str(BASE_DIR))
    load_avg = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    setup(VALIDATE_DB)
    import time_machine

    from bench.churnsim import simulate

    results = {"when": time.strftime("%Y-%m-%d"), "load": load_avg}
    with time_machine.travel(TODAY, tick=False):
        api = Api()
        for name, random_churn, seed in (
            ("behaviour", False, args.seed),
            ("control", True, args.seed + 1),
        ):
            data = simulate(
                accounts=args.accounts,
                weeks=args.weeks,
                end=SIM_END,
                seed=seed,
                random_churn=random_churn,
                prefix=name,
            )
            first = data.first_week + timedelta(weeks=10)
            last = SIM_END - timedelta(days=91)
            steps = (last - first).days // 28
            dates = {
                "start": first.isoformat(),
                "end": (first + timedelta(days=28 * steps)).isoformat(),
                "step_days": 28,
                "horizon_days": 90,
                "split_on": (first + timedelta(days=28 * (steps * 3 // 5 + 1))).isoformat(),
            }
            results[name] = run_set(api, name, data, dates)
    (BASE_DIR / "artifacts").mkdir(exist_ok=True)
    (BASE_DIR / "artifacts" / "validate-bench.json").write_text(
        json.dumps(results, indent=1, default=str)
    )
    section = markdown(results, args)
    write(section, Path(args.output))
    print(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
