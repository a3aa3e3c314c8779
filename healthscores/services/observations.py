"""A back-test's observations, set-based over all its dates at once.

One observation per (scorable account, date). Instead of reading each date's inputs block by
block and scoring account by account, every input is read once for all dates: rows are
grouped by account and by the *bucket* between consecutive window boundaries (each date, and
each date minus one and two windows), so a window's sum as of a date is a difference of two
cumulative sums, its latest value a running maximum; the arithmetic of `measures.raw_value` is
then done over arrays. A row dated after a date falls in a later bucket and never counts for
it, so nothing after a date is read for its features (tests pin that against the nightly
scoring). Results cross the wire as binary COPY straight into numpy.

Account attributes: MRR and ARR as of each date from the subscriptions (the account's own
figure without any), seats, employees and custom numbers as they are now (no history).

Measure kinds without an array form here (decay, interaction mix, surveys, MRR trend, plans,
manual values: rare in back-tests) are read date by date with the nightly selectors, for those
measures only.
"""

import io
import time
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date, timedelta

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import (
    Account,
    Category,
    Interaction,
    Stage,
    Subscription,
    TrustEntry,
    UsageMetric,
)
from scorecards.models import AccountAttribute, MeasureKind, UsageAggregation

from . import backtest_metrics as metrics
from .measures import LIFECYCLE_ESTABLISHED_DAYS, LIFECYCLE_NEW_DAYS, MeasureRule

EPOCH = date(1970, 1, 1)
# The GROUP BYs hold a row per account and bucket (1.1 million for 100,000 accounts and 12
# dates, ~250 MB of hash table for three metrics): in memory, not spilled to disk in batches
# (173 batches at the default 4MB, 5 at 128MB).
USAGE_WORK_MEM = "256MB"
ARRAY_KINDS = {
    MeasureKind.ICP_FIT,
    MeasureKind.TENURE,
    MeasureKind.LIFECYCLE,
    MeasureKind.USAGE,
    MeasureKind.USAGE_TREND,
    MeasureKind.USAGE_RATIO,
    MeasureKind.GOODWILL,
    MeasureKind.DAYS_SINCE_VALUE,
    MeasureKind.ACCOUNT_ATTRIBUTE,
}


def _days(day: date) -> int:
    return (day - EPOCH).days


def copy_array(
    sql: str, params: list, fields: list[tuple[str, str]], work_mem: str | None = None
) -> np.ndarray:
    """The rows of `sql` as a numpy record array, through a binary COPY. Every column must be
    NOT NULL and typed as `fields` says: int8 ('i8'), int4 ('i4') or float8 ('f8')."""
    with transaction.atomic(), connection.cursor() as cursor:
        if work_mem:
            cursor.execute(f"SET LOCAL work_mem = '{work_mem}'")
        query = cursor.cursor.mogrify(sql, params).decode()
        buffer = io.BytesIO()
        copy = f"COPY ({query}) TO STDOUT (FORMAT binary)"
        started = time.perf_counter()
        cursor.cursor.copy_expert(copy, buffer)
        if connection.queries_logged:  # counted like any query (query-count tests, debug)
            elapsed = time.perf_counter() - started
            connection.queries_log.append({"sql": copy, "time": f"{elapsed:.3f}"})
    data = buffer.getbuffer()
    # Header: 11-byte signature, 4 bytes of flags, a 4-byte extension length and extension.
    offset = 19 + int.from_bytes(data[15:19], "big")
    wire = [("count", ">i2")]
    for name, kind in fields:
        wire += [(f"{name}_length", ">i4"), (name, f">{kind}")]
    dtype = np.dtype(wire)
    rows = (len(data) - offset - 2) // dtype.itemsize  # a 2-byte trailer ends the data
    raw = np.frombuffer(data, dtype=dtype, count=rows, offset=offset)
    out = np.empty(rows, dtype=[(name, kind) for name, kind in fields])
    for name, _kind in fields:
        out[name] = raw[name]
    return out


