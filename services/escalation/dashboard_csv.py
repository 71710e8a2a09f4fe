"""The dashboard's figures as a CSV file that Excel opens as it is, and that cannot run anything.

- UTF-8 with a byte-order mark, lines ended by CRLF: Excel on Windows (and WPS) reads the Chinese
  headers and category names correctly only with the mark.
- One row per group, per factory and the total; each figure has a column for its value and one
  that says why it is empty when it was suppressed (``fewer than k``, ``withheld``), so an empty
  value is never ambiguous: an empty value with an empty reason means nothing to count yet (a rate
  with no deadline decided).
- No formula injection: a cell a spreadsheet would read as a formula (it starts with ``=``, ``+``,
  ``-``, ``@``, a tab or a carriage return) is prefixed with ``'``, which spreadsheets take as "text"
  and hide. Numbers we write (``-0.5`` days for a case resolved before its recorded creation) are
  left as numbers: a plain number is no formula. Factory ids come from the registry, and the
  registry is outside input too.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Sequence

from services.escalation.dashboard_suppression import FIGURES, Figure, Released, Row

Texts = Callable[..., str]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")
BOM = "\ufeff"


def safe_cell(value: str) -> str:
    """The cell as a spreadsheet will show it, never as a formula it would evaluate."""
    if value.startswith(_FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_bytes(released: Released, t: Texts, factory_name: Callable[[str | None], str]) -> bytes:
    """The file: a header row in the visitor's language, then the total, the factories, the groups."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    header = [t("csv.level"), t("field.factory"), t("field.category")]
    for name in FIGURES:
        header += [t(f"figure.{name}"), t("csv.suppressed", figure=t(f"figure.{name}"))]
    writer.writerow([safe_cell(cell) for cell in header])
    for row in (released.total, *released.factories, *released.groups):
        writer.writerow([safe_cell(cell) for cell in _cells(row, released.k, t, factory_name)])
    return (BOM + out.getvalue()).encode("utf-8")


def _cells(row: Row, k: int, t: Texts, factory_name: Callable[[str | None], str]) -> Sequence[str]:
    factory = "" if row.level == "total" else factory_name(row.factory_id)
    category = t(f"category.{row.category}") if row.category else ""
    cells = [t(f"level.{row.level}"), factory, category]
    for _, figure in row.figures():
        cells += [_value(figure), _reason(figure, k, t)]
    return cells


def _value(figure: Figure) -> str:
    return "" if figure.value is None else str(figure.value)


def _reason(figure: Figure, k: int, t: Texts) -> str:
    return "" if figure.mark == "shown" else t(f"mark.{figure.mark}", k=k)
