"""The web half of the benchmark, against gunicorn on loopback.

- the floor: `/healthz/` (a Django view that touches no database), closed loop;
- API list and detail latency at a fixed 100 requests/s (open loop, token auth);
- bulk ingest through the API (usage and interactions, 1,000 rows per request);
- dashboard time to first byte for home, an account page and the portfolio, logged in with a
  session as a manager with a realistic book (and as a CSM).

Every request goes to 127.0.0.1 and every loop is bounded in count and time.
"""

import random
import re
import statistics
import time
from datetime import timedelta

import requests

from bench.datagen import BENCH_PASSWORD
from bench.load import LoadResult, closed_loop, constant_rate

RATE = 100  # requests/s for the API latency targets


def wait_ready(url: str, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer 200 within {timeout:.0f} s (artifacts/bench-*.log)")


def _api_token(username: str, scopes: list[str]) -> str:
    from integrations.services import api_token_create
    from users.models import User

    _, key = api_token_create(
        user=User.objects.get(username=username), name="benchmark", scopes=scopes
    )
    return key


def _login(base: str, username: str) -> requests.Session:
    """A browser-like session: GET the login form, POST it with the CSRF token."""
    session = requests.Session()
    page = session.get(f"{base}/login/", timeout=10)
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    if not match:
        raise RuntimeError("no CSRF token on /login/")
    response = session.post(
        f"{base}/login/",
        data={
            "username": username,
            "password": BENCH_PASSWORD,
            "csrfmiddlewaretoken": match.group(1),
        },
        headers={"Referer": f"{base}/login/"},
        allow_redirects=False,
        timeout=10,
    )
    if response.status_code != 302:
        raise RuntimeError(f"login as {username} failed with HTTP {response.status_code}")
    return session


def _ttfb_ms(session: requests.Session, url: str) -> float:
    """Time to the first byte of the body (headers parsed, first chunk read)."""
    t0 = time.perf_counter()
    with session.get(url, stream=True, timeout=30, allow_redirects=False) as response:
        next(response.iter_content(1), b"")
        elapsed = (time.perf_counter() - t0) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered HTTP {response.status_code}")
        for _ in response.iter_content(65536):
            pass
    return elapsed


def _summary(result: LoadResult) -> dict:
    return {
        "sent": result.sent,
        "errors": result.errors,
        "rate": round(result.rate, 1),
        "median_ms": round(result.median, 1),
        "p95_ms": round(result.pct(95), 1),
        "p99_ms": round(result.pct(99), 1),
    }


def floor(results: dict, *, base: str, seconds: float, log) -> None:
    url = f"{base}/healthz/"
    closed_loop(make_request=lambda s, i: s.get(url, timeout=10), seconds=1, threads=4)  # warm
    result = closed_loop(make_request=lambda s, i: s.get(url, timeout=10), seconds=seconds)
    f = results["figures"]
    f["floor_rps"] = round(result.rate, 1)
    f["floor_median_ms"] = round(result.median, 2)
    # the no-DB view at the same open-loop 100 req/s, the floor for the API latency figures
    paced = constant_rate(
        make_request=lambda s, i: s.get(url, timeout=10), rate=RATE, seconds=seconds
    )
    f["floor_p95_ms"] = round(paced.pct(95), 2)
    f["floor_paced_median_ms"] = round(paced.median, 2)
    log(
        f"  no-DB floor: {f['floor_rps']:,} req/s closed loop, median {f['floor_median_ms']} ms;"
        f" at {RATE}/s p95 {f['floor_p95_ms']} ms"
    )


def api_latency(results: dict, *, base: str, seconds: float, log) -> None:
    from accounts.models import Account, Interaction
    from users.models import User

    # Three integration tokens share the 100 req/s, so each stays inside the default per-token
    # throttle (API_THROTTLE_RATE, 3,000/min = 50/s) and the throttle's cost is measured too.
    tokens = [_api_token("bench-admin", ["read"]) for _ in range(3)]
    headers = {"Authorization": f"Token {tokens[0]}"}
    rng = random.Random(3)
    max_account = Account.objects.order_by("-id").values_list("id", flat=True).first()
    max_interaction = Interaction.objects.order_by("-id").values_list("id", flat=True).first()
    owners = list(
        User.objects.filter(username__startswith="bench-csm-").values_list("pk", flat=True)
    )
    # Lists an integration actually pages through: all accounts (by id, by ARR), one owner's
    # book, one account's interactions, the second page of a cursor.
    first = requests.get(f"{base}/api/v1/accounts/", headers=headers, timeout=30).json()
    next_page = first.get("next") or f"{base}/api/v1/accounts/"
    lists = [
        lambda: f"{base}/api/v1/accounts/",
        lambda: f"{base}/api/v1/accounts/?ordering=-arr",
        lambda: f"{base}/api/v1/accounts/?owner={rng.choice(owners)}",
        lambda: f"{base}/api/v1/interactions/?account={rng.randint(1, max_account)}",
        lambda: next_page,
    ]
    details = [
        lambda: f"{base}/api/v1/accounts/{rng.randint(1, max_account)}/",
        lambda: f"{base}/api/v1/interactions/{rng.randint(1, max_interaction)}/",
    ]

    f = results["figures"]
    for name, makers in (("list", lists), ("detail", details)):
        urls = [makers[i % len(makers)]() for i in range(int(RATE * seconds))]
        for url in urls[:20]:  # warm every gunicorn worker's connection and caches
            requests.get(url, headers=headers, timeout=30)
        result = constant_rate(
            make_request=lambda s, i, urls=urls: s.get(
                urls[i], headers={"Authorization": f"Token {tokens[i % 3]}"}, timeout=30
            ),
            rate=RATE,
            seconds=seconds,
        )
        summary = _summary(result)
        results.setdefault("api", {})[name] = summary
        f[f"api_{name}_p95_ms"] = summary["p95_ms"]
        f[f"api_{name}_errors"] = summary["errors"]
        log(
            f"  API {name} at {RATE}/s: p95 {summary['p95_ms']} ms, median {summary['median_ms']}"
            f" ms, {summary['errors']} errors of {summary['sent']}"
        )


def ingest(results: dict, *, base: str, seconds: float, log) -> None:
    """Bulk upserts of fresh rows, 1,000 per request, from 4 concurrent clients."""
    from django.utils import timezone

    from accounts.models import Account

    token = _api_token("bench-admin", ["read", "ingest"])
    headers = {"Authorization": f"Token {token}"}
    max_account = Account.objects.order_by("-id").values_list("id", flat=True).first()
    today = timezone.localdate()
    rows_per_request = 1000

    def usage_body(i: int) -> dict:
        """1,000 distinct (account, metric, date) keys: 100 accounts x 10 days, a fresh metric."""
        rng = random.Random(i)
        first = rng.randint(1, max(1, max_account - 100))
        return {
            "rows": [
                {
                    "account": first + k // 10,
                    "metric": f"bench_ingest_{i}",
                    "date": (today - timedelta(days=k % 10)).isoformat(),
                    "value": round(rng.random() * 100, 1),
                }
                for k in range(rows_per_request)
            ]
        }

    def interaction_body(i: int) -> dict:
        rng = random.Random(i)
        return {
            "rows": [
                {
                    "account": rng.randint(1, max_account),
                    "external_id": f"bench-ingest-{i}-{k}",
                    "channel": "ticket",
                    "category": rng.choice(["value_adding", "firefighting"]),
                    "minutes": 15,
                }
                for k in range(rows_per_request)
            ]
        }

    f = results["figures"]
    for offset, name, make_body, path in (
        (100_000, "usage", usage_body, "/api/v1/usage/bulk/"),
        (200_000, "interactions", interaction_body, "/api/v1/interactions/bulk/"),
    ):
        accepted = []
        statuses = {}

        def post(
            session,
            i,
            make_body=make_body,
            path=path,
            accepted=accepted,
            statuses=statuses,
            offset=offset,
        ):
            response = session.post(
                f"{base}{path}",
                json=make_body(offset + i),
                headers=headers,
                timeout=120,
            )
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            if response.status_code in (200, 207):
                body = response.json()
                accepted.append(body["created"] + body["updated"])
            return response

        result = closed_loop(make_request=post, seconds=seconds, threads=4)
        rows = sum(accepted)
        rate = rows / result.duration_s
        results.setdefault("ingest", {})[name] = {
            "requests": result.sent,
            "errors": result.errors,
            "rows": rows,
            "seconds": round(result.duration_s, 1),
            "rows_s": round(rate),
            "statuses": statuses,
            "median_request_ms": round(result.median, 1),
        }
        log(
            f"  bulk ingest {name}: {rows:,} rows in {result.duration_s:.1f} s ="
            f" {rate:,.0f} rows/s ({result.errors} failed requests, statuses {statuses})"
        )
    f["ingest_rows_s"] = min(v["rows_s"] for v in results["ingest"].values())


def dashboards(results: dict, *, base: str, samples: int, log) -> None:
    from accounts.models import Account
    from users.models import User

    f = results["figures"]
    manager = User.objects.get(username="bench-manager-0")
    book = Account.objects.for_user(manager)
    f["manager_book_accounts"] = book.count()
    account_ids = list(book.order_by("?").values_list("pk", flat=True)[:samples])
    detail: dict = {}
    for who in ("bench-manager-0", "bench-csm-0"):
        session = _login(base, who)
        ids = (
            account_ids
            if who == "bench-manager-0"
            else list(
                Account.objects.filter(owner__username=who).values_list("pk", flat=True)[:samples]
            )
        )
        pages = {
            "home": lambda i: f"{base}/",
            "account": lambda i, ids=ids: f"{base}/accounts/{ids[i % len(ids)]}/",
            "portfolio": lambda i: f"{base}/portfolio/",
        }
        for page, url_for in pages.items():
            _ttfb_ms(session, url_for(0))  # warm
            timings = [_ttfb_ms(session, url_for(i)) for i in range(samples)]
            median = statistics.median(timings)
            detail[f"{who}:{page}"] = {
                "median_ms": round(median, 1),
                "p95_ms": round(sorted(timings)[int(0.95 * (len(timings) - 1))], 1),
            }
            if who == "bench-manager-0":
                f[f"ttfb_{page}_ms"] = round(median, 1)
            log(f"  TTFB {page} as {who}: median {median:.1f} ms")
    results["ttfb"] = detail


def run(results: dict, *, base: str, seconds: float, ttfb_samples: int, log) -> None:
    log("web: no-DB floor")
    floor(results, base=base, seconds=min(seconds, 10), log=log)
    log("web: API latency under load")
    api_latency(results, base=base, seconds=seconds, log=log)
    log("web: bulk ingest")
    ingest(results, base=base, seconds=min(seconds, 15), log=log)
    log("web: dashboard time to first byte")
    dashboards(results, base=base, samples=ttfb_samples, log=log)
