"""Writing computed health: snapshot upserts, the denormalised account fields, alerts."""

import io
from datetime import date, timedelta

import orjson
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import Account
from core.events import publish
from core.retention import rows_purge
from healthscores.models import AlertKind, HealthAlert, HealthSnapshot

from .compute import DECAY_ORDER, AccountHealth

ACCOUNT_FIELDS = [
    "health_score",
    "health_band",
    "health_confidence",
    "health_delta_7",
    "health_delta_30",
    "health_momentum",
    "health_as_of",
    "decay_score",
    "decay_status",
    "quadrant",
    "outcome_class",
    "lifetime_value",
]


def snapshots_upsert(*, results: list[AccountHealth], run_id: int | None) -> int:
    """Insert or replace the (account, as_of) snapshots in bulk: a redelivered chunk writes the
    same rows again instead of duplicates."""
    if not results:
        return 0
    return _snapshots_copy_upsert(results, run_id, timezone.now())


SNAPSHOT_COLUMNS = [
    "account_id",
    "as_of",
    "scorecard_version_id",
    "run_id",
    "overall",
    "band",
    "confidence",
    "measures",
    "changes",
    "previous_as_of",
    "decay_score",
    "decay_status",
    "decay_components",
    "customer_happiness",
    "company_happiness",
    "quadrant",
    "outcome_class",
    "churn_risk",
    "lifetime_value",
    "economics",
    "computed_at",
]
JSON_COLUMNS = {"measures", "changes", "decay_components", "economics"}


STAGE_TABLE = "healthscores_snapshot_stage"
# COPY text format: backslash, tab, newline and carriage return are escaped; None is \N.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value) -> str:
    if value is None:
        return "\\N"
    return str(value).translate(_COPY_ESCAPES)


_ORJSON_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY


def _json_copy_text(value) -> str:
    # JSON escapes control characters, so only its backslashes need doubling for COPY.
    # orjson: the documents are the bulk of a chunk's bytes, and it encodes them ~10x faster.
    return orjson.dumps(value, default=str, option=_ORJSON_OPTIONS).decode().replace("\\", "\\\\")


@transaction.atomic
def _snapshots_copy_upsert(results: list[AccountHealth], run_id, now) -> int:
    """The same upsert as bulk_create(update_conflicts=True), as COPY into a session temp
    table + one INSERT ... SELECT ... ON CONFLICT: no per-value SQL literals to build or
    parse (a 2,000-row VALUES list of 3 KB JSON documents costs more than the insert)."""
    run = _copy_text(run_id)
    stamp = now.isoformat()
    lines = []
    for r in results:
        lines.append(
            "\t".join(
                (
                    str(r.account_id),
                    r.as_of.isoformat(),
                    str(r.version.pk),
                    run,
                    str(r.overall),
                    _copy_text(r.band),
                    repr(float(r.confidence)),
                    _json_copy_text(r.measures),
                    _json_copy_text(r.changes),
                    _copy_text(r.previous["as_of"] if r.previous else None),
                    str(r.decay_score),
                    _copy_text(r.decay_status),
                    _json_copy_text(r.decay_components),
                    _copy_text(r.customer_happiness),
                    _copy_text(r.company_happiness),
                    _copy_text(r.quadrant),
                    _copy_text(r.outcome_class),
                    _copy_text(r.churn_risk),
                    _copy_text(r.lifetime_value),
                    _json_copy_text(r.economics),
                    stamp,
                )
            )
        )
    lines.append("")
    data = "\n".join(lines)
    columns = ", ".join(SNAPSHOT_COLUMNS)
    updates = ", ".join(
        f"{c} = EXCLUDED.{c}" for c in SNAPSHOT_COLUMNS if c not in ("account_id", "as_of")
    )
    table = HealthSnapshot._meta.db_table
    if not _snapshots_may_exist(results):
        # The nightly case: none of these rows exists yet, so COPY straight into the table
        # (the staged upsert writes every row twice). Should a between-night rescore of the
        # same day insert one meanwhile, the COPY fails and the staged upsert takes over.
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", io.StringIO(data))
            return len(results)
        except (IntegrityError, connection.Database.IntegrityError):  # raw COPY: the driver's
            pass
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {STAGE_TABLE} AS "
            f"SELECT {columns} FROM {table} WITH NO DATA"
        )
        cursor.execute(f"TRUNCATE {STAGE_TABLE}")
        cursor.cursor.copy_expert(f"COPY {STAGE_TABLE} ({columns}) FROM STDIN", io.StringIO(data))
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {STAGE_TABLE} "
            f"ON CONFLICT (account_id, as_of) DO UPDATE SET {updates}"
        )
        cursor.execute(f"TRUNCATE {STAGE_TABLE}")
    return len(results)


