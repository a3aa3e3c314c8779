"""Set-based reads of every scoring input for a block of accounts as of a date.

Each selector is one query over an account-id range (or an explicit id list), hitting the
(account, date) indexes; none loops over accounts. Rows dated after `as_of` are ignored, so
a back-dated run sees the data as it stood on that day.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import orjson
from django.db import connection
from django.db.models import Avg, Count, Q, Sum
from django.utils import timezone

from accounts.models import (
    Account,
    Category,
    Interaction,
    Stage,
    Subscription,
    SurveyResponse,
    TrustEntry,
    UsageMetric,
    WorkType,
)
from healthscores.hooks import plan_progress_read
from scorecards.models import ManualMeasureValue

RECENT_DAYS = 90  # the window of decay, margin and sentiment
TREND_DAYS = 30  # the health slope (decay) and momentum window
ANCHOR_SLACK_DAYS = 3  # how far before day -7 / -30 a delta may look for a snapshot
SCORE_WORK_MEM = "64MB"  # PostgreSQL work_mem for a block's input queries (one per worker)


@dataclass(frozen=True)
class AccountBlock:
    """Which accounts to score: an id range [lo, hi], or explicit ids; `extra` narrows further."""

    lo: int | None = None
    hi: int | None = None
    ids: tuple[int, ...] | None = None
    extra: Q | None = None

    def q(self, field_name: str = "account_id") -> Q:
        if self.ids is not None:
            return Q(**{f"{field_name}__in": self.ids})
        return Q(**{f"{field_name}__gte": self.lo, f"{field_name}__lte": self.hi})

    def sql(self, column: str) -> tuple[str, list]:
        if self.ids is not None:
            if not self.ids:
                return "1 = 0", []
            return f"{column} IN ({', '.join(['%s'] * len(self.ids))})", list(self.ids)
        return f"{column} BETWEEN %s AND %s", [self.lo, self.hi]


def scorable_accounts(as_of: date):
    """Accounts that were customers on `as_of`: signed (not a prospect), not yet churned, not
    archived (an archived account is out of runs and back-tests until it is restored)."""
    return (
        Account.objects.exclude(stage=Stage.PROSPECT)
        .filter(archived_at__isnull=True)
        .filter((Q(churned_on__isnull=True) & ~Q(stage=Stage.CHURNED)) | Q(churned_on__gt=as_of))
        .filter(Q(contract_start__isnull=True) | Q(contract_start__lte=as_of))
    )


def day_end(as_of: date) -> datetime:
    """The first instant after `as_of` in the organisation's time zone."""
    return datetime.combine(
        as_of + timedelta(days=1), time.min, tzinfo=timezone.get_current_timezone()
    )


@dataclass
class UsageSpec:
    metric: str
    window_days: int


@dataclass
class SurveySpec:
    kind: str
    window_days: int


@dataclass
class ChunkInputs:
    """Everything scoring needs for a block of accounts, keyed by account id."""

    as_of: date
    accounts: list[dict] = field(default_factory=list)
    interactions: dict[int, dict] = field(default_factory=dict)
    mix: dict[int, dict[int, tuple[int, int]]] = field(default_factory=dict)  # n -> acc -> (n, pos)
    ledger: dict[int, dict] = field(default_factory=dict)
    usage: dict[tuple[str, int], dict[int, dict]] = field(default_factory=dict)
    usage_first: dict[str, dict[int, date]] = field(default_factory=dict)  # metric -> acc -> day
    surveys: dict[tuple[str, int], dict[int, tuple[float, int]]] = field(default_factory=dict)
    subscriptions: dict[int, list[tuple]] = field(default_factory=lambda: defaultdict(list))
    manual: dict[int, dict[str, dict]] = field(default_factory=lambda: defaultdict(dict))
    trend: dict[int, tuple] = field(default_factory=dict)
    anchors: dict[int, list[tuple[date, int]]] = field(default_factory=lambda: defaultdict(list))
    previous: dict[int, dict] = field(default_factory=dict)
    plans: dict[int, dict] = field(default_factory=dict)


ACCOUNT_FIELDS = (
    "id",
    "name",
    "segment_id",
    "icp_fit",
    "seats",
    "employee_count",  # account-attribute measures (`measures._attribute_raw`)
    "mrr",
    "arr",
    "custom_attributes",
    "contract_start",
    "hourly_cost",
    "monthly_support_cost",
    "discount_pct",
    "health_as_of",
)


