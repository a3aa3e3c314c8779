"""Benchmark data at scale, loaded with PostgreSQL COPY (never row inserts).

Rows are produced by generators and streamed into `COPY ... FROM STDIN` through a file-like
adapter, so memory stays flat whatever the volume. Columns a generator does not set get the
model field's Python default, so the generator keeps working as models grow.
"""

import io
import json
import random
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import NOT_PROVIDED, Model

CATEGORIES_HEALTHY = (
    ["relationship_building"] * 4 + ["value_adding"] * 4 + ["firefighting", "unvalued_problem"]
)
CATEGORIES_DECAYING = (
    ["relationship_building", "value_adding"]
    + ["firefighting"] * 4
    + ["escalation"] * 2
    + ["unvalued_problem"] * 2
)
TEAMS = 50
CSMS_PER_TEAM = 10
BENCH_PASSWORD = "bench-password-only-for-local-benchmarks"
CHANNELS = ["call", "meeting", "email", "qbr", "ticket", "training", "onsite", "chat"]
POINTS = {
    "relationship_building": 2,
    "value_adding": 4,
    "firefighting": -6,
    "escalation": -20,
    "unvalued_problem": -3,
}


def _csv_value(value) -> str:
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dict | list):
        value = json.dumps(value)
    text = str(value)
    if any(ch in text for ch in "\t\n\\\r"):
        text = (
            text.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return text


class _RowStream(io.RawIOBase):
    """A read()-able byte stream over an iterator of text lines (for copy_expert)."""

    def __init__(self, lines: Iterator[str]):
        self._lines = lines
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        want = size if size and size > 0 else 1 << 20
        chunks, have = [self._buffer], len(self._buffer)
        while have < want:
            try:
                line = next(self._lines)
            except StopIteration:
                break
            data = line.encode()
            chunks.append(data)
            have += len(data)
        blob = b"".join(chunks)
        self._buffer = blob[want:]
        return blob[:want]


def copy_lines(model: type[Model], fields: list[str], heads: Iterable[str]) -> int:
    """COPY ready-made lines (`fields` in order, tab-separated COPY text, no newline) into
    `model`'s table, filling every other column with its default; returns the row count."""
    concrete = list(model._meta.concrete_fields)
    given = set(fields)
    defaults = {}
    for f in concrete:
        name = f.attname if f.attname in given else f.name
        if name in given or f.attname in given or f.primary_key:
            continue
        if f.has_default():
            value = f.get_default()
        elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            value = datetime.now(UTC)
        elif f.null:
            value = None
        elif f.default is NOT_PROVIDED and f.blank:
            value = ""
        else:
            raise ValueError(f"bench generator must set {model.__name__}.{f.name}")
        defaults[f.column] = _csv_value(value)
    columns = [model._meta.get_field(name).column for name in fields] + list(defaults)
    tail = "\t".join(defaults.values())
    count = 0

    def lines() -> Iterator[str]:
        nonlocal count
        for head in heads:
            count += 1
            yield f"{head}\t{tail}\n" if tail else f"{head}\n"

    sql = f"COPY {model._meta.db_table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(sql, _RowStream(lines()), size=1 << 20)
    return count


def copy_rows(model: type[Model], fields: list[str], rows: Iterable[tuple]) -> int:
    """COPY `rows` (tuples in `fields` order, any Python values) into `model`'s table."""
    return copy_lines(model, fields, ("\t".join(_csv_value(v) for v in row) for row in rows))


def reset_sequence(model: type[Model]) -> None:
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM {table}), 1))"
        )


