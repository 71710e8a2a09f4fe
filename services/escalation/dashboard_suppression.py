"""Small cohorts suppressed (k-anonymity) before any figure of the dashboard leaves the service.

The dashboard and its CSV are made to be shared beyond the NGO (with a brand, a factory, a public
report); a figure computed over a handful of workers lets a manager guess who complained. So every
figure is released only when its cohort, the cases it summarises, holds at least ``k`` of them:

- ``received``, ``escalated``, ``disputed``, ``reopened``: the row's received cases (a count of one
  disputed case among twelve says nothing about which of the twelve);
- ``acknowledged_on_time_pct``, ``resolved_on_time_pct``: the cases whose deadline is decided;
- ``median_days_to_resolve``: the resolved cases.

A row whose received cases are fewer than ``k`` releases nothing at all; an empty cohort (nothing
decided yet, no case at all) has nothing to hide and is shown as it is. Such a figure is marked
``fewer_than_k``.

The counts add up: a factory's groups sum to the factory's figure, the factories to the total. A
single hidden figure among numbers that add up is found by subtraction, so each count is checked as
a system of equations (total = sum of factories, factory = sum of its groups): whenever the figures
shown determine a hidden one, one more is withheld (``withheld``) and the check starts again. The
one withheld is the smallest non-zero figure shown beside it (the least information lost; a zero
would not hide anything, since "the rest is zero" is no secret), else the sum itself. Rates do not
add up, but their numerators and cohorts do, and small cohorts are easy to guess from the counts
shown, so each rate is withheld the same way over its cohort. A median is no function of the
medians around it: its own cohort alone decides.

What this does not do: it hides values, not bounds (a hidden figure beside a shown total is known to
lie between 1 and that total), and it protects one table, not the difference between two. The NGO,
which sees the cases themselves, may ask for overlapping periods and subtract; what it passes on is
one table, protected.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from services.escalation.stats import Figures, GroupKey, Table

Mark = Literal["shown", "fewer_than_k", "withheld"]
Level = Literal["group", "factory", "total"]
FIGURES = (
    "received",
    "acknowledged_on_time_pct",
    "resolved_on_time_pct",
    "median_days_to_resolve",
    "escalated",
    "disputed",
    "reopened",
)
COUNTS = ("received", "escalated", "disputed", "reopened")
# Each rate and the count its cohort is: the deadlines decided (met or missed).
RATES = {"acknowledged_on_time_pct": "ack_decided", "resolved_on_time_pct": "resolve_decided"}
DEFAULT_MIN_COHORT = 5


@dataclass(frozen=True)
class Figure:
    """One released figure: its value (``None`` when hidden, or when there is nothing to show)."""

    value: float | None
    mark: Mark = "shown"

    @property
    def suppressed(self) -> bool:
        return self.mark != "shown"


@dataclass(frozen=True)
class Row:
    """One line of the dashboard: a (factory, category) group, a factory, or the total."""

    level: Level
    factory_id: str | None
    category: str | None
    received: Figure
    acknowledged_on_time_pct: Figure
    resolved_on_time_pct: Figure
    median_days_to_resolve: Figure
    escalated: Figure
    disputed: Figure
    reopened: Figure

    def figure(self, name: str) -> Figure:
        found: Figure = getattr(self, name)
        return found

    def figures(self) -> Iterator[tuple[str, Figure]]:
        return ((name, self.figure(name)) for name in FIGURES)


@dataclass(frozen=True)
class Released:
    """The dashboard's figures after suppression, with the ``k`` they were released under."""

    k: int
    groups: tuple[Row, ...]
    factories: tuple[Row, ...]
    total: Row


# A node of the table: ("total",), ("factory", factory) or ("group", factory, category).
Node = tuple[str | None, ...]
TOTAL: Node = ("total",)