def _scope_sql(scope: Q | None, column: str = "account_id") -> tuple[str, list]:
    """`account_id IN (...)` for the accounts a scorecard version applies to."""
    # no ORDER BY (the model's default name order): an IN list needs none, and sorting
    # 100,000 names spilled to disk on every back-test
    accounts = Account.objects.filter(scope or Q()).order_by().values("id")
    sql, params = accounts.query.sql_with_params()
    return f"{column} IN ({sql})", list(params)


class Frame:
    """The observations' accounts and dates, and each account's position (`slot`)."""

    def __init__(self, *, scope: Q | None, dates: list[date], horizon_days: int):
        scope_sql, scope_params = _scope_sql(scope, "id")
        rows = copy_array(
            "SELECT id::int8, COALESCE(segment_id, 0)::int8, COALESCE(icp_fit, -1)::int4, "
            "COALESCE(seats, 0)::int4, "
            f"COALESCE(contract_start - DATE '{EPOCH}', 2147483647)::int4, "
            f"COALESCE(churned_on - DATE '{EPOCH}', 2147483647)::int4, "
            "(stage = %s)::int4 FROM accounts_account "
            f"WHERE stage <> %s AND {scope_sql} ORDER BY id",
            [Stage.CHURNED, Stage.PROSPECT, *scope_params],
            [
                ("id", "i8"),
                ("segment", "i8"),
                ("icp", "i4"),
                ("seats", "i4"),
                ("start", "i4"),
                ("churned", "i4"),
                ("stage_churned", "i4"),
            ],
        )
        self.dates = dates
        self.ids = rows["id"]
        # A version that applies to most accounts (the default scorecard) reads every row and
        # drops the others here: cheaper than joining millions of rows to the scope.
        self.broad = len(rows) * 2 >= Account.objects.exclude(stage=Stage.PROSPECT).count()
        self.scope = scope
        never = 2147483647
        churned_on = rows["churned"]
        starts = rows["start"]
        date_index, slot = [], []
        for i, day in enumerate(dates):
            d = _days(day)
            # `inputs.scorable_accounts`: signed by the date, not churned on or before it.
            alive = np.where(churned_on == never, rows["stage_churned"] == 0, churned_on > d)
            scorable = np.flatnonzero(alive & ((starts == never) | (starts <= d)))
            slot.append(scorable)
            date_index.append(np.full(len(scorable), i, dtype=np.int64))
        self.slot = np.concatenate(slot) if slot else np.zeros(0, dtype=np.int64)
        self.date_index = np.concatenate(date_index) if date_index else self.slot.copy()
        day = np.array([_days(d) for d in dates], dtype=np.int64)[self.date_index]
        self.day = day
        self.rows = rows
        obs_churned = churned_on[self.slot]
        self.label = ((obs_churned > day) & (obs_churned <= day + horizon_days)).astype(np.int64)

    def __len__(self) -> int:
        return len(self.slot)

    def scope_sql(self) -> tuple[str, list]:
        """The input queries' account condition (rows of other accounts are dropped anyway)."""
        return ("TRUE", []) if self.broad else _scope_sql(self.scope)

    @property
    def account(self) -> np.ndarray:
        return self.ids[self.slot]


class Buckets:
    """Window boundaries (sorted day numbers) and where each (date, offset) falls in them."""

    def __init__(self, dates: list[date], offsets: set[int]):
        days = {_days(d) - o for d in dates for o in offsets}
        self.bounds = np.array(sorted(days), dtype=np.int64)

    def position(self, day: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.bounds, day)

    def dense(self, frame: Frame, slot: np.ndarray, bucket: np.ndarray, values: np.ndarray):
        """(accounts, buckets) array of per-bucket values, cumulated along the buckets (one
        row per account and bucket: the query grouped by them)."""
        out = np.zeros((len(frame.ids), len(self.bounds) + 1))
        out[slot, bucket] = values
        return np.cumsum(out, axis=1, out=out)