def accounts_for_block(block: AccountBlock, as_of: date) -> list[dict]:
    qs = scorable_accounts(as_of).filter(block.q("id"))
    if block.extra is not None:
        qs = qs.filter(block.extra)
    return list(qs.order_by("id").values(*ACCOUNT_FIELDS))


def interaction_aggregates(block: AccountBlock, as_of: date) -> dict[int, dict]:
    """Per account: last value-adding interaction, and counts/minutes/sentiment over 90 days."""
    end = day_end(as_of)
    since = end - timedelta(days=RECENT_DAYS)
    return _interaction_aggregates_sql(block, end, since)


def _interaction_aggregates_sql(block: AccountBlock, end: datetime, since: datetime) -> dict:
    # Raw SQL rather than the ORM's aggregate(filter=...): without its per-value converters
    # (a third of the time on a 2,000-account block).
    negative = list(Category.negative())
    where, block_params = block.sql("account_id")
    recent = "occurred_at >= %s"
    sql = (
        "SELECT account_id, MAX(occurred_at) FILTER (WHERE category = %s), "
        f"COUNT(*) FILTER (WHERE {recent}), "
        f"COUNT(*) FILTER (WHERE {recent} AND category IN ({', '.join(['%s'] * len(negative))})), "
        f"SUM(minutes) FILTER (WHERE {recent}), "
        f"SUM(minutes) FILTER (WHERE {recent} AND work_type = %s), "
        f"AVG(sentiment) FILTER (WHERE {recent}) "
        f"FROM {Interaction._meta.db_table} WHERE {where} AND occurred_at < %s "
        "GROUP BY account_id"
    )
    params = [Category.VALUE_ADDING, since, since, *negative, since, since, WorkType.CHARGEABLE]
    params += [since, *block_params, end]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {
            row[0]: {
                "last_value_at": row[1],
                "recent": row[2],
                "recent_negative": row[3],
                "recent_minutes": row[4],
                "chargeable_minutes": row[5],
                "recent_sentiment": None if row[6] is None else float(row[6]),
            }
            for row in cursor.fetchall()
        }


