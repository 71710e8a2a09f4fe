"""The drills' numbers, collected from every drill of the run and printed as one table at the end."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.drills.oracle import Numbers
from tests.drills.system import LOGS

RESULTS: list[Numbers] = []


@pytest.fixture
def record() -> Any:
    """Keep a drill's numbers: for the summary at the end, and in ``results.jsonl`` (this run's only)."""

    def add(numbers: Numbers) -> Numbers:
        if not RESULTS:
            (LOGS / "results.jsonl").unlink(missing_ok=True)
        RESULTS.append(numbers)
        LOGS.mkdir(parents=True, exist_ok=True)
        with (LOGS / "results.jsonl").open("a", encoding="utf-8") as out:
            out.write(json.dumps(numbers.as_dict(), ensure_ascii=False, default=str) + "\n")
        return numbers

    return add


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not RESULTS:
        return
    write = terminalreporter.write_line
    write("")
    write("drill numbers (docs/reliability.md):")
    header = f"{'drill':<28} {'req':>5} {'2xx':>5} {'503':>5} {'none':>5} {'other':>6} {'lost':>5} {'dup':>4} {'late':>5} {'max s':>6} {'recov s':>7} {'backlog s':>9}"
    write(header)
    for n in RESULTS:
        other = sum(n.other.values())
        recovery = "-" if n.recovery is None else f"{n.recovery:.1f}"
        backlog = "-" if n.backlog is None else f"{n.backlog:.1f}"
        write(
            f"{n.drill:<28} {n.requests:>5} {n.ok:>5} {n.unavailable:>5} {n.no_answer:>5} {other:>6} "
            f"{n.lost:>5} {n.duplicated:>4} {n.late:>5} {n.max_latency:>6.2f} {recovery:>7} {backlog:>9}"
        )
    write(f"(every drill's numbers and extras: {LOGS / 'results.jsonl'}; logs: {LOGS}/<drill>/)")
