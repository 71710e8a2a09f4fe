"""The statistics' queries (``case_records``): the aggregation pipeline that computes
:mod:`services.escalation.stats` on the server, and the rows its plain-Python counterpart reads.

The server reduces each record to a small row of 0/1 counts (:func:`stages`), adds them up per
(factory, category) and picks the median days to resolve per level from the sorted durations, so a
few rows cross the wire however many cases there are. :func:`table_from_pipeline` adds the groups up
per factory and in total, through the same :class:`~services.escalation.stats.Figures` as
:func:`~services.escalation.stats.compute`. The tests hold the two to the same answer on both
engines (mongomock runs the pipeline too, slowly but exactly).

Why not ``$median``: MongoDB 7.0+ only, and it is approximate (t-digest, no interpolation between the
two middle values of an even count), so the median would change. The durations are pushed in sorted
order instead (``$sort`` before ``$group``: ``$push`` keeps the order it is fed) and the middle is
picked, or the mean of the two middles, as ``statistics.median`` does; MongoDB caps one ``$push`` at
100 MB (``internalQueryMaxPushBytes``), some millions of resolved cases in one scope.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.escalation.stats import COUNTS, DAY_SECONDS, REOPENED, Figures, GroupKey, StatsRow, Table
from services.escalation.store import RECORDS
from shared.store import Database

Doc = dict[str, Any]


@dataclass(frozen=True)
class StatsScope:
    """What else narrows the records statistics count: created before ``until``, of one category
    (``other`` also takes records without one, as the statistics file them)."""

    until: datetime | None = None
    category: str | None = None


def stats_scope(
    factories: Sequence[str] | None, since: datetime | None, scope: StatsScope | None = None
) -> Doc:
    """The records statistics count: assigned ones, of the caller's factories, created since ``since``."""
    query: Doc = {"assigned": True}
    if factories is not None:
        query["factory_id"] = {"$in": list(factories)}
    created: Doc = {}
    if since is not None:
        created["$gte"] = since
    if scope is not None and scope.until is not None:
        created["$lt"] = scope.until
    if created:
        query["created_at"] = created
    if scope is not None and scope.category is not None:
        other = scope.category == "other"
        query["category"] = {"$in": ["other", "", None]} if other else scope.category
    return query


async def figures(
    db: Database,
    factories: Sequence[str] | None,
    since: datetime | None,
    now: datetime,
    scope: StatsScope | None = None,
) -> Table:
    """The figures of the scope at ``now``, computed on the server by :func:`stages`.

    The pipeline ends in one ``$facet``, so the answer is one document (none if the engine gives
    none). Its ``$sort`` holds a small row per record in scope; past 100 MB of rows MongoDB sorts on
    disk, which ``allowDiskUse`` permits before 6.0 too.
    """
    pipeline = [{"$match": stats_scope(factories, since, scope)}, *stages(now)]
    cursor = db[RECORDS].aggregate(pipeline, allowDiskUse=True)
    async for doc in cursor:
        return table_from_pipeline(doc)
    return table_from_pipeline(None)


async def stats_factories(db: Database, factories: Sequence[str] | None) -> list[str]:
    """The factories that have counted records in the caller's scope, for the dashboard's filter
    (the ``factory_id, created_at`` index serves it; unroutable cases have none)."""
    found = await db[RECORDS].distinct("factory_id", stats_scope(factories, None))
    return sorted(str(factory) for factory in found if factory is not None)


async def records_for_stats(
    db: Database, factories: Sequence[str] | None, since: datetime | None, scope: StatsScope | None = None
) -> list[StatsRow]:
    """What statistics read of each record in the caller's scope.

    The API computes its statistics on the server (:func:`figures`); this is the input of the rule's
    plain-Python counterpart (:func:`services.escalation.stats.compute`), which the tests and the
    statistics benchmark compare with it.
    """
    query = stats_scope(factories, since, scope)
    fields = (
        "factory_id",
        "category",
        "committee_id",
        "created_at",
        "ack_due_at",
        "resolve_due_at",
        "acknowledged_at",
        "resolved_at",
        "disputed_at",
        "escalated",
        "timeline.action",
        "timeline.status",
    )
    cursor = db[RECORDS].find(query, {"_id": 0, **dict.fromkeys(fields, 1)})
    return [_row(doc) async for doc in cursor]


def _row(doc: Doc) -> StatsRow:
    timeline = doc.get("timeline") or ()
    return StatsRow(
        factory_id=doc.get("factory_id"),
        category=doc.get("category"),
        committee_id=doc.get("committee_id"),
        created_at=doc.get("created_at"),
        ack_due_at=doc.get("ack_due_at"),
        resolve_due_at=doc.get("resolve_due_at"),
        acknowledged_at=doc.get("acknowledged_at"),
        resolved_at=doc.get("resolved_at"),
        disputed_at=doc.get("disputed_at"),
        escalated=bool(doc.get("escalated")),
        reopened=any(REOPENED in (entry.get("action"), entry.get("status")) for entry in timeline),
    )


# --- the same rule as an aggregation pipeline ------------------------------------------------------


def _value(name: str) -> Doc:
    """A field's value with missing read as null (aggregation tells the two apart, Python does not)."""
    return {"$ifNull": [f"${name}", None]}


def _present(name: str) -> Doc:
    return {"$ne": [_value(name), None]}


