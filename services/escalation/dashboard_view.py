"""What the dashboard page shows, from the released figures: words for every value, and the charts.

Pure: the released figures and the page's texts in, the page's rows and SVG charts out. A hidden
figure is shown in words ("fewer than 5 cases", "withheld"), never as a blank a reader could take
for zero.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup

from services.escalation.dashboard_charts import Bar, bar_chart
from services.escalation.dashboard_suppression import Figure, Released, Row

Texts = Callable[..., str]


@dataclass(frozen=True)
class Cell:
    """One figure as the page shows it; ``hidden`` styles a suppressed one apart."""

    name: str
    says: str
    hidden: bool


@dataclass(frozen=True)
class Line:
    """One row of a table: its factory and category in words, then its figures."""

    factory: str
    category: str
    cells: tuple[Cell, ...]


def factory_name(t: Texts) -> Callable[[str | None], str]:
    """Factories are shown by their registry id; unroutable cases have none."""
    return lambda factory: factory if factory is not None else t("factory.none")


def says(name: str, figure: Figure, k: int, t: Texts) -> str:
    """A figure in words: its value with its unit, why it is hidden, or that nothing is due yet."""
    if figure.suppressed:
        return t(f"mark.{figure.mark}", k=k)
    if figure.value is None:
        return t("value.none")
    if name.endswith("_pct"):
        return t("value.pct", value=figure.value)
    if name == "median_days_to_resolve":
        return t("value.days", value=figure.value)
    return str(figure.value)


def line(row: Row, k: int, t: Texts) -> Line:
    category = t(f"category.{row.category}") if row.category else ""
    factory = t("dashboard.total") if row.level == "total" else factory_name(t)(row.factory_id)
    cells = tuple(Cell(name, says(name, f, k, t), f.suppressed) for name, f in row.figures())
    return Line(factory, category, cells)


def lines(rows: Sequence[Row], k: int, t: Texts) -> list[Line]:
    return [line(row, k, t) for row in rows]


@dataclass(frozen=True)
class Chart:
    """A chart and its visible caption (the SVG carries the same name for screen readers)."""

    caption: str
    svg: Markup


def charts(released: Released, t: Texts) -> list[Chart]:
    """Bars per factory: received (to the largest shown), acknowledged and resolved on time (to 100)."""
    factories, k, name = released.factories, released.k, factory_name(t)

    def bars(figure: str) -> list[Bar]:
        return [
            Bar(name(row.factory_id), row.figure(figure).value, says(figure, row.figure(figure), k, t))
            for row in factories
        ]

    received = bars("received")
    largest = max((bar.value for bar in received if bar.value is not None), default=0.0)
    drawn = [
        ("chart-received", "chart.received", "chart.desc_count", received, max(largest, 1.0)),
        ("chart-ack", "chart.ack", "chart.desc_pct", bars("acknowledged_on_time_pct"), 100.0),
        ("chart-resolve", "chart.resolve", "chart.desc_pct", bars("resolved_on_time_pct"), 100.0),
    ]
    return [
        Chart(t(title), bar_chart(chart_id, t(title), t(desc), values, scale))
        for chart_id, title, desc, values, scale in drawn
    ]