def _snapshots_may_exist(results: list[AccountHealth]) -> bool:
    """Whether any of these (account, as_of) snapshots may be stored already, from the accounts'
    `health_as_of` as read with the block (no query): writing a snapshot moves its account's
    `health_as_of` to that day or later in the same transaction, so an account still short
    of `as_of` has none for it. (A query for the day's rows by account id, planned on
    statistics from before the night began, scanned every row the night had written so far:
    quadratic over the run.) A snapshot written some other way is still caught by the
    COPY's unique constraint."""
    if len({r.as_of for r in results}) != 1:
        return True  # not one day's block: take the staged upsert
    return any(
        r.account_health_as_of is not None and r.account_health_as_of >= r.as_of for r in results
    )


def _account_values(r: AccountHealth) -> tuple:
    return (
        r.overall,
        r.band,
        r.confidence,
        r.delta_7,
        r.delta_30,
        r.momentum,
        r.as_of,
        r.decay_score,
        r.decay_status,
        r.quadrant,
        r.outcome_class,
        r.lifetime_value,
    )


def accounts_current_update(*, results: list[AccountHealth]) -> int:
    """Copy the newest health onto the accounts (a back-dated run leaves newer values alone)."""
    fresh = [
        r for r in results if r.account_health_as_of is None or r.account_health_as_of <= r.as_of
    ]
    if not fresh:
        return 0
    _accounts_copy_update(fresh)
    return len(fresh)


ACCOUNT_STAGE_TABLE = "healthscores_account_stage"


@transaction.atomic
def _accounts_copy_update(results: list[AccountHealth]) -> None:
    """COPY the new values into a session temp table, then one UPDATE ... FROM it (neither
    bulk_update's CASE chains nor a VALUES list of 20,000 literals to parse)."""
    table = Account._meta.db_table
    lines = ["\t".join(_copy_text(v) for v in (r.account_id, *_account_values(r))) for r in results]
    lines.append("")
    columns = ", ".join(ACCOUNT_FIELDS)
    sets = ", ".join(f"{name} = v.{name}" for name in ACCOUNT_FIELDS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {ACCOUNT_STAGE_TABLE} AS "
            f"SELECT id, {columns} FROM {table} WITH NO DATA"
        )
        cursor.execute(f"TRUNCATE {ACCOUNT_STAGE_TABLE}")
        cursor.cursor.copy_expert(
            f"COPY {ACCOUNT_STAGE_TABLE} (id, {columns}) FROM STDIN",
            io.StringIO("\n".join(lines)),
        )
        # The id range lets PostgreSQL read only the block's accounts: the stage table has no
        # statistics, and without it the planner hashes all accounts for every block.
        cursor.execute(
            f"UPDATE {table} AS a SET {sets} FROM {ACCOUNT_STAGE_TABLE} AS v "
            "WHERE a.id = v.id AND a.id BETWEEN %s AND %s",
            [min(r.account_id for r in results), max(r.account_id for r in results)],
        )
        cursor.execute(f"TRUNCATE {ACCOUNT_STAGE_TABLE}")


