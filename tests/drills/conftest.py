"""The drills' numbers, collected from every drill of the run and printed as one table at the end."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from tests.drills.oracle import Numbers
from tests.drills.system import LOGS

RESULTS: list[tuple[str, Numbers]] = []  # (test id, numbers)
# Each group of drills that runs at once with another (``make drills``) keeps a file of its own.
RESULTS_FILE = LOGS / os.environ.get("GRIEVANCE_DRILL_RESULTS", "results.jsonl")
OUTCOMES: dict[str, str] = {}


@pytest.fixture
def record(request: pytest.FixtureRequest) -> Any:
    """Keep a drill's numbers: for the summary at the end, and in :data:`RESULTS_FILE` (this run's only)."""

    def add(numbers: Numbers) -> Numbers:
        if not RESULTS:
            RESULTS_FILE.unlink(missing_ok=True)
        RESULTS.append((request.node.nodeid, numbers))
        LOGS.mkdir(parents=True, exist_ok=True)
        with RESULTS_FILE.open("a", encoding="utf-8") as out:
            out.write(json.dumps(numbers.as_dict(), ensure_ascii=False, default=str) + "\n")
        return numbers

    return add


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" or report.failed:
        OUTCOMES[report.nodeid] = report.outcome


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} s"


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The table of docs/reliability.md, in its own Markdown."""
    if not RESULTS:
        return
    write = terminalreporter.write_line
    write("")
    write(
        "| drill | requests | 2xx | 503 | no answer | lost | duplicated | max latency | recovery | outcome |"
    )
    write("|---|---|---|---|---|---|---|---|---|---|")
    for nodeid, n in RESULTS:
        recovery = (
            f"{_seconds(n.recovery)} / {_seconds(n.backlog)}"
            if n.backlog is not None
            else _seconds(n.recovery)
        )
        write(
            f"| {n.drill} | {n.requests} | {n.ok} | {n.unavailable} | {n.no_answer} | {n.lost} | "
            f"{n.duplicated} | {n.max_latency:.2f} s | {recovery} | {OUTCOMES.get(nodeid, '?')} |"
        )
    write(f"(details: {RESULTS_FILE}; logs: {LOGS}/<drill>/)")