def _one_if(condition: Doc) -> Doc:
    return {"$cond": [condition, 1, 0]}


def _deadline_counts(done: str, due: str, held: Doc, now: datetime) -> tuple[Doc, Doc]:
    """(decided, on time) of :func:`_deadline`, for records a committee held."""
    counted = [held, _present(due)]
    decided = {"$and": [*counted, {"$or": [_present(done), {"$lte": [f"${due}", now]}]}]}
    on_time = {"$and": [*counted, _present(done), {"$lte": [f"${done}", f"${due}"]}]}
    return _one_if(decided), _one_if(on_time)


def _per_record(now: datetime) -> Doc:
    """One small row per record: its group, its counts (0 or 1) and its days to resolve (or null)."""
    held = {"$or": [_present("committee_id"), _present("acknowledged_at")]}
    ack_decided, ack_on_time = _deadline_counts("acknowledged_at", "ack_due_at", held, now)
    resolve_decided, resolve_on_time = _deadline_counts("resolved_at", "resolve_due_at", held, now)
    # Milliseconds to seconds to days, as timedelta.total_seconds() / 86400 does: the same doubles.
    elapsed = {"$divide": [{"$subtract": ["$resolved_at", "$created_at"]}, 1000]}
    return {
        "_id": 0,
        "factory": _value("factory_id"),
        "category": {"$cond": [{"$eq": [{"$ifNull": ["$category", ""]}, ""]}, "other", "$category"]},
        "ack_decided": ack_decided,
        "ack_on_time": ack_on_time,
        "resolve_decided": resolve_decided,
        "resolve_on_time": resolve_on_time,
        "escalated": _one_if({"$gt": [{"$size": {"$ifNull": ["$escalated", []]}}, 0]}),
        "disputed": _one_if(_present("disputed_at")),
        "reopened": _one_if({"$gt": [{"$size": _reopenings()}, 0]}),
        "resolved": _one_if({"$and": [_present("resolved_at"), _present("created_at")]}),
        "days": {
            "$cond": [
                {"$and": [_present("resolved_at"), _present("created_at")]},
                {"$divide": [elapsed, DAY_SECONDS]},
                None,
            ]
        },
    }


def _reopenings() -> Doc:
    """The timeline entries that reopened the case (see :data:`REOPENED`)."""
    reopening = {"$or": [{"$eq": ["$$entry.action", REOPENED]}, {"$eq": ["$$entry.status", REOPENED]}]}
    return {"$filter": {"input": {"$ifNull": ["$timeline", []]}, "as": "entry", "cond": reopening}}


# The three levels of the answer, and what each groups its records by.
_KEYS: dict[str, Any] = {
    "groups": {"factory": "$factory", "category": "$category"},
    "factories": "$factory",
    "total": None,
}


def _median_of_sorted(array: str) -> Doc:
    """The middle of a sorted, non-empty array, or the mean of its two middles (``statistics.median``)."""
    size = {"$size": array}
    half = {"$floor": {"$divide": [size, 2]}}
    middle = {"$arrayElemAt": [array, half]}
    below = {"$arrayElemAt": [array, {"$subtract": [half, 1]}]}
    return {"$cond": [{"$eq": [{"$mod": [size, 2]}, 1]}, middle, {"$divide": [{"$add": [below, middle]}, 2]}]}


def stages(now: datetime) -> list[Doc]:
    """The pipeline after the scope's ``$match``; it yields one document, :func:`from_pipeline`'s input.

    The rows are sorted by days to resolve once; then one branch counts per (factory, category)
    (``$sum`` of the per-record 0/1 fields; factories and the total are sums of these rows), and one
    branch per level pushes the resolved records' days in that order and picks the median.
    """
    sums: Doc = {"received": {"$sum": 1}, **{name: {"$sum": f"${name}"} for name in COUNTS[1:]}}
    branches: dict[str, list[Doc]] = {"groups": [{"$group": {"_id": _KEYS["groups"], **sums}}]}
    for level, key in _KEYS.items():
        branches[level + "_median"] = [
            {"$match": {"days": {"$ne": None}}},
            {"$group": {"_id": key, "days": {"$push": "$days"}}},
            {"$project": {"median_days": _median_of_sorted("$days")}},
        ]
    return [{"$project": _per_record(now)}, {"$sort": {"days": 1}}, {"$facet": branches}]


def table_from_pipeline(result: Doc | None) -> Table:
    """The figures of the pipeline's one document (``None``: nothing came back)."""
    result = result or {}
    medians = {
        level: {_key(level, row["_id"]): row["median_days"] for row in result.get(level + "_median", [])}
        for level in _KEYS
    }
    groups: dict[GroupKey, Figures] = {}
    factories: dict[str | None, Figures] = {}
    total = Figures(median_days=medians["total"].get(None))
    for row in result.get("groups", []):
        key: GroupKey = _key("groups", row["_id"])
        counts = {name: int(row[name]) for name in COUNTS}
        groups[key] = Figures(**counts, median_days=medians["groups"].get(key))
        factory = factories.setdefault(key[0], Figures(median_days=medians["factories"].get(key[0])))
        for figures in (factory, total):
            figures.add(counts)
    return Table.of(groups, factories, total)


def _key(level: str, raw: Any) -> Any:
    return (raw["factory"], raw["category"]) if level == "groups" else raw