def release(table: Table, k: int) -> Released:
    """The table's figures with every small cohort suppressed, and what would reveal one withheld."""
    if k < 1:
        raise ValueError("k is at least 1")
    figures = _nodes(table)
    equations = _equations(table)
    small = {node for node, f in figures.items() if _small(f.received, k)}
    hidden: dict[str, dict[Node, Mark]] = {}
    for count in COUNTS:
        marks: dict[Node, Mark] = dict.fromkeys(small, "fewer_than_k")
        _complement(marks, equations, {node: getattr(f, count) for node, f in figures.items()})
        hidden[count] = marks
    for rate, cohort in RATES.items():
        marks = {
            node: "fewer_than_k"
            for node, f in figures.items()
            if node in small or _small(getattr(f, cohort), k)
        }
        _complement(marks, equations, {node: getattr(f, cohort) for node, f in figures.items()})
        hidden[rate] = marks

    def row(node: Node) -> Row:
        f = figures[node]
        whole = f.as_dict()
        values: dict[str, Figure] = {}
        for name, marks in hidden.items():
            mark = marks.get(node, "shown")
            values[name] = Figure(None if mark != "shown" else whole[name], mark)
        smaller = node in small or _small(f.resolved, k)
        median = whole["median_days_to_resolve"]
        values["median_days_to_resolve"] = Figure(None, "fewer_than_k") if smaller else Figure(median)
        level: Level = "total" if node == TOTAL else "factory" if node[0] == "factory" else "group"
        factory = node[1] if len(node) > 1 else None
        category = node[2] if len(node) > 2 else None
        return Row(level=level, factory_id=factory, category=category, **values)

    return Released(
        k=k,
        groups=tuple(row(_group(key)) for key in table.groups),
        factories=tuple(row(("factory", factory)) for factory in table.factories),
        total=row(TOTAL),
    )


def _small(cohort: int, k: int) -> bool:
    """A cohort of 1 to k-1 cases; an empty one has nobody in it to protect."""
    return 0 < cohort < k


def _group(key: GroupKey) -> Node:
    return ("group", key[0], key[1])


def _nodes(table: Table) -> dict[Node, Figures]:
    nodes: dict[Node, Figures] = {TOTAL: table.total}
    nodes.update({("factory", factory): f for factory, f in table.factories.items()})
    nodes.update({_group(key): f for key, f in table.groups.items()})
    return nodes


def _equations(table: Table) -> list[tuple[Node, list[Node]]]:
    """Each sum shown with its parts: the total of the factories, each factory of its groups."""
    equations: list[tuple[Node, list[Node]]] = [(TOTAL, [("factory", f) for f in table.factories])]
    for factory in table.factories:
        parts = [_group(key) for key in table.groups if key[0] == factory]
        equations.append((("factory", factory), parts))
    return equations


def _complement(
    marks: dict[Node, Mark], equations: list[tuple[Node, list[Node]]], values: dict[Node, int]
) -> None:
    """Withhold figures until no hidden one follows from the shown ones by the sums (in place)."""
    while (leak := _first_derived(marks, equations)) is not None:
        derived, (parent, parts) = leak
        shown_parts = [p for p in parts if p != derived and p not in marks]
        nonzero = [p for p in shown_parts if values[p] > 0]
        if nonzero:
            chosen = min(nonzero, key=lambda p: (values[p], str(p)))
        elif parent != derived and parent not in marks:
            chosen = parent
        else:
            chosen = min(shown_parts, key=lambda p: (values[p], str(p)))
        marks[chosen] = "withheld"


def _first_derived(
    marks: dict[Node, Mark], equations: list[tuple[Node, list[Node]]]
) -> tuple[Node, tuple[Node, list[Node]]] | None:
    """The first hidden figure that a sum determines from shown figures alone, with that sum.

    A sum with exactly one hidden member gives it away. When none has, no combination of them
    does either: the sums form a tree (each hidden figure is in its own sum and in its parent's),
    adding sums cancels the figures they share, and what is left always has two hidden figures at
    least, since every sum that holds any holds two.
    """
    for parent, parts in equations:
        if not parts:
            continue
        hidden = [node for node in (parent, *parts) if node in marks]
        if len(hidden) == 1:
            return hidden[0], (parent, parts)
    return None
