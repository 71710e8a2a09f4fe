"""Drills that break the broker under load: its connections, the node itself, its alarms, the path to it.

Each drill sends grievances at a steady rate from a few seconds before the fault until well after
it healed; clients resend what was not accepted. Whatever the fault, every grievance answered 2xx
is exactly one case, no answer is anything but 2xx or 503, and no request waits past the publish
bound. Expectations marked SPOOLING hold once intake stores what it cannot publish.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.drills.fleet import Exit
from tests.drills.scenarios import (
    expect_answers_during_fault,
    expect_recovery,
    expect_sms_spooled,
    latency_summary,
    statuses,
    terminate_within,
    under_load,
    window,
)
from tests.drills.system import PUBLISH_TIMEOUT, drill_system, sleep_until
from tests.drills.traffic import make_grievances

# A drill starts a fleet of processes and waits out a fault: more than a plain test's 300 s on a busy machine.
pytestmark = [pytest.mark.drill, pytest.mark.timeout(900)]

FAULT_AT = 5.0  # seconds into the load


async def test_broker_closes_every_connection(record: Any) -> None:
    async with drill_system("connections_closed") as system:
        grievances = make_grievances(120)

        async def script() -> None:
            # Three times, so that some deliveries and publishes are caught in flight each time.
            for at in (FAULT_AT, FAULT_AT + 5, FAULT_AT + 10):
                await sleep_until(system.clock, at)
                system.clock.marks.setdefault("fault", system.clock.now())
                await system.node.close_all_connections()
            system.clock.mark("heal")

        await under_load(system, grievances, script, rate=6)
        numbers = await system.verdict(grievances, heal="heal")
        numbers.extra["answers_during_close"] = statuses(window(system, grievances))
        system.expect_invariants(numbers)
        await system.expect_queues_drained()
        system.expect(numbers.accepted == numbers.grievances, "grievances were never accepted")
        expect_recovery(system, numbers, "the connections were closed")
    system.conclude(numbers, record)


async def test_broker_stopped_for_ten_seconds(record: Any) -> None:
    async with drill_system("broker_stopped") as system:
        grievances = make_grievances(150)
        exits: list[Exit] = []

        async def script() -> None:
            await sleep_until(system.clock, FAULT_AT)
            await system.node.stop()
            system.clock.mark("fault")
            # A replica told to stop while the broker is away must still stop.
            await asyncio.sleep(2)
            stopping = asyncio.gather(
                terminate_within(system, "router-2"), terminate_within(system, "escalation-2")
            )
            await sleep_until(system.clock, system.clock.marks["fault"] + 10)
            await system.node.start()
            system.clock.mark("heal")
            exits.extend(await stopping)

        await under_load(system, grievances, script, rate=6)
        numbers = await system.verdict(grievances, heal="heal")
        numbers.extra["answers_while_stopped"] = statuses(window(system, grievances))
        numbers.extra["sigterm_while_stopped"] = {e.replica: round(e.seconds, 2) for e in exits}
        system.expect_invariants(numbers)
        await system.expect_queues_drained()
        expect_answers_during_fault(system, grievances)
        expect_sms_spooled(system, grievances)
        expect_recovery(system, numbers, "the broker came back")
    system.conclude(numbers, record)


async def test_broker_killed_and_restarted(record: Any) -> None:
    async with drill_system("broker_killed") as system:
        grievances = make_grievances(120)

        async def script() -> None:
            await sleep_until(system.clock, FAULT_AT)
            await system.node.kill()
            system.clock.mark("fault")
            await system.node.start()
            system.clock.mark("heal")

        await under_load(system, grievances, script, rate=6)
        numbers = await system.verdict(grievances, heal="heal")
        numbers.extra["answers_while_down"] = statuses(window(system, grievances))
        system.expect_invariants(numbers)
        await system.expect_queues_drained()
        expect_answers_during_fault(system, grievances)
        expect_sms_spooled(system, grievances)
        expect_recovery(system, numbers, "the broker came back")
    system.conclude(numbers, record)


@pytest.mark.parametrize("resource", ["memory", "disk"])
async def test_broker_alarm(record: Any, resource: str) -> None:
    async with drill_system(f"{resource}_alarm") as system:
        grievances = make_grievances(120)
        alarm = system.node.memory_alarm if resource == "memory" else system.node.disk_alarm

        async def script() -> None:
            await sleep_until(system.clock, FAULT_AT)
            await alarm(True)
            system.clock.mark("fault")
            await asyncio.sleep(10)
            numbers_alarms = await system.node.alarms()
            system.expect(resource in numbers_alarms, f"the {resource} alarm was not raised")
            await alarm(False)
            system.clock.mark("heal")

        await under_load(system, grievances, script, rate=6)
        numbers = await system.verdict(grievances, heal="heal")
        during = window(system, grievances)
        numbers.extra["answers_during_alarm"] = statuses(during)
        numbers.extra["latency_during_alarm"] = latency_summary(during)
        system.expect_invariants(numbers)
        await system.expect_queues_drained()
        expect_answers_during_fault(system, grievances)
        expect_recovery(system, numbers, "the alarm cleared")
    system.conclude(numbers, record)


async def test_path_to_broker_blackholed_for_twenty_seconds(record: Any) -> None:
    async with drill_system("blackhole", through_proxy=True) as system:
        grievances = make_grievances(170)
        intake = system.fleet["intake-1"]
        not_ready_after: list[float] = []

        async def watch_readiness() -> None:
            while "heal" not in system.clock.marks:
                if await intake.bus_ready(system.session) is False:
                    not_ready_after.append(system.clock.now() - system.clock.marks["fault"])
                    return
                await asyncio.sleep(0.2)

        async def script() -> None:
            assert system.proxy is not None
            await sleep_until(system.clock, FAULT_AT)
            system.proxy.blackhole()
            system.clock.mark("fault")
            watcher = asyncio.create_task(watch_readiness())
            await asyncio.sleep(20)
            system.proxy.restore()
            system.clock.mark("heal")
            await watcher

        await under_load(system, grievances, script, rate=6)
        numbers = await system.verdict(grievances, heal="heal")
        marks = system.clock.marks
        # Once one confirm has timed out, the bus knows the broker does not answer: later requests
        # must not each wait the whole publish timeout again.
        settled = [a for a in window(system, grievances) if a.started >= marks["fault"] + PUBLISH_TIMEOUT + 1]
        summary = latency_summary(settled)
        numbers.extra["answers_during_blackhole"] = statuses(window(system, grievances))
        numbers.extra["latency_after_first_timeout"] = summary
        numbers.extra["intake_not_ready_after_s"] = not_ready_after[0] if not_ready_after else None
        system.expect_invariants(numbers)
        await system.expect_queues_drained()
        expect_answers_during_fault(system, grievances)
        system.expect(
            bool(not_ready_after) and not_ready_after[0] <= PUBLISH_TIMEOUT + 2,
            "intake's /readyz still said the bus was ready "
            + (f"{not_ready_after[0]:.1f} s" if not_ready_after else "all 20 s")
            + " into the blackhole, after its publishes had timed out",
        )
        system.expect(
            bool(summary) and summary["median_s"] <= PUBLISH_TIMEOUT / 2,
            f"requests kept waiting for the publish timeout during the blackhole: {summary}",
        )
        expect_recovery(system, numbers, "the path came back")
    system.conclude(numbers, record)
