"""The stored form of a snapshot's measure and decay documents: compact on disk, whole on read.

A snapshot keeps, per measure, only what the day decided: the raw value, the score, the
contribution, the few numbers the explaining sentence needs (`x`), and `stale` when true.
What the scorecard version already says (label, kind, unit, weight, parameters) is filled back
in on read from that version, which never changes once published; `missing` is "no raw value";
the sentence (`detail`) is written on read by `sentences.py`. Decay components keep their
score, weight and `x`; label and sentence come back the same way. A snapshot row is about
half what it was when documents were stored whole (1.7 KB against 3.4 KB), which halves what
the nightly run writes and reads and the history's size on disk. Documents stored with their
sentences (older formats) read back unchanged.
"""

from datetime import date
from threading import Lock

from .sentences import decay_sentence, measure_sentence

DECAY_LABELS = {
    "burn": "Goodwill burn (90 d)",
    "negative_share": "Firefighting / escalation share",
    "days_since_value": "Days since value delivered",
    "slope": "Health trend (30 d)",
}
_meta_cache: dict[int, dict[str, dict]] = {}
_meta_lock = Lock()


def version_measure_meta(version_id: int | None) -> dict[str, dict]:
    """Label, kind, unit, weight and parameters of each measure of a scorecard version, by key
    (cached per process for published and archived versions, which never change)."""
    if version_id is None:
        return {}
    found = _meta_cache.get(version_id)
    if found is not None:
        return found
    from scorecards.models import Measure, VersionStatus

    meta, frozen = {}, True
    for key, label, kind, weight, params, status in Measure.objects.filter(
        version_id=version_id
    ).values_list("key", "label", "kind", "weight", "params", "version__status"):
        meta[key] = {
            "label": label,
            "kind": kind,
            "unit": str((params or {}).get("unit", "")),
            "weight": weight,
            "params": params or {},
        }
        frozen = frozen and status != VersionStatus.DRAFT
    if frozen and meta:
        with _meta_lock:
            _meta_cache[version_id] = meta
    return meta


def version_measure_meta_forget() -> None:
    """Empty the per-process cache (tests, whose databases reuse version ids)."""
    with _meta_lock:
        _meta_cache.clear()


def measures_expand(
    measures, version_id: int | None, as_of: date | None = None, *, sentences: bool = True
) -> list[dict]:
    """The whole measure documents (label, kind, unit, weight, missing, stale, detail) from
    either form: stored compact, or as scoring computed them (labels, no sentence yet).
    `as_of`, the snapshot's day, dates "days since value"; `sentences=False` leaves `detail`
    empty for readers that only aggregate scores."""

    def whole(m: dict) -> bool:
        return "label" in m and ("detail" in m or not sentences)

    if not measures or all(whole(m) for m in measures):
        return measures or []
    meta = version_measure_meta(version_id)
    out = []
    for m in measures:
        if whole(m):
            out.append(m)
            continue
        key = m.get("key")
        known = meta.get(key, {})
        raw = m.get("raw")
        kind = m.get("kind") or known.get("kind", "")
        detail = m.get("detail")
        if detail is None:
            detail = (
                measure_sentence(kind, known.get("params", {}), raw, m.get("x"), as_of)
                if sentences
                else ""
            )
        out.append(
            {
                "key": key,
                "label": m.get("label") or known.get("label", key),
                "kind": kind,
                "raw": raw,
                "score": m.get("score"),
                "weight": m.get("weight", known.get("weight", 0.0)),
                "contribution": m.get("contribution", 0.0),
                "missing": raw is None,
                "stale": bool(m.get("stale", False)),
                "detail": detail,
                "unit": m.get("unit", known.get("unit", "")),
            }
        )
    return out


def decay_expand(components) -> list[dict]:
    out = []
    for c in components or []:
        if "label" in c and "detail" in c:
            out.append(c)
            continue
        key = c.get("key")
        detail = c.get("detail")
        out.append(
            {
                "key": key,
                "label": c.get("label") or DECAY_LABELS.get(key, key),
                "score": c.get("score"),
                "detail": decay_sentence(key, c.get("x")) if detail is None else detail,
                "weight": c.get("weight"),
            }
        )
    return out
