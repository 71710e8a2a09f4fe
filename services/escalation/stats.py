"""Programme statistics per factory and category (UNGP 31(g): a source of continuous learning).

A deadline counts in an on-time percentage once it is decided: met, or passed unmet. A case whose
deadline is still ahead and unmet is not counted either way, and a case no committee held (the NGO
took it at once) has no committee deadlines to meet.

The figures are computed where the clocks are, by the aggregation pipeline of :func:`stages`: the
server reduces each clock to a small row of 0/1 counts, adds them up per (factory, category) and
picks the median days to resolve per level from the sorted durations, so a few rows cross the wire
however many cases there are. :func:`from_pipeline` adds the groups up per factory and in total,
turns counts into percentages and rounds, in Python, through the same :class:`Figures` as
:func:`compute`, the rule in plain Python over fetched clocks. The tests hold the two to the same
answer on both engines (mongomock runs the pipeline too, slowly but exactly).

Why not ``$median``: MongoDB 7.0+ only, and it is approximate (t-digest, no interpolation between the
two middle values of an even count), so the median would change. The durations are pushed in sorted
order instead (``$sort`` before ``$group``: ``$push`` keeps the order it is fed) and the middle is
picked, or the mean of the two middles, as ``statistics.median`` does; MongoDB caps one ``$push`` at
100 MB (``internalQueryMaxPushBytes``), some millions of resolved cases in one scope.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

Doc = dict[str, Any]
_DAY = 86400.0
_COUNTS = (
    "received",
    "ack_decided",
    "ack_on_time",
    "resolve_decided",
    "resolve_on_time",
    "escalated",
    "disputed",
    "reopened",
    "resolved",
)
# A case is reopened when its timeline holds a ``reopened`` action or an update that left it
# ``reopened`` (the router's answer to a worker's NO): a resolution undone, by whoever undid it.
REOPENED = "reopened"


@dataclass
class Figures:
    """What is counted for one group of clocks; the same shape from Python or from the pipeline."""

    received: int = 0
    ack_decided: int = 0
    ack_on_time: int = 0
    resolve_decided: int = 0
    resolve_on_time: int = 0
    escalated: int = 0
    disputed: int = 0
    reopened: int = 0
    # How many have a duration to resolve: the cohort of the median (the dashboard's k-rule needs it).
    resolved: int = 0
    median_days: float | None = None

    def add(self, counts: Mapping[str, int]) -> None:
        for name in _COUNTS:
            setattr(self, name, getattr(self, name) + counts[name])

    def as_dict(self) -> Doc:
        median = self.median_days
        return {
            "received": self.received,
            "acknowledged_on_time_pct": _pct(self.ack_on_time, self.ack_decided),
            "resolved_on_time_pct": _pct(self.resolve_on_time, self.resolve_decided),
            "median_days_to_resolve": round(median, 2) if median is not None else None,
            "escalated": self.escalated,
            "disputed": self.disputed,
            "reopened": self.reopened,
        }


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


GroupKey = tuple[str | None, str]


@dataclass(frozen=True)
class Table:
    """The figures at the three levels: per (factory, category), per factory, and over everything.

    Each level is in a stable order (factory, then category; no factory, ``None``, sorts as "None").
    The API answers :meth:`answer`; the dashboard reads the counts themselves, cohorts included.
    """

    groups: dict[GroupKey, Figures]
    factories: dict[str | None, Figures]
    total: Figures

    @classmethod
    def of(
        cls, groups: Mapping[GroupKey, Figures], factories: Mapping[str | None, Figures], total: Figures
    ) -> Table:
        return cls(
            groups=dict(sorted(groups.items(), key=lambda kv: (str(kv[0][0]), kv[0][1]))),
            factories=dict(sorted(factories.items(), key=lambda kv: str(kv[0]))),
            total=total,
        )

    def answer(self) -> Doc:
        """The API's body: groups and factories in a stable order, then the total."""
        return {
            "groups": [
                {"factory_id": factory, "category": category, **figures.as_dict()}
                for (factory, category), figures in self.groups.items()
            ],
            "factories": [
                {"factory_id": factory, **figures.as_dict()} for factory, figures in self.factories.items()
            ],
            "total": self.total.as_dict(),
        }


# --- the rule in Python ---------------------------------------------------------------------------


