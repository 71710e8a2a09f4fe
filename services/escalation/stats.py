"""Programme statistics per factory and category (UNGP 31(g): a source of continuous learning).

A deadline counts in an on-time percentage once it is decided: met, or passed unmet. A case whose
deadline is still ahead and unmet is not counted either way, and a case no committee held (the NGO
took it at once) has no committee deadlines to meet.

Here is the rule in plain Python (:func:`compute`, over each record's :class:`StatsRow`) and the
figures' shape (:class:`Figures`, :class:`Table`). The figures are computed where the records are, by
the same rule as an aggregation pipeline (:mod:`services.escalation.stats_store`), whose answer is
turned into the same :class:`Figures`.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

Doc = dict[str, Any]
DAY_SECONDS = 86400.0
COUNTS = (
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
    """What is counted for one group of records; the same shape from Python or from the pipeline."""

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
        for name in COUNTS:
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


@dataclass(frozen=True)
class StatsRow:
    """What the statistics read of one record (never text or contact)."""

    factory_id: str | None = None
    category: str | None = None
    committee_id: str | None = None
    created_at: datetime | None = None
    ack_due_at: datetime | None = None
    resolve_due_at: datetime | None = None
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None
    disputed_at: datetime | None = None
    escalated: bool = False
    reopened: bool = False


@dataclass
class _Tally:
    figures: Figures = field(default_factory=Figures)
    days_to_resolve: list[float] = field(default_factory=list)

    def add(self, row: StatsRow, now: datetime) -> None:
        figures = self.figures
        figures.received += 1
        figures.escalated += row.escalated
        figures.disputed += row.disputed_at is not None
        figures.reopened += row.reopened
        resolved, created = row.resolved_at, row.created_at
        if resolved is not None and created is not None:
            figures.resolved += 1
            self.days_to_resolve.append((resolved - created).total_seconds() / DAY_SECONDS)
        if row.committee_id is None and row.acknowledged_at is None:
            return
        decided, on_time = _deadline(row.acknowledged_at, row.ack_due_at, now)
        figures.ack_decided += decided
        figures.ack_on_time += on_time
        decided, on_time = _deadline(resolved, row.resolve_due_at, now)
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


def compute(rows: Iterable[StatsRow], now: datetime) -> Table:
    """Figures per (factory, category), per factory, and over everything, from the records' rows."""
    groups: dict[GroupKey, _Tally] = defaultdict(_Tally)
    factories: dict[str | None, _Tally] = defaultdict(_Tally)
    total = _Tally()
    for row in rows:
        factory, category = row.factory_id, row.category or "other"
        for tally in (groups[(factory, category)], factories[factory], total):
            tally.add(row, now)
    return Table.of(
        {key: tally.done() for key, tally in groups.items()},
        {key: tally.done() for key, tally in factories.items()},
        total.done(),
    )