def generate(
    *,
    accounts: int,
    interactions_per_account: int,
    usage_days: int,
    usage_metrics: int,
    today: date,
    seed: int = 7,
    report: Callable[[str, int, float], None] = lambda name, rows, seconds: None,
) -> dict[str, int]:
    """Create users, segments, accounts, interactions, ledger entries and usage with COPY."""
    from accounts.models import Account, Interaction, Segment, TrustEntry, UsageMetric
    from users.models import Team, User

    rng = random.Random(seed)
    # A realistic org: 50 teams of 10 CSMs, each CSM owning ~1/500 of the accounts (200 of
    # 100,000), each manager's book the 10 CSMs' accounts. Only the users the benchmark logs in
    # as get a real password (hashing 550 passwords would dominate a quick run).
    managers = User.objects.bulk_create(
        User(username=f"bench-manager-{t}", role="manager", password="!") for t in range(TEAMS)
    )
    teams = Team.objects.bulk_create(
        Team(name=f"Bench team {t}", manager=managers[t]) for t in range(TEAMS)
    )
    for manager, team in zip(managers, teams, strict=True):
        manager.team = team
    User.objects.bulk_update(managers, ["team"])
    csm_users = User.objects.bulk_create(
        User(username=f"bench-csm-{i}", role="csm", team=teams[i % TEAMS], password="!")
        for i in range(TEAMS * CSMS_PER_TEAM)
    )
    admin = User.objects.create(username="bench-admin", role="admin", password="!")
    for user in (managers[0], csm_users[0], admin):
        user.set_password(BENCH_PASSWORD)
        user.save(update_fields=["password"])
    csms = [u.pk for u in csm_users]
    segment, _ = Segment.objects.get_or_create(name="Bench")
    counts: dict[str, int] = {}

    started = time.perf_counter()
    stages = ["onboarding", "adoption", "mature", "mature", "renewal", "churned"]

    def account_rows():
        for i in range(1, accounts + 1):
            arr = Decimal(rng.randrange(5_000, 500_000, 100))
            yield (
                i,
                f"Bench account {i}",
                f"bench-{i}",
                rng.choice(["SaaS", "Retail", "Fintech"]),
                rng.randint(10, 20_000),
                rng.choice(["NA", "EMEA", "APAC"]),
                segment.pk,
                rng.choice(stages),
                csms[i % len(csms)],
                arr,
                (arr / 12).quantize(Decimal("1")),
                today - timedelta(days=rng.randint(200, 1500)),
                today + timedelta(days=rng.randint(1, 365)),
            )

    counts["accounts"] = copy_rows(
        Account,
        [
            "id",
            "name",
            "external_id",
            "industry",
            "employee_count",
            "region",
            "segment_id",
            "stage",
            "owner_id",
            "arr",
            "mrr",
            "contract_start",
            "renewal_date",
        ],
        account_rows(),
    )
    reset_sequence(Account)
    report("accounts", counts["accounts"], time.perf_counter() - started)

    # Interactions and their ledger entries share ids, so each entry links its interaction.
    # Each account's rows come from its own seeded RNG, so the ledger pass regenerates exactly
    # the interactions of the first pass without holding millions of rows in memory. The hot
    # loops write ready-made COPY text (no per-value type dispatch): millions of rows a minute.
    day_text = [(today - timedelta(days=d)).isoformat() for d in range(366)]
    minute_text = [f"{m // 60:02d}:{m % 60:02d}:00+00" for m in range(1440)]
    minutes_choices = (15, 30, 45, 60, 90)
    per = interactions_per_account

    def account_interactions(account_id: int) -> list[tuple]:
        """(id, occurred_at text, category, channel, sentiment, minutes, severity), oldest first."""
        rand = random.Random(seed * 10_000_019 + account_id).random
        pool = CATEGORIES_DECAYING if account_id % 5 == 0 else CATEGORIES_HEALTHY
        size = len(pool)
        first_id = (account_id - 1) * per
        drawn = []
        for k in range(per):
            category = pool[int(rand() * size)]
            offset = int(rand() * 365 * 1440) + 1  # minutes before today's midnight
            negative = POINTS[category] < 0
            sentiment = -int(rand() * 3) if negative else int(rand() * 3)
            severity = str(1 + int(rand() * 4)) if category == "escalation" else r"\N"
            drawn.append(
                (
                    offset,
                    first_id + k + 1,
                    category,
                    CHANNELS[k % 8],
                    sentiment,
                    minutes_choices[int(rand() * 5)],
                    severity,
                )
            )
        drawn.sort(reverse=True)
        rows = []
        for offset, pk, category, channel, sentiment, minutes, severity in drawn:
            day, minute = divmod(offset, 1440)
            # offset minutes before midnight: day+1 days back at (1440 - minute) past midnight
            text = (
                f"{day_text[day]} {minute_text[1440 - minute]}"
                if minute
                else f"{day_text[day]} 00:00:00+00"
            )
            rows.append((pk, text, category, channel, sentiment, minutes, severity))
        return rows

    def interaction_lines():
        for account_id in range(1, accounts + 1):
            for (
                pk,
                occurred,
                category,
                channel,
                sentiment,
                minutes,
                severity,
            ) in account_interactions(account_id):
                yield (
                    f"{pk}\t{account_id}\t{occurred}\t{channel}\t{category}\t{sentiment}"
                    f"\t{minutes}\tsupport\t{severity}"
                )

    started = time.perf_counter()
    counts["interactions"] = copy_lines(
        Interaction,
        [
            "id",
            "account_id",
            "occurred_at",
            "channel",
            "category",
            "sentiment",
            "minutes",
            "work_type",
            "severity",
        ],
        interaction_lines(),
    )
    reset_sequence(Interaction)
    report("interactions", counts["interactions"], time.perf_counter() - started)

    reasons = {category: category.replace("_", " ") for category in POINTS}

    def ledger_lines():
        for account_id in range(1, accounts + 1):
            balance = 0
            for seq, row in enumerate(account_interactions(account_id), start=1):
                points = POINTS[row[2]]
                balance += points
                kind = "ladder" if points >= 0 else "chute"
                yield (
                    f"{row[0]}\t{account_id}\t{seq}\t{row[1]}\t{points}\t{points}\t{kind}"
                    f"\tinteraction\t{reasons[row[2]]}\t{row[0]}\t{balance}"
                )

    started = time.perf_counter()
    counts["trust_entries"] = copy_lines(
        TrustEntry,
        [
            "id",
            "account_id",
            "seq",
            "occurred_at",
            "points",
            "base_points",
            "kind",
            "source",
            "reason",
            "interaction_id",
            "balance_after",
        ],
        ledger_lines(),
    )
    reset_sequence(TrustEntry)
    report("trust_entries", counts["trust_entries"], time.perf_counter() - started)

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE accounts_account a SET goodwill_balance = t.balance, ledger_seq = t.seq "
            "FROM (SELECT account_id, SUM(points) AS balance, MAX(seq) AS seq "
            "      FROM accounts_trustentry GROUP BY account_id) t WHERE t.account_id = a.id"
        )

    metric_names = ["active_users", "reports_run", "logins", "exports"][:usage_metrics]
    rand = rng.random

    def usage_lines():
        for account_id in range(1, accounts + 1):
            base = 5 + int(rand() * 195)
            trend = -0.01 if account_id % 5 == 0 else 0.002
            for m, metric in enumerate(metric_names):
                for d in range(usage_days):
                    value = base * (1 + trend * (usage_days - d)) * (0.7 + 0.6 * rand())
                    yield f"{account_id}\t{metric}\t{day_text[d]}\t{max(0.0, value) + m:.1f}"

    counts["usage_rows"] = copy_lines(
        UsageMetric, ["account_id", "metric", "date", "value"], usage_lines()
    )
    reset_sequence(UsageMetric)
    report("usage_rows", counts["usage_rows"], time.perf_counter() - started)
    with connection.cursor() as cursor:
        # As after any bulk load (docs/OPERATIONS.md): set hint bits and the visibility map
        # once, instead of leaving the first readers (the SQL floor, the first nightly run) to
        # dirty every page, and refresh the planner's statistics.
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("CHECKPOINT")  # the floor is measured with the load written out
    return counts
