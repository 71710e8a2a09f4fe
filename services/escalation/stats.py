"""Programme statistics per factory and category (UNGP 31(g): a source of continuous learning).

Computed in Python from the clock fields :func:`store.clocks_for_stats` returns. A deadline counts in
an on-time percentage once it is decided: met, or passed unmet. A case whose deadline is still ahead
and unmet is not counted either way, and a case no committee held (the NGO took it at once) has no
committee deadlines to meet.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

Doc = dict[str, Any]
_DAY = 86400.0


@dataclass
class _Tally:
    received: int = 0
    ack_decided: int = 0
    ack_on_time: int = 0
    resolve_decided: int = 0
    resolve_on_time: int = 0
    escalated: int = 0
    disputed: int = 0

    def __post_init__(self) -> None:
        self.days_to_resolve: list[float] = []

    def add(self, clock: Doc, now: datetime) -> None:
        self.received += 1
        self.escalated += bool(clock.get("escalated"))
        self.disputed += clock.get("disputed_at") is not None
        resolved, created = clock.get("resolved_at"), clock.get("created_at")
        if resolved is not None and created is not None:
            self.days_to_resolve.append((resolved - created).total_seconds() / _DAY)
        if clock.get("committee_id") is None and clock.get("acknowledged_at") is None:
            return
        decided, on_time = _deadline(clock.get("acknowledged_at"), clock.get("ack_due_at"), now)
        self.ack_decided += decided
        self.ack_on_time += on_time
        decided, on_time = _deadline(resolved, clock.get("resolve_due_at"), now)
        self.resolve_decided += decided
        self.resolve_on_time += on_time

    def as_dict(self) -> Doc:
        median = statistics.median(self.days_to_resolve) if self.days_to_resolve else None
        return {
            "received": self.received,
            "acknowledged_on_time_pct": _pct(self.ack_on_time, self.ack_decided),
            "resolved_on_time_pct": _pct(self.resolve_on_time, self.resolve_decided),
            "median_days_to_resolve": round(median, 2) if median is not None else None,
            "escalated": self.escalated,
            "disputed": self.disputed,
        }


def _deadline(done_at: datetime | None, due_at: datetime | None, now: datetime) -> tuple[int, int]:
    if due_at is None:
        return 0, 0
    if done_at is not None:
        return 1, int(done_at <= due_at)
    return (1, 0) if due_at <= now else (0, 0)


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def compute(clocks: Iterable[Doc], now: datetime) -> Doc:
    """Figures per (factory, category), per factory, and over everything the caller may see."""
    groups: dict[tuple[str | None, str], _Tally] = defaultdict(_Tally)
    factories: dict[str | None, _Tally] = defaultdict(_Tally)
    total = _Tally()
    for clock in clocks:
        factory, category = clock.get("factory_id"), str(clock.get("category") or "other")
        for tally in (groups[(factory, category)], factories[factory], total):
            tally.add(clock, now)
    return {
        "groups": [
            {"factory_id": factory, "category": category, **tally.as_dict()}
            for (factory, category), tally in sorted(groups.items(), key=lambda kv: (str(kv[0][0]), kv[0][1]))
        ],
        "factories": [
            {"factory_id": factory, **tally.as_dict()}
            for factory, tally in sorted(factories.items(), key=lambda kv: str(kv[0]))
        ],
        "total": total.as_dict(),
    }
