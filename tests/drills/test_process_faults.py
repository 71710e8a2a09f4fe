"""Drills that end service processes under load: a router and an escalation replica killed with
SIGKILL, and every service told to stop with SIGTERM.

A killed consumer's unacknowledged deliveries come again to the other replica; a sweeper killed
between opening escalations and publishing them leaves outboxes that a sweeper publishes once
their lease ran out. Either way nothing is lost and nothing happens twice.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter, defaultdict

import aio_pika
import pytest

from tests.drills.scenarios import SIGTERM_BOUND, terminate_within, under_load
from tests.drills.system import drill_system, sleep_until
from tests.drills.traffic import make_grievances

pytestmark = pytest.mark.drill


async def test_router_killed_mid_load(record):
    async with drill_system("router_killed") as system:
        grievances = make_grievances(200)
        router = system.fleet["router-1"]

        async def script() -> None:
            await sleep_until(system.clock, 6)
            await router.kill()
            system.clock.mark("fault")
            system.clock.mark("heal")  # recovery: until the killed replica's deliveries are cases
            await asyncio.sleep(4)
            await router.restart(system.session)

        await under_load(system, grievances, script, rate=10)
        numbers = await system.verdict(grievances, heal="heal")
        system.expect_invariants(numbers)
        system.expect(
            numbers.unavailable == 0, f"{numbers.unavailable} answers of 503: intake was not at fault"
        )
        system.expect(numbers.accepted == numbers.grievances, "not every grievance was accepted")
        await system.expect_queues_drained()
    system.expect_clean_logs(report := system.read_logs())
    numbers.extra["warnings"] = dict(report.warnings)
    record(numbers)
    assert not system.failures, "\n".join(system.failures)


# Every acknowledgement due six seconds after the grievance arrived: the cases go overdue while the drill runs.
SHORT_SLA = {
    severity: {"ack": "PT6S", "resolve": resolve}
    for severity, resolve in (("critical", "P3D"), ("high", "P7D"), ("normal", "P15D"))
}
# How long the opener of an escalation has before another sweeper publishes it
# (services/escalation/escalate.py OUTBOX_LEASE), plus two sweeps and a margin.
OUTBOX_LEASE = 60.0
ESCALATION_WAIT = OUTBOX_LEASE + 15.0


async def test_escalation_replica_killed_mid_sweep(record):
    environment = {"GRIEVANCE_SLA": json.dumps(SHORT_SLA), "GRIEVANCE_SWEEP_INTERVAL": "2"}
    async with drill_system("escalation_killed", environment=environment) as system:
        connection = await system.amqp()
        channel = await connection.channel()
        exchange = await channel.declare_exchange("grievances", aio_pika.ExchangeType.TOPIC, durable=True)
        counted = await channel.declare_queue("drill.escalated", durable=True)
        await counted.bind(exchange, routing_key="case.escalated.v1")

        grievances = make_grievances(150, channels=("web",))
        victim = system.fleet["escalation-1"]

        async def opened_by_victim() -> bool:
            return '"escalation_opened"' in victim.log_file.read_text(encoding="utf-8", errors="replace")

        async def script() -> None:
            # The sweeper writes one line per escalation it opened, then publishes them one by one:
            # killed at its first line, it dies with escalations opened and not yet published.
            while not await opened_by_victim():
                if system.clock.now() > 40:
                    system.expect(False, "escalation-1 opened no escalation within 40 s")
                    return
                await asyncio.sleep(0.02)
            await victim.kill()
            system.clock.mark("fault")
            await asyncio.sleep(2)
            await victim.restart(system.session)

        await under_load(system, grievances, script, rate=50)
        numbers = await system.verdict(grievances)
        system.expect_invariants(numbers)
        system.expect(numbers.accepted == numbers.grievances, "not every grievance was accepted")

        cases = [doc["_id"] async for doc in system.db["cases"].find({}, {"_id": 1})]

        async def escalated_and_published() -> int:
            published = await system.db["escalations"].count_documents({"outbox": "published"})
            return int(published)

        waited_from = system.clock.now()
        while system.clock.now() - waited_from < ESCALATION_WAIT:
            if await escalated_and_published() >= len(cases):
                break
            await asyncio.sleep(1)
        all_published_after = system.clock.now() - system.clock.marks.get("fault", 0.0)
        await asyncio.sleep(3)  # a late duplicate publish would arrive now

        escalations = [
            doc async for doc in system.db["escalations"].find({}, {"case_id": 1, "reason": 1, "outbox": 1})
        ]
        pairs = Counter((doc["case_id"], doc["reason"]) for doc in escalations)
        ids_by_pair: dict[tuple[str, str], set[str]] = defaultdict(set)
        deliveries = 0
        while (message := await counted.get(no_ack=True, fail=False)) is not None:
            body = json.loads(message.body)
            ids_by_pair[(body["case_id"], body["reason"])].add(str(message.message_id))
            deliveries += 1
        await connection.close()

        expected = {(case_id, "ack_overdue") for case_id in cases}
        numbers.extra.update(
            {
                "cases": len(cases),
                "escalations": len(escalations),
                "escalations_published": sum(1 for d in escalations if d.get("outbox") == "published"),
                "case_escalated_events": len(ids_by_pair),
                "case_escalated_deliveries": deliveries,
                "all_published_s_after_kill": round(all_published_after, 1),
            }
        )
        numbers.recovery = round(all_published_after, 1)
        system.expect("fault" in system.clock.marks, "escalation-1 was never killed")
        system.expect(set(pairs) == expected, f"escalations {len(pairs)} for {len(expected)} overdue cases")
        system.expect(all(n == 1 for n in pairs.values()), "a (case, reason) was escalated twice")
        system.expect(
            numbers.extra["escalations_published"] == len(escalations),
            f"{len(escalations) - numbers.extra['escalations_published']} escalation(s) still unpublished "
            f"{ESCALATION_WAIT:.0f} s later",
        )
        system.expect(
            set(ids_by_pair) == expected,
            f"case.escalated announced {len(ids_by_pair)} (case, reason) pairs for {len(expected)} escalations",
        )
        system.expect(
            all(len(ids) == 1 for ids in ids_by_pair.values()),
            "a (case, reason) was announced under two event ids",
        )
        await system.expect_queues_drained()
    system.expect_clean_logs(report := system.read_logs())
    numbers.extra["warnings"] = dict(report.warnings)
    record(numbers)
    assert not system.failures, "\n".join(system.failures)


async def test_every_service_stopped_with_sigterm_under_load(record):
    async with drill_system("sigterm", intakes=2) as system:
        grievances = make_grievances(300)
        exits = []

        async def script() -> None:
            for index, replica in enumerate(("intake-1", "router-1", "escalation-1")):
                await sleep_until(system.clock, 4 + 8 * index)
                exits.append(await terminate_within(system, replica, SIGTERM_BOUND))
                await system.fleet[replica].restart(system.session)

        await under_load(system, grievances, script, rate=10)
        numbers = await system.verdict(grievances)
        numbers.extra["sigterm_exit_s"] = {e.replica: round(e.seconds, 2) for e in exits}
        system.expect_invariants(numbers)
        system.expect(numbers.unavailable == 0, f"{numbers.unavailable} answers of 503: the broker was fine")
        system.expect(numbers.accepted == numbers.grievances, "not every grievance was accepted")
        await system.expect_queues_drained()
    system.expect_clean_logs(report := system.read_logs())
    numbers.extra["warnings"] = dict(report.warnings)
    record(numbers)
    assert not system.failures, "\n".join(system.failures)
