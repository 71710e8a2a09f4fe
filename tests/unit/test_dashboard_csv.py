"""The dashboard's CSV rules: no cell a spreadsheet would run, BOM and CRLF, hidden figures flagged."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from services.escalation.dashboard_csv import csv_bytes, safe_cell
from services.escalation.dashboard_suppression import release
from services.escalation.dashboard_texts import TEXTS
from services.escalation.dashboard_view import Texts, factory_name, says
from services.escalation.stats import Figures, Table
from shared.pages import BASE
from shared.validation import Language


def texts(language: Language = "en") -> Texts:
    catalog = BASE.merged(TEXTS)

    def t(key: str, **values: Any) -> str:
        return catalog.text(language, key, **values)

    return t


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+8613912345678", "'+8613912345678"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=cmd", "'\t=cmd"),
        ("\r=cmd", "'\r=cmd"),
        ("-0.5", "-0.5"),
        ("12", "12"),
        ("GZ-001", "GZ-001"),
        ("工资", "工资"),
        ("", ""),
    ],
)
def test_a_cell_that_would_be_a_formula_becomes_text(cell: str, written: str) -> None:
    assert safe_cell(cell) == written


def test_the_file_has_a_bom_crlf_and_a_reason_beside_each_hidden_value() -> None:
    groups: dict[tuple[str | None, str], Figures] = {
        ("GZ-001", "wages"): Figures(received=2),
        ("SZ-002", "wages"): Figures(received=9, escalated=1),
    }
    factories: dict[str | None, Figures] = {
        "GZ-001": Figures(received=2),
        "SZ-002": Figures(received=9, escalated=1),
    }
    released = release(Table.of(groups, factories, Figures(received=11, escalated=1)), 5)
    t = texts()
    body = csv_bytes(released, t, factory_name(t))
    assert body.startswith("\ufeff".encode()) and body.count(b"\r\n") == 6
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert len({len(row) for row in rows}) == 1 and len(rows[0]) == 3 + 2 * 7
    gz = next(row for row in rows if row[:3] == ["factory", "GZ-001", ""])
    assert gz[3:5] == ["", "fewer than 5 cases"]
    sz = next(row for row in rows if row[:3] == ["factory", "SZ-002", ""])
    # Beside GZ-001's hidden count, SZ-002's is withheld at the total; rates with nothing due are "".
    assert sz[3:5] == ["", "withheld"] and sz[5:7] == ["", ""]
    assert rows[1][:5] == ["total", "", "", "11", ""]


def test_every_figure_is_said_in_words_in_both_languages() -> None:
    released = release(Table.of({}, {}, Figures(received=7, ack_decided=2, ack_on_time=1)), 5)
    wordings: list[tuple[Language, str, str]] = [
        ("zh", "少于 5 件", "—（尚无到期）"),
        ("en", "fewer than 5 cases", "— (nothing due yet)"),
    ]
    for language, hidden, nothing in wordings:
        t = texts(language)
        words = {name: says(name, f, 5, t) for name, f in released.total.figures()}
        assert words["received"] == "7"
        assert words["acknowledged_on_time_pct"] == hidden
        assert words["resolved_on_time_pct"] == nothing
    assert TEXTS.incomplete() == []