@dataclass
class _Tally:
    figures: Figures = field(default_factory=Figures)
    days_to_resolve: list[float] = field(default_factory=list)

    def add(self, clock: Doc, now: datetime) -> None:
        figures = self.figures
        figures.received += 1
        figures.escalated += bool(clock.get("escalated"))
        figures.disputed += clock.get("disputed_at") is not None
        figures.reopened += any(
            REOPENED in (entry.get("action"), entry.get("status")) for entry in clock.get("timeline") or ()
        )
        resolved, created = clock.get("resolved_at"), clock.get("created_at")
        if resolved is not None and created is not None:
            figures.resolved += 1
            self.days_to_resolve.append((resolved - created).total_seconds() / _DAY)
        if clock.get("committee_id") is None and clock.get("acknowledged_at") is None:
            return
        decided, on_time = _deadline(clock.get("acknowledged_at"), clock.get("ack_due_at"), now)
        figures.ack_decided += decided
        figures.ack_on_time += on_time
        decided, on_time = _deadline(resolved, clock.get("resolve_due_at"), now)
        figures.resolve_decided += decided
        figures.resolve_on_time += on_time

    def done(self) -> Figures:
        if self.days_to_resolve:
            self.figures.median_days = statistics.median(self.days_to_resolve)
        return self.figures


def _deadline(done_at: datetime | None, due_at: datetime | None, now: datetime) -> tuple[int, int]:
    if due_at is None:
        return 0, 0
    if done_at is not None:
        return 1, int(done_at <= due_at)
    return (1, 0) if due_at <= now else (0, 0)


def compute(clocks: Iterable[Doc], now: datetime) -> Doc:
    """Figures per (factory, category), per factory, and over everything, from clock documents."""
    return compute_table(clocks, now).answer()


def compute_table(clocks: Iterable[Doc], now: datetime) -> Table:
    """:func:`compute`'s figures, as the typed table."""
    groups: dict[GroupKey, _Tally] = defaultdict(_Tally)
    factories: dict[str | None, _Tally] = defaultdict(_Tally)
    total = _Tally()
    for clock in clocks:
        factory, category = clock.get("factory_id"), str(clock.get("category") or "other")
        for tally in (groups[(factory, category)], factories[factory], total):
            tally.add(clock, now)
    return Table.of(
        {key: tally.done() for key, tally in groups.items()},
        {key: tally.done() for key, tally in factories.items()},
        total.done(),
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
    """(decided, on time) of :func:`_deadline`, for clocks a committee held."""
    counted = [held, _present(due)]
    decided = {"$and": [*counted, {"$or": [_present(done), {"$lte": [f"${due}", now]}]}]}
    on_time = {"$and": [*counted, _present(done), {"$lte": [f"${done}", f"${due}"]}]}
    return _one_if(decided), _one_if(on_time)


def _per_clock(now: datetime) -> Doc:
    """One small row per clock: its group, its counts (0 or 1) and its days to resolve (or null)."""
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
                {"$divide": [elapsed, _DAY]},
                None,
            ]
        },
    }


def _reopenings() -> Doc:
    """The timeline entries that reopened the case (see :data:`REOPENED`)."""
    reopening = {"$or": [{"$eq": ["$$entry.action", REOPENED]}, {"$eq": ["$$entry.status", REOPENED]}]}
    return {"$filter": {"input": {"$ifNull": ["$timeline", []]}, "as": "entry", "cond": reopening}}


# The three levels of the answer, and what each groups its clocks by.
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
    (``$sum`` of the per-clock 0/1 fields; factories and the total are sums of these rows), and one
    branch per level pushes the resolved clocks' days in that order and picks the median.
    """
    sums: Doc = {"received": {"$sum": 1}, **{name: {"$sum": f"${name}"} for name in _COUNTS[1:]}}
    branches: dict[str, list[Doc]] = {"groups": [{"$group": {"_id": _KEYS["groups"], **sums}}]}
    for level, key in _KEYS.items():
        branches[level + "_median"] = [
            {"$match": {"days": {"$ne": None}}},
            {"$group": {"_id": key, "days": {"$push": "$days"}}},
            {"$project": {"median_days": _median_of_sorted("$days")}},
        ]
    return [{"$project": _per_clock(now)}, {"$sort": {"days": 1}}, {"$facet": branches}]


def from_pipeline(result: Doc | None) -> Doc:
    """The API's body from the pipeline's one document (``None``: nothing came back)."""
    return table_from_pipeline(result).answer()


def table_from_pipeline(result: Doc | None) -> Table:
    """:func:`from_pipeline`'s figures, as the typed table."""
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
        counts = {name: int(row[name]) for name in _COUNTS}
        groups[key] = Figures(**counts, median_days=medians["groups"].get(key))
        factory = factories.setdefault(key[0], Figures(median_days=medians["factories"].get(key[0])))
        for figures in (factory, total):
            figures.add(counts)
    return Table.of(groups, factories, total)


def _key(level: str, raw: Any) -> Any:
    return (raw["factory"], raw["category"]) if level == "groups" else raw