def _slots(frame: Frame, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of `ids` among the frame's accounts, and which of them are there at all."""
    slot = np.searchsorted(frame.ids, ids)
    slot = np.clip(slot, 0, max(0, len(frame.ids) - 1))
    known = (frame.ids[slot] == ids) if len(frame.ids) else np.zeros(len(ids), dtype=bool)
    return slot, known


NEVER = 2147483647


def usage_windows(
    frame: Frame,
    specs: list,
    customer_since: np.ndarray | None = None,
    active_metrics: set[str] = frozenset(),
) -> dict:
    """Per (metric, window) spec and observation: the sums, row counts and active rows of the
    window ending on the date and the one before, whether the account had any value of the
    metric by the date and by the start of the window, and its first day for the metric's
    windows (`measures.account_first_day`: the earlier of `customer_since` and its first value
    of the metric, when on or before the date; nan if neither): `inputs.usage_aggregates_many`
    and `inputs.usage_first_dates` for every date at once."""
    specs = list({(s.metric, s.window_days): s for s in specs}.values())
    metric_names = sorted({s.metric for s in specs})
    offsets = {0}
    for s in specs:
        offsets |= {s.window_days, 2 * s.window_days}
    buckets = Buckets(frame.dates, offsets)
    scope_sql, scope_params = frame.scope_sql()
    # Bucket k holds rows dated in (bounds[k-1], bounds[k]]; bucket 0 everything up to the
    # first boundary (only its row count is used: "had a value before"). One row per account
    # and bucket with each metric's columns side by side: a hash table of accounts x buckets,
    # not x metrics too (1.6x faster on 12 million rows), dates as day numbers (cheaper to
    # bucket than dates).
    columns, fields, params = [], [("id", "i8"), ("k", "i4")], []
    for m, metric in enumerate(metric_names):
        columns += [
            "COALESCE(SUM(value) FILTER (WHERE metric = %s), 0)::float8",
            "(COUNT(*) FILTER (WHERE metric = %s))::float8",
            f"COALESCE(MIN(date - DATE '{EPOCH}') FILTER (WHERE metric = %s), {NEVER})::int4",
        ]
        params += [metric] * 3
        fields += [(f"sum{m}", "f8"), (f"n{m}", "f8"), (f"first{m}", "i4")]
        if metric in active_metrics:  # only for "active days" measures
            columns.append("(COUNT(*) FILTER (WHERE metric = %s AND value > 0))::float8")
            params.append(metric)
            fields.append((f"pos{m}", "f8"))
    rows = copy_array(
        f"SELECT account_id::int8, width_bucket(date - DATE '{EPOCH}' - 1, %s::int[])::int4, "
        f"{', '.join(columns)} FROM {UsageMetric._meta.db_table} "
        f"WHERE metric = ANY(%s) AND date <= %s AND {scope_sql} GROUP BY 1, 2",
        [
            [int(b) for b in buckets.bounds],
            *params,
            metric_names,
            EPOCH + timedelta(days=int(buckets.bounds[-1])),
            *scope_params,
        ],
        fields,
        work_mem=USAGE_WORK_MEM,
    )
    slot, known = _slots(frame, rows["id"])
    s, k = slot[known], rows["k"][known]
    out = {}
    for m, metric in enumerate(metric_names):
        sums = buckets.dense(frame, s, k, rows[f"sum{m}"][known])
        counts = buckets.dense(frame, s, k, rows[f"n{m}"][known])
        active = (
            buckets.dense(frame, s, k, rows[f"pos{m}"][known]) if metric in active_metrics else None
        )
        first_use = np.full(len(frame.ids), NEVER, dtype=np.int64)
        np.minimum.at(first_use, s, rows[f"first{m}"][known].astype(np.int64))
        first_use = first_use[frame.slot]
        # the earliest first value overall is the first one by the date when it is by the date
        first_day = np.where(first_use <= frame.day, first_use, NEVER)
        if customer_since is not None:
            since = np.nan_to_num(customer_since, nan=NEVER).astype(np.int64)
            first_day = np.minimum(first_day, np.where(since <= frame.day, since, NEVER))
        first_day = np.where(first_day == NEVER, np.nan, first_day.astype(float))
        for spec in specs:
            if spec.metric != metric:
                continue
            w = spec.window_days
            at = buckets.position(frame.day)
            cut = buckets.position(frame.day - w)
            before = buckets.position(frame.day - 2 * w)
            obs = frame.slot

            def between(cum, lo, hi, obs=obs):
                return cum[obs, hi] - cum[obs, lo]

            out[(metric, w)] = {
                "cur_sum": between(sums, cut, at),
                "cur_rows": between(counts, cut, at),
                "cur_active": None if active is None else between(active, cut, at),
                "prev_sum": between(sums, before, cut),
                "prev_rows": between(counts, before, cut),
                "any_by_date": counts[obs, at] > 0,
                "any_by_cut": counts[obs, cut] > 0,
                "first_day": first_day,
            }
    return out


def _lived(first_day: np.ndarray, window_end: np.ndarray, window: int) -> np.ndarray:
    """`measures.window_days_lived` over arrays: days of the window on or after the first day
    (the whole window when the first day is unknown)."""
    lived = np.clip(window_end - first_day + 1, 0, window)
    return np.where(np.isnan(first_day), window, lived)


def _window_values(
    rule: MeasureRule, spec, usage: dict, day: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`measures.usage_windows` over arrays: (total, active days, before), nan where there is
    no data (active days None unless the query counted them); windows count from the
    account's first day."""
    u = usage[(spec.metric, spec.window_days)]
    zero = (rule.params.get("no_rows") or "zero") == "zero"
    total = np.where(u["cur_rows"] > 0, u["cur_sum"], np.nan)
    before = np.where(u["prev_rows"] > 0, u["prev_sum"], np.nan)
    if zero:
        total = np.where(np.isnan(total) & u["any_by_date"], 0.0, total)
        before = np.where(np.isnan(before) & u["any_by_cut"], 0.0, before)
    w = spec.window_days
    lived = _lived(u["first_day"], day, w)
    partial = (lived > 0) & (lived < w)
    scale = np.where(partial, w / np.where(lived > 0, lived, 1), 1.0)
    total = total * scale
    active = u["cur_active"]  # counted only for "active days" measures
    if active is not None:
        active = np.where(partial, np.round(active * scale), active)
    lived_before = _lived(u["first_day"], day - w, w)
    before = np.where(
        lived_before == 0,
        np.nan,
        before * np.where(lived_before < w, w / np.where(lived_before > 0, lived_before, 1), 1),
    )
    return total, active, before


def usage_raw(rule: MeasureRule, frame: Frame, usage: dict) -> np.ndarray:
    """The raw values of a usage, usage-trend or usage-ratio measure (`measures._usage_*`)."""
    total, active, before = _window_values(rule, rule.usage, usage, frame.day)
    with np.errstate(invalid="ignore", divide="ignore"):
        if rule.kind == MeasureKind.USAGE_TREND:
            change = np.log1p(np.maximum(0.0, total)) - np.log1p(np.maximum(0.0, before))
            return np.where(np.isnan(total) | np.isnan(before), np.nan, change)
        if rule.kind == MeasureKind.USAGE_RATIO:
            denominator, _, _ = _window_values(rule, rule.usage_denominator, usage, frame.day)
            ok = ~np.isnan(denominator) & (denominator > 0)
            numerator = np.nan_to_num(total, nan=0.0)
            return np.where(ok, numerator / np.where(ok, denominator, 1.0), np.nan)
        aggregation = rule.params.get("aggregation") or UsageAggregation.SUM
        if aggregation == UsageAggregation.CHANGE:
            safe = np.where(before == 0, 1.0, before)
            change = np.where(
                before == 0,
                np.where(total > 0, 100.0, 0.0),
                100.0 * (total - before) / safe,
            )
            return np.where(np.isnan(total) | np.isnan(before), np.nan, change)
        if aggregation == UsageAggregation.ACTIVE_DAYS:
            return np.where(np.isnan(total), np.nan, active)
        value = total / rule.usage.window_days if aggregation == UsageAggregation.AVG else total
        if rule.params.get("per_seat"):
            seats = frame.rows["seats"][frame.slot].astype(float)
            value = np.where(seats > 0, value / np.where(seats > 0, seats, 1.0), value)
        return value


def tenure(frame: Frame) -> tuple[np.ndarray, np.ndarray]:
    """Days since the earlier of the contract start and the first subscription, when that
    was on or before the date (`measures.tenure_days`), and that day's number; nan
    otherwise."""
    scope_sql, scope_params = frame.scope_sql()
    rows = copy_array(
        f"SELECT account_id::int8, (MIN(start_date) - DATE '{EPOCH}')::int4 "
        f"FROM {Subscription._meta.db_table} WHERE {scope_sql} GROUP BY 1",
        scope_params,
        [("id", "i8"), ("start", "i4")],
    )
    first = frame.rows["start"].astype(np.int64).copy()
    slot, known = _slots(frame, rows["id"])
    first[slot[known]] = np.minimum(first[slot[known]], rows["start"][known])  # one row each
    first = first[frame.slot]
    known = first <= frame.day
    return (
        np.where(known, frame.day - first, np.nan).astype(float),
        np.where(known, first, np.nan).astype(float),
    )


def subscription_mrr(frame: Frame) -> tuple[np.ndarray, np.ndarray]:
    """Per observation: the MRR of the account's subscriptions active on the date
    (`measures.mrr_on`: started by it, not ended by it) and whether any had started by it."""
    scope_sql, scope_params = frame.scope_sql()
    rows = copy_array(
        f"SELECT account_id::int8, (start_date - DATE '{EPOCH}')::int4, "
        f"COALESCE(end_date - DATE '{EPOCH}', {NEVER})::int4, mrr::float8 "
        f"FROM {Subscription._meta.db_table} WHERE {scope_sql}",
        scope_params,
        [("id", "i8"), ("start", "i4"), ("end", "i4"), ("mrr", "f8")],
    )
    slot, known = _slots(frame, rows["id"])
    slot, start = slot[known], rows["start"][known].astype(np.int64)
    end, mrr = rows["end"][known].astype(np.int64), rows["mrr"][known]
    shape = (len(frame.ids), len(frame.dates))
    paying, started = np.zeros(shape), np.zeros(shape)
    for j, day in enumerate(frame.dates):
        d = _days(day)
        np.add.at(paying[:, j], slot, np.where((start <= d) & (end > d), mrr, 0.0))
        np.add.at(started[:, j], slot, (start <= d).astype(float))
    cells = (frame.slot, frame.date_index)
    return paying[cells], started[cells] > 0


def account_attributes(frame: Frame, custom_keys: list[str]) -> dict[str, np.ndarray]:
    """Per observation, each account's current seats, employee count, MRR and ARR fields and
    the custom attributes `custom_keys` when they are JSON numbers; nan where there is none."""
    scope_sql, scope_params = _scope_sql(frame.scope, "id")
    fields = [("id", "i8"), ("seats", "f8"), ("employee_count", "f8"), ("mrr", "f8")]
    fields += [("arr", "f8")] + [(f"custom{i}", "f8") for i in range(len(custom_keys))]
    custom = "".join(
        ", CASE WHEN jsonb_typeof(custom_attributes -> %s) = 'number' "
        "THEN (custom_attributes ->> %s)::float8 ELSE 'NaN'::float8 END"
        for _ in custom_keys
    )
    rows = copy_array(
        "SELECT id::int8, COALESCE(seats::float8, 'NaN'), COALESCE(employee_count::float8, "
        f"'NaN'), mrr::float8, arr::float8{custom} FROM accounts_account WHERE {scope_sql}",
        [v for key in custom_keys for v in (key, key)] + scope_params,
        fields,
    )
    slot, known = _slots(frame, rows["id"])
    out = {}
    for name, _kind in fields[1:]:
        column = np.full(len(frame.ids), np.nan)
        column[slot[known]] = rows[name][known]
        out[name] = column[frame.slot]
    return out


def attribute_raw(rule: MeasureRule, attributes: dict, mrr: tuple | None) -> np.ndarray:
    """The raw values of an account-attribute measure (`measures._attribute_raw`)."""
    attribute = rule.params.get("attribute")
    if attribute in (AccountAttribute.MRR, AccountAttribute.ARR):
        paying, started = mrr
        factor = 12.0 if attribute == AccountAttribute.ARR else 1.0
        value = np.where(started, paying * factor, attributes[attribute])
    elif attribute == AccountAttribute.CUSTOM:
        value = attributes[f"custom:{rule.params.get('custom_key') or ''}"]
    else:
        value = attributes[attribute]
    if rule.params.get("per_seat"):
        seats = attributes["seats"]
        ok = ~np.isnan(seats) & (seats > 0)
        value = np.where(ok, value / np.where(ok, seats, 1.0), np.nan)
    return value


def _day_end_bounds(frame: Frame) -> list:
    """The first instant after each date in the organisation's time zone (`inputs.day_end`)."""
    from .inputs import day_end

    return [day_end(d) for d in frame.dates]


def ledger_balance(frame: Frame) -> np.ndarray:
    """The goodwill balance at the end of each date; nan for an account with no entry yet."""
    ends = _day_end_bounds(frame)
    scope_sql, scope_params = frame.scope_sql()
    # width_bucket counts the boundaries at or before the entry: an entry counts for date j
    # exactly when that count is at most j (it came before the end of the date).
    rows = copy_array(
        "SELECT account_id::int8, width_bucket(occurred_at, %s::timestamptz[])::int4, "
        f"SUM(points)::float8, COUNT(*)::float8 FROM {TrustEntry._meta.db_table} "
        f"WHERE occurred_at < %s AND {scope_sql} GROUP BY 1, 2",
        [ends, ends[-1], *scope_params],
        [("id", "i8"), ("k", "i4"), ("points", "f8"), ("n", "f8")],
        work_mem=USAGE_WORK_MEM,
    )
    slot, known = _slots(frame, rows["id"])
    shape = (len(frame.ids), len(ends) + 1)
    points, counts = np.zeros(shape), np.zeros(shape)
    cells = (slot[known], rows["k"][known])  # one row per account and bucket
    points[cells], counts[cells] = rows["points"][known], rows["n"][known]
    points, counts = np.cumsum(points, axis=1), np.cumsum(counts, axis=1)
    at = frame.date_index
    balance = points[frame.slot, at]
    return np.where(counts[frame.slot, at] > 0, balance, np.nan)


def days_since_value(frame: Frame) -> np.ndarray:
    """Days from the last value-adding interaction before the end of each date (its day in the
    organisation's time zone) to the date; nan without one."""
    ends = _day_end_bounds(frame)
    scope_sql, scope_params = frame.scope_sql()
    tz = timezone.get_current_timezone_name()
    rows = copy_array(
        "SELECT account_id::int8, width_bucket(occurred_at, %s::timestamptz[])::int4, "
        f"((MAX(occurred_at) AT TIME ZONE %s)::date - DATE '{EPOCH}')::int4 "
        f"FROM {Interaction._meta.db_table} WHERE category = %s AND occurred_at < %s "
        f"AND {scope_sql} GROUP BY 1, 2",
        [ends, tz, Category.VALUE_ADDING, ends[-1], *scope_params],
        [("id", "i8"), ("k", "i4"), ("day", "i4")],
        work_mem=USAGE_WORK_MEM,
    )
    slot, known = _slots(frame, rows["id"])
    last = np.full((len(frame.ids), len(ends) + 1), -1, dtype=np.int64)
    last[slot[known], rows["k"][known]] = rows["day"][known]  # one row per account and bucket
    last = np.maximum.accumulate(last, axis=1)[frame.slot, frame.date_index]
    return np.where(last >= 0, np.maximum(0, frame.day - last), np.nan).astype(float)


def lifecycle(tenure_values: np.ndarray, params: dict) -> np.ndarray:
    new_days = int((params or {}).get("new_days") or LIFECYCLE_NEW_DAYS)
    established = int((params or {}).get("established_days") or LIFECYCLE_ESTABLISHED_DAYS)
    stage = np.where(tenure_values < new_days, 0.0, np.where(tenure_values < established, 1, 2))
    return np.where(np.isnan(tenure_values), np.nan, stage)


def _fallback_raws(rules, columns, frame: Frame, scope: Q | None, on_date) -> None:
    """Raw values of the measures without an array form, date by date and block by block
    with the nightly selectors (`backtest.measure_inputs_load`), into `columns`."""
    from .backtest import Needs, measure_inputs_load
    from .compute import decay_compute
    from .inputs import AccountBlock
    from .measures import raw_value

    needs = Needs.of([rule for _, rule in rules])
    size = max(1, int(settings.SCORE_CHUNK_SIZE))
    width = int(frame.ids.max()) + 1
    key = frame.date_index * width + frame.account  # sorted: by date, then account id
    for index, day in enumerate(frame.dates):
        ids = frame.ids[frame.slot[frame.date_index == index]].tolist()
        for lo in range(0, len(ids), size):
            block = AccountBlock(lo=ids[lo], hi=ids[min(lo + size, len(ids)) - 1], extra=scope)
            inputs = measure_inputs_load(block, day, needs)
            for account in inputs.accounts:
                acc = account["id"]
                row = int(np.searchsorted(key, index * width + acc))
                if row >= len(key) or key[row] != index * width + acc:
                    continue  # not scorable by the frame's reading (cannot happen)
                decay = decay_compute(acc, inputs)[0] if needs.trend else 0
                for i, rule in rules:
                    value = raw_value(rule, account, inputs, decay).raw
                    columns[i][row] = np.nan if value is None else float(value)
        on_date(index + 1, len(frame.dates))


class SideReads:
    """Input reads run beside this thread's, each on a database connection of its own that
    reads this connection's snapshot (exported by PostgreSQL): the reads of one back-test see
    the same rows as if one query read them all, and PostgreSQL runs them side by side
    instead of one after the other. Inside a caller's transaction (a test, a view) they run in
    place: another connection could not see the transaction's own rows."""

    def __init__(self, workers: int = 2):
        self.workers = workers
        self.pool = None

    def __enter__(self) -> "SideReads":
        if connection.in_atomic_block:
            return self
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute("SELECT pg_export_snapshot()")
            self.snapshot = cursor.fetchone()[0]
        self.pool = ThreadPoolExecutor(max_workers=self.workers)
        return self

    def submit(self, read, *args) -> Future:
        if self.pool is None:
            done = Future()
            done.set_result(read(*args))
            return done
        return self.pool.submit(self._in_snapshot, read, *args)

    def _in_snapshot(self, read, *args):
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                    cursor.execute("SET TRANSACTION SNAPSHOT %s", [self.snapshot])
                return read(*args)
        finally:
            connection.close()  # this thread's own connection

    def __exit__(self, *exc) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True)  # the snapshot must outlive every read of it
            self.atomic.__exit__(*exc)


def observations_collect(
    *,
    rules: list[MeasureRule],
    scope: Q | None,
    dates: list[date],
    horizon_days: int,
    on_date=None,
) -> metrics.Observations:
    """One observation per (scorable account, date): raw measure values as of the date,
    tenure, segment, and churn in (date, date + horizon]."""
    on_date = on_date or (lambda done, total: None)
    with SideReads() as side:
        return _observations_collect(rules, scope, dates, horizon_days, on_date, side)


def _attribute_inputs(frame: Frame, rules: list[MeasureRule]) -> tuple[dict, tuple | None]:
    """What the account-attribute measures read: the attribute columns (custom ones under
    `custom:<key>`) and, for MRR or ARR, the subscriptions' MRR on each date."""
    wanted = [r for r in rules if r.kind == MeasureKind.ACCOUNT_ATTRIBUTE]
    if not wanted:
        return {}, None
    keys = sorted(
        {
            str(r.params.get("custom_key") or "")
            for r in wanted
            if r.params.get("attribute") == AccountAttribute.CUSTOM
        }
    )
    found = account_attributes(frame, keys)
    attributes = {name: found[name] for name in ("seats", "employee_count", "mrr", "arr")}
    attributes |= {f"custom:{key}": found[f"custom{i}"] for i, key in enumerate(keys)}
    revenue = {AccountAttribute.MRR, AccountAttribute.ARR}
    needs_mrr = any(r.params.get("attribute") in revenue for r in wanted)
    return attributes, subscription_mrr(frame) if needs_mrr else None


def _observations_collect(rules, scope, dates, horizon_days, on_date, side) -> metrics.Observations:
    frame = Frame(scope=scope, dates=dates, horizon_days=horizon_days)
    n = len(frame)
    columns = [np.full(n, np.nan) for _ in rules]
    if n:
        tenure_values, customer_since = tenure(frame)
        specs = [r.usage for r in rules if r.usage] + [
            r.usage_denominator for r in rules if r.usage_denominator
        ]
        active_metrics = {
            r.usage.metric
            for r in rules
            if r.kind == MeasureKind.USAGE
            and (r.params.get("aggregation") or "") == UsageAggregation.ACTIVE_DAYS
        }
        kinds = {r.kind for r in rules}
        # the ledger and the interactions beside the usage (the longest read)
        balance = side.submit(ledger_balance, frame) if MeasureKind.GOODWILL in kinds else None
        value_days = (
            side.submit(days_since_value, frame) if MeasureKind.DAYS_SINCE_VALUE in kinds else None
        )
        usage = usage_windows(frame, specs, customer_since, active_metrics) if specs else {}
        balance = None if balance is None else balance.result()
        value_days = None if value_days is None else value_days.result()
        attributes, mrr = _attribute_inputs(frame, rules)
        fallback = []
        for i, rule in enumerate(rules):
            if rule.kind == MeasureKind.ICP_FIT:
                icp = frame.rows["icp"][frame.slot].astype(float)
                columns[i] = np.where(icp < 0, np.nan, icp)
            elif rule.kind in MeasureKind.usage_kinds():
                columns[i] = usage_raw(rule, frame, usage)
            elif rule.kind == MeasureKind.TENURE:
                columns[i] = tenure_values
            elif rule.kind == MeasureKind.LIFECYCLE:
                columns[i] = lifecycle(tenure_values, rule.params)
            elif rule.kind == MeasureKind.GOODWILL:
                columns[i] = balance
            elif rule.kind == MeasureKind.DAYS_SINCE_VALUE:
                columns[i] = value_days
            elif rule.kind == MeasureKind.ACCOUNT_ATTRIBUTE:
                columns[i] = attribute_raw(rule, attributes, mrr)
            else:
                fallback.append((i, rule))
        if fallback:
            _fallback_raws(fallback, columns, frame, scope, on_date)
    else:
        tenure_values = np.zeros(0)
    on_date(len(dates), len(dates))
    return metrics.Observations(
        date_index=frame.date_index.astype(np.int64),
        account=frame.account.astype(np.int64),
        segment=frame.rows["segment"][frame.slot].astype(np.int64),
        tenure=np.asarray(tenure_values, dtype=float),
        label=frame.label,
        raws=(np.column_stack(columns) if rules else np.zeros((n, 0))).reshape(n, len(rules)),
    )