def _transitions(r: AccountHealth, bands_rank: dict[str, int]) -> list[HealthAlert]:
    prev = r.previous
    if not prev:
        return []
    alerts = []
    if prev["band"] != r.band and prev["band"] in bands_rank and r.band in bands_rank:
        drop = bands_rank[r.band] < bands_rank[prev["band"]]
        alerts.append(
            HealthAlert(
                account_id=r.account_id,
                as_of=r.as_of,
                kind=AlertKind.BAND_DROP if drop else AlertKind.BAND_RISE,
                from_value=prev["band"],
                to_value=r.band,
                score=r.overall,
                message=(
                    f"Health {'dropped' if drop else 'rose'} from {prev['band']} "
                    f"({prev['overall']}) to {r.band} ({r.overall})."
                ),
            )
        )
    if DECAY_ORDER.get(r.decay_status, 0) > DECAY_ORDER.get(prev["decay_status"], 0):
        alerts.append(
            HealthAlert(
                account_id=r.account_id,
                as_of=r.as_of,
                kind=AlertKind.DECAY,
                from_value=prev["decay_status"],
                to_value=r.decay_status,
                score=r.decay_score,
                message=(
                    f"Decay worsened from {prev['decay_status'].replace('_', ' ')} to "
                    f"{r.decay_status.replace('_', ' ')} (decay score {r.decay_score})."
                ),
            )
        )
    if prev["quadrant"] and prev["quadrant"] != r.quadrant:
        alerts.append(
            HealthAlert(
                account_id=r.account_id,
                as_of=r.as_of,
                kind=AlertKind.QUADRANT,
                from_value=prev["quadrant"],
                to_value=r.quadrant,
                score=r.overall,
                message=(
                    f"Quadrant moved from {prev['quadrant'].replace('_', ' ')} to "
                    f"{r.quadrant.replace('_', ' ')}."
                ),
            )
        )
    return alerts


def health_alerts_purge(*, today: date | None = None) -> int:
    """Delete health alerts dated more than HEALTH_ALERT_RETENTION_DAYS before `today`."""
    today = today or timezone.localdate()
    cutoff = today - timedelta(days=settings.HEALTH_ALERT_RETENTION_DAYS)
    return rows_purge(HealthAlert.objects.filter(as_of__lt=cutoff))


def alerts_create(*, results: list[AccountHealth], as_of: date) -> list[HealthAlert]:
    """Alerts for band moves, decay crossings and quadrant changes vs the previous snapshot;
    at most one per (account, day, kind), so re-scoring the same day raises nothing new."""
    candidates = []
    ranks_by_version: dict[int, dict[str, int]] = {}
    for r in results:
        if r.version.pk not in ranks_by_version:
            ranks_by_version[r.version.pk] = {b.key: i for i, b in enumerate(r.version.bands.all())}
        candidates.extend(_transitions(r, ranks_by_version[r.version.pk]))
    if not candidates:
        return []
    existing = set(
        HealthAlert.objects.filter(
            account_id__in={a.account_id for a in candidates}, as_of=as_of
        ).values_list("account_id", "kind")
    )
    new = [a for a in candidates if (a.account_id, a.kind) not in existing]
    HealthAlert.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
    return new


def alerts_publish(*, alerts) -> int:
    """Publish the alerts (after commit) as one `health.alerts_raised` event and mark them
    published. Each item is the payload its single event (`health.band_changed`,
    `health.decay_alert`, `health.quadrant_changed`) carries, plus that event's name: one
    event, so its subscribers work set-based instead of once per alert."""
    items, ids = [], []
    for alert in alerts:
        ids.append(alert.pk)
        item = {"account_id": alert.account_id, "as_of": alert.as_of.isoformat()}
        if alert.kind in (AlertKind.BAND_DROP, AlertKind.BAND_RISE):
            item["event"] = "health.band_changed"
            item.update(from_band=alert.from_value, to_band=alert.to_value, score=alert.score)
        elif alert.kind == AlertKind.DECAY:
            item["event"] = "health.decay_alert"
            item.update(
                from_status=alert.from_value, to_status=alert.to_value, decay_score=alert.score
            )
        else:
            item["event"] = "health.quadrant_changed"
            item.update(from_quadrant=alert.from_value, to_quadrant=alert.to_value)
        items.append(item)
    if items:
        publish("health.alerts_raised", alerts=items)
    HealthAlert.objects.filter(pk__in=[i for i in ids if i]).update(published_at=timezone.now())
    return len(items)