def interaction_mix_last_n(block: AccountBlock, as_of: date, n: int) -> dict[int, tuple[int, int]]:
    """Per account (count, relationship-building + value-adding count) among its last `n`
    interactions up to `as_of` (raw SQL: the ORM cannot aggregate over a window filter).

    A LATERAL probe per account reads only its last `n` rows from the (account, occurred_at)
    index, instead of ranking every interaction of the block."""
    table = Interaction._meta.db_table
    positive = Category.positive()
    is_positive = f"category IN ({', '.join(['%s'] * len(positive))})"
    end = connection.ops.adapt_datetimefield_value(day_end(as_of))
    where, params = block.sql("a.id")
    sql = (
        f"SELECT a.id, COUNT(*), COUNT(*) FILTER (WHERE {is_positive}) "
        f"FROM {Account._meta.db_table} a CROSS JOIN LATERAL ("
        f"SELECT category FROM {table} i WHERE i.account_id = a.id AND i.occurred_at < %s "
        "ORDER BY i.occurred_at DESC, i.id DESC LIMIT %s) last_n "
        f"WHERE {where} GROUP BY a.id"
    )
    params = [*positive, end, n, *params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {acc: (int(total), int(pos or 0)) for acc, total, pos in cursor.fetchall()}


def interaction_inputs(
    block: AccountBlock, as_of: date, mix_sizes: list[int]
) -> tuple[dict[int, dict], dict[int, dict[int, tuple[int, int]]]]:
    """`interaction_aggregates` and `interaction_mix_last_n` for every n. (One pass with a
    window over every interaction of the block measured twice as slow on PostgreSQL as the
    plain GROUP BY plus the per-account LATERAL probes.)"""
    return (
        interaction_aggregates(block, as_of),
        {n: interaction_mix_last_n(block, as_of, n) for n in sorted(set(mix_sizes))},
    )


def _tuples(queryset) -> list[tuple]:
    """The queryset's rows as the driver returns them: the same SQL without the ORM's
    per-value converters, which cost a chunk more than the grouping (4,000 usage rows x 12
    values). For aggregates whose database types already are the Python ones."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def ledger_aggregates(block: AccountBlock, as_of: date) -> dict[int, dict]:
    """Per account: goodwill balance on `as_of` and points lost / gained over 90 days."""
    end = day_end(as_of)
    recent = Q(occurred_at__gte=end - timedelta(days=RECENT_DAYS))
    rows = (
        TrustEntry.objects.filter(block.q(), occurred_at__lt=end)
        .order_by()
        .values_list("account_id")
        .annotate(
            balance=Sum("points"),
            burned=Sum("points", filter=recent & Q(points__lt=0)),
            gained=Sum("points", filter=recent & Q(points__gt=0)),
        )
    )
    return {
        acc: {"balance": balance, "burned": burned, "gained": gained}
        for acc, balance, burned, gained in _tuples(rows)
    }


USAGE_FIELDS = ("cur_sum", "cur_rows", "cur_active", "prev_sum", "prev_rows")


def usage_aggregates_many(
    block: AccountBlock, as_of: date, specs: list[UsageSpec]
) -> dict[tuple[str, int], dict[int, dict]]:
    """Per (metric, window) and account: the metric's sum / row count / active days in the
    window and the one before. One pass over the block's usage rows for every spec."""
    specs = list({(s.metric, s.window_days): s for s in specs}.values())
    if not specs:
        return {}
    # Grouped by (account, metric), so each row is tested against its own windows only: one
    # set of date FILTERs per distinct window length, not one per (metric, window) pair.
    windows = sorted({spec.window_days for spec in specs})
    annotations = {}
    for w in windows:
        cut = as_of - timedelta(days=w)
        current = Q(date__gt=cut)
        previous = Q(date__lte=cut, date__gt=as_of - timedelta(days=2 * w))
        annotations[f"w{w}_cur_sum"] = Sum("value", filter=current)
        annotations[f"w{w}_cur_rows"] = Count("id", filter=current)
        annotations[f"w{w}_cur_active"] = Count("id", filter=current & Q(value__gt=0))
        annotations[f"w{w}_prev_sum"] = Sum("value", filter=previous)
        annotations[f"w{w}_prev_rows"] = Count("id", filter=previous)
    rows = (
        UsageMetric.objects.filter(
            block.q(),
            metric__in=sorted({spec.metric for spec in specs}),
            date__gt=as_of - timedelta(days=2 * windows[-1]),
            date__lte=as_of,
        )
        .order_by()
        .values_list("account_id", "metric")
        .annotate(**annotations)
    )
    out: dict[tuple[str, int], dict[int, dict]] = {(s.metric, s.window_days): {} for s in specs}
    wanted = {(s.metric, s.window_days) for s in specs}
    width = len(USAGE_FIELDS)
    for account_id, metric, *values in _tuples(rows):
        for i, w in enumerate(windows):
            if (metric, w) not in wanted:
                continue
            part = values[i * width : (i + 1) * width]
            if part[1] or part[4]:  # rows in the current or the previous window
                out[(metric, w)][account_id] = dict(zip(USAGE_FIELDS, part, strict=True))
    return out


def usage_first_dates(
    block: AccountBlock, as_of: date, metrics: list[str]
) -> dict[str, dict[int, date]]:
    """Per metric and account: the first day with a value, up to `as_of` (accounts without
    any are absent). What tells "no rows in the window" apart: no use by an account that
    reports the metric, or no data at all. One backward probe of the (account, metric, date)
    index per account and metric, however long the history is."""
    metrics = sorted(set(metrics))
    out: dict[str, dict[int, date]] = {m: {} for m in metrics}
    if not metrics:
        return out
    where, params = block.sql("a.id")
    sql = (
        "SELECT a.id, m.metric, (SELECT MIN(u.date) "
        f"FROM {UsageMetric._meta.db_table} u WHERE u.account_id = a.id "
        "AND u.metric = m.metric AND u.date <= %s) AS first_on "
        f"FROM {Account._meta.db_table} a CROSS JOIN unnest(%s::text[]) AS m(metric) "
        f"WHERE {where}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [as_of, metrics, *params])
        for account_id, metric, first_on in cursor.fetchall():
            if first_on is not None:
                out[metric][account_id] = first_on
    return out


def survey_aggregates(block: AccountBlock, as_of: date, spec: SurveySpec) -> dict:
    end = day_end(as_of)
    rows = (
        SurveyResponse.objects.filter(
            block.q(),
            kind=spec.kind,
            responded_at__lt=end,
            responded_at__gte=end - timedelta(days=spec.window_days),
        )
        .order_by()
        .values("account_id")
        .annotate(avg=Avg("score"), n=Count("id"))
    )
    return {row["account_id"]: (float(row["avg"]), row["n"]) for row in rows}


def subscription_rows(block: AccountBlock, as_of: date) -> dict[int, list[tuple]]:
    """(start, end, mrr) of every subscription started by `as_of` (a few rows per account)."""
    out: dict[int, list[tuple]] = defaultdict(list)
    rows = (
        Subscription.objects.filter(block.q(), start_date__lte=as_of)
        .order_by()
        .values_list("account_id", "start_date", "end_date", "mrr")
    )
    for account_id, start, end, mrr in rows:
        out[account_id].append((start, end, float(mrr)))
    return out


def manual_values(block: AccountBlock, as_of: date) -> dict[int, dict[str, dict]]:
    """The latest manual value per (account, measure key) entered by `as_of` (stale or not)."""
    out: dict[int, dict[str, dict]] = defaultdict(dict)
    rows = (
        ManualMeasureValue.objects.filter(block.q(), valid_from__lte=as_of)
        .order_by("account_id", "measure_key", "-valid_from", "-id")
        .values("account_id", "measure_key", "score", "reason", "valid_from", "valid_until")
    )
    for row in rows:
        out[row["account_id"]].setdefault(row["measure_key"], row)
    return out


def snapshot_trend_sums(block: AccountBlock, as_of: date) -> dict[int, tuple]:
    """Per account (n, sum x, sum y, sum xx, sum xy) of the snapshots in the 30 days before
    `as_of`, x in days relative to `as_of`: the least-squares slope without the rows."""
    from healthscores.models import HealthSnapshot

    table = HealthSnapshot._meta.db_table
    where, params = block.sql("account_id")
    x = "(as_of - %s::date)"
    sql = (
        "SELECT account_id, COUNT(*), SUM(x), SUM(y), SUM(x * x), SUM(x * y) FROM ("
        f"SELECT account_id, {x} AS x, overall AS y FROM {table} "
        f"WHERE {where} AND as_of >= %s AND as_of < %s) t GROUP BY account_id"
    )
    start = as_of - timedelta(days=TREND_DAYS)
    with connection.cursor() as cursor:
        cursor.execute(sql, [as_of.isoformat(), *params, start.isoformat(), as_of.isoformat()])
        return {row[0]: tuple(float(v or 0) for v in row[1:]) for row in cursor.fetchall()}


def snapshot_anchors(block: AccountBlock, as_of: date) -> dict[int, list[tuple[date, int]]]:
    """(as_of, overall) of the snapshots a few days either side of 7 and 30 days ago, oldest
    first: the reference points of the 7- and 30-day deltas (a missed night still has one)."""
    from healthscores.models import HealthSnapshot

    d7, d30 = as_of - timedelta(days=7), as_of - timedelta(days=30)
    out: dict[int, list[tuple[date, int]]] = defaultdict(list)
    rows = (
        HealthSnapshot.objects.filter(block.q())
        .filter(
            Q(as_of__gte=d7 - timedelta(days=ANCHOR_SLACK_DAYS), as_of__lte=d7)
            | Q(as_of__gte=d30 - timedelta(days=ANCHOR_SLACK_DAYS), as_of__lte=d30)
        )
        .order_by("account_id", "as_of")
        .values_list("account_id", "as_of", "overall")
    )
    for account_id, day, overall in rows:
        out[account_id].append((day, overall))
    return out


PREVIOUS_MEASURE_KEYS = ("key", "raw", "contribution")  # the rest comes from the version


def previous_snapshots(block: AccountBlock, as_of: date) -> dict[int, dict]:
    """Each account's latest snapshot before `as_of`: one backward index probe per account
    (a LATERAL join), however long the history is. What "why it changed" reads comes as
    `values` ({key: (raw, contribution)}); a snapshot whose measures lack one of those keys
    comes as whole `measures`."""
    from healthscores.documents import measures_expand
    from healthscores.models import HealthSnapshot

    columns = [
        "account_id",
        "as_of",
        "overall",
        "band",
        "measures",
        "decay_status",
        "quadrant",
        "scorecard_version_id",
    ]
    where, params = block.sql("a.id")
    # Only the parts of each measure that "why it changed" reads, one jsonpath array per part
    # (far cheaper than unnesting the documents); `|| '[]'` detoasts each document once.
    parts = ", ".join(f"jsonb_path_query_array(s.m, '$[*].{k}')" for k in PREVIOUS_MEASURE_KEYS)
    selected = ", ".join(f"s.{c}" for c in columns if c != "measures")
    sql = (
        f"SELECT s.id, {selected}, jsonb_array_length(s.m), jsonb_build_array({parts})::text "
        f"FROM {Account._meta.db_table} a CROSS JOIN LATERAL ("
        f"SELECT p.*, p.measures || '[]'::jsonb AS m FROM {HealthSnapshot._meta.db_table} p "
        f"WHERE p.account_id = a.id AND p.as_of < %s ORDER BY p.as_of DESC LIMIT 1) s "
        f"WHERE {where}"
    )
    names = [c for c in columns if c != "measures"]
    out, ragged = {}, {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [as_of, *params])
        for pk, *values, size, arrays in cursor.fetchall():
            row = dict(zip(names, values, strict=True))
            arrays = orjson.loads(arrays)  # as text: orjson parses it several times faster
            if all(len(a) == size for a in arrays):
                # {key: (raw, contribution)}: what "why it changed" compares; labels are looked
                # up only for the few measures that moved (compute.why_changed).
                row["values"] = {
                    key: (raw, contribution) for key, raw, contribution in zip(*arrays, strict=True)
                }
            else:  # a measure without one of the keys: read the document whole
                ragged[pk] = row
            out[row["account_id"]] = row
    if ragged:
        for pk, measures in HealthSnapshot.objects.filter(pk__in=ragged).values_list(
            "pk", "measures"
        ):
            ragged[pk]["measures"] = measures_expand(measures, ragged[pk]["scorecard_version_id"])
    return out


def plan_progress(block: AccountBlock, as_of: date, account_ids: list[int]) -> dict[int, dict]:
    try:
        return plan_progress_read(as_of=as_of, account_ids=account_ids)
    except Exception:  # success plans are optional input: treat a failure as missing data
        import logging

        logging.getLogger(__name__).exception("plan progress unavailable")
        return {}


def chunk_inputs_load(
    *,
    block: AccountBlock,
    as_of: date,
    usage_specs: list[UsageSpec],
    survey_specs: list[SurveySpec],
    mix_sizes: list[int],
    need_plans: bool = True,
) -> ChunkInputs:
    """Every input for the block: a fixed number of queries whatever the number of accounts."""
    inputs = ChunkInputs(as_of=as_of)
    inputs.accounts = accounts_for_block(block, as_of)
    if not inputs.accounts:
        return inputs
    if connection.in_atomic_block:
        # Each query reads one block's index range: parallel workers only add start-up cost
        # while the other chunk workers already use every core, and JIT compilation (which
        # the planner picks for a block's usage scan) costs more than it saves on 2,000 rows.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
            cursor.execute("SET LOCAL jit = off")
            # A block's interaction GROUP BY sorts ~100,000 rows: in memory, not spilled to disk
            # (the 4 MB default made it an external merge, half the query's time).
            cursor.execute(f"SET LOCAL work_mem = '{SCORE_WORK_MEM}'")
    inputs.interactions, inputs.mix = interaction_inputs(block, as_of, mix_sizes)
    tz = timezone.get_current_timezone()
    for row in inputs.interactions.values():
        last = row["last_value_at"]
        row["last_value_on"] = None if last is None else last.astimezone(tz).date()
    inputs.ledger = ledger_aggregates(block, as_of)
    inputs.usage = usage_aggregates_many(block, as_of, usage_specs)
    inputs.usage_first = usage_first_dates(block, as_of, [spec.metric for spec in usage_specs])
    for spec in survey_specs:
        key = (spec.kind, spec.window_days)
        if key not in inputs.surveys:
            inputs.surveys[key] = survey_aggregates(block, as_of, spec)
    inputs.subscriptions = subscription_rows(block, as_of)
    inputs.manual = manual_values(block, as_of)
    # History by the block's account ids, not its id range: the (account, as_of) key is then
    # probed once per account for its own 30 days, instead of scanned across every day of
    # every account in the range (a year of history is 365 entries per account).
    scored = AccountBlock(ids=tuple(a["id"] for a in inputs.accounts))
    inputs.trend = snapshot_trend_sums(scored, as_of)
    inputs.anchors = snapshot_anchors(scored, as_of)
    inputs.previous = previous_snapshots(block, as_of)
    if need_plans:
        inputs.plans = plan_progress(block, as_of, [a["id"] for a in inputs.accounts])
    return inputs
