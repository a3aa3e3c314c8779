"""The stored form of a snapshot's measure and decay documents: compact on disk, whole on read.

A snapshot keeps, per measure, only what the day decided: the raw value, the score, the
contribution, the sentence explaining the raw value, and `stale` when true. What the scorecard
version already says (label, kind, unit, weight) is filled back in on read from that version,
which never changes once published; `missing` is "no raw value". Decay components keep their
score, weight and sentence; the label comes from `DECAY_LABELS`. At 100,000 accounts a night
this halves the bytes written and read by the nightly run and the history's size on disk.
Documents stored whole (before this format) read back unchanged.
"""

from threading import Lock

DECAY_LABELS = {
    "burn": "Goodwill burn (90 d)",
    "negative_share": "Firefighting / escalation share",
    "days_since_value": "Days since value delivered",
    "slope": "Health trend (30 d)",
}
MEASURE_KEEP = ("key", "raw", "score", "contribution", "detail")
DECAY_KEEP = ("key", "score", "weight", "detail")

_meta_cache: dict[int, dict[str, dict]] = {}
_meta_lock = Lock()


def measures_compact(measures: list[dict]) -> list[dict]:
    out = []
    for m in measures:
        doc = {k: m[k] for k in MEASURE_KEEP if k in m}
        if m.get("stale"):
            doc["stale"] = True
        out.append(doc)
    return out


def decay_compact(components: list[dict]) -> list[dict]:
    return [{k: c[k] for k in DECAY_KEEP if k in c} for c in components]


def version_measure_meta(version_id: int | None) -> dict[str, dict]:
    """Label, kind, unit and weight of each measure of a scorecard version, by key (cached per
    process for published and archived versions, which never change)."""
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


def measures_expand(measures, version_id: int | None) -> list[dict]:
    """The whole measure documents (label, kind, unit, weight, missing, stale) from either form."""
    if not measures or all("label" in m for m in measures):
        return measures or []
    meta = version_measure_meta(version_id)
    out = []
    for m in measures:
        if "label" in m:
            out.append(m)
            continue
        known = meta.get(m.get("key"), {})
        raw = m.get("raw")
        out.append(
            {
                "key": m.get("key"),
                "label": known.get("label", m.get("key")),
                "kind": known.get("kind", ""),
                "raw": raw,
                "score": m.get("score"),
                "weight": known.get("weight", 0.0),
                "contribution": m.get("contribution", 0.0),
                "missing": raw is None,
                "stale": bool(m.get("stale", False)),
                "detail": m.get("detail", ""),
                "unit": known.get("unit", ""),
            }
        )
    return out


def decay_expand(components) -> list[dict]:
    out = []
    for c in components or []:
        if "label" in c:
            out.append(c)
        else:
            key = c.get("key")
            out.append(
                {
                    "key": key,
                    "label": DECAY_LABELS.get(key, key),
                    "score": c.get("score"),
                    "detail": c.get("detail", ""),
                    "weight": c.get("weight"),
                }
            )
    return out
