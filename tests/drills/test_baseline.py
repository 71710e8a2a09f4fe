"""The drill without a fault: the numbers every other drill is read against."""

from __future__ import annotations

from typing import Any

import pytest

from tests.drills.system import drill_system
from tests.drills.traffic import make_grievances

# A drill starts a fleet of processes and waits out a fault: more than a plain test's 300 s on a busy machine.
pytestmark = [pytest.mark.drill, pytest.mark.timeout(900)]


async def test_no_fault(record: Any) -> None:
    async with drill_system("no_fault") as system:
        grievances = make_grievances(150)
        await system.load(grievances, rate=6).run()
        numbers = await system.verdict(grievances)
        system.expect_invariants(numbers)
        await system.expect_queues_drained()
        system.expect(numbers.unavailable == 0, f"{numbers.unavailable} answers of 503 without a fault")
        system.expect(numbers.accepted == numbers.grievances, "not every grievance was accepted")
    system.conclude(numbers, record)
