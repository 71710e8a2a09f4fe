"""Drills that end service processes under load: a router and an escalation replica killed with
SIGKILL, and every service told to stop with SIGTERM.

A killed consumer's unacknowledged deliveries come again to the other replica; a sweeper killed
between opening escalations and publishing them leaves outboxes that a sweeper publishes once
their lease ran out. Either way nothing is lost and nothing happens twice.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter, defaultdict
from typing import Any

import aio_pika
import pytest

from shared.auth import issue_token
from tests.drills.scenarios import SIGTERM_BOUND, terminate_within, under_load
from tests.drills.system import DrillSystem, drill_system, sleep_until
from tests.drills.traffic import Grievance, make_grievances

# A drill starts a fleet of processes and waits out a fault: more than a plain test's 300 s on a busy machine.
pytestmark = [pytest.mark.drill, pytest.mark.timeout(900)]


async def test_router_killed_mid_load(record: Any) -> None:
    async with drill_system("router_killed") as system:
        grievances = make_grievances(150)
        router = system.fleet["router-1"]

        async def script() -> None:
            await sleep_until(system.clock, 6)
            await router.kill()
            system.clock.mark("fault")
            system.clock.mark("heal")  # recovery: until the killed replica's deliveries are cases
            await asyncio.sleep(4)
            await router.restart(system.session)

        await under_load(system, grievances, script, rate=6)
        numbers = await system.verdict(grievances, heal="heal")
        system.expect_invariants(numbers)
        system.expect(
            numbers.unavailable == 0, f"{numbers.unavailable} answers of 503: intake was not at fault"
        )
        system.expect(numbers.accepted == numbers.grievances, "not every grievance was accepted")
        await system.expect_queues_drained()
    system.conclude(numbers, record)


# Every acknowledgement due ten seconds after the grievance arrived: the cases go overdue while the
# drill runs (resolution deadlines stay far away).
SHORT_SLA = {
    severity: {"ack": "PT10S", "resolve": resolve}
    for severity, resolve in (("critical", "P3D"), ("high", "P7D"), ("normal", "P15D"))
}
# How long the opener of an escalation has before another sweeper publishes it
# (services/escalation/outbox.py OUTBOX_LEASE), plus two sweeps and a margin.
OUTBOX_LEASE = 60.0
ESCALATION_WAIT = OUTBOX_LEASE + 15.0
# An acknowledgement this long before the deadline must stop the escalation (clocks of one machine).
ACK_MARGIN = 1.0


async def acknowledge(system: DrillSystem, grievance: Grievance, acknowledged: dict[str, float]) -> None:
    """The committee acknowledges the grievance's case as soon as it exists (committee API)."""
    deadline = system.clock.now() + 20
    while not grievance.accepted:
        if system.clock.now() > deadline:
            return
        await asyncio.sleep(0.05)
    reference = next(iter(grievance.references))
    headers = {"Authorization": f"Bearer {system.token}"}
    while system.clock.now() < deadline:
        async with system.session.post(
            f"{system.router_url}/api/v1/cases/{reference}/acknowledge", headers=headers
        ) as response:
            if response.status == 200:
                acknowledged[reference] = time.time()
                return
        await asyncio.sleep(0.2)  # 404 until the router has made the case


async def test_escalation_replica_killed_mid_sweep(record: Any) -> None:
    environment = {"GRIEVANCE_SLA": json.dumps(SHORT_SLA), "GRIEVANCE_SWEEP_INTERVAL": "2"}
    async with drill_system("escalation_killed", environment=environment) as system:
        ngo_token, _ = await issue_token(system.db, "ngo", label="drill")
        connection = await system.amqp()
        channel = await connection.channel()
        exchange = await channel.declare_exchange("grievances", aio_pika.ExchangeType.TOPIC, durable=True)
        counted = await channel.declare_queue("drill.escalated", durable=True)
        await counted.bind(exchange, routing_key="case.escalated.v1")

        grievances = make_grievances(100, channels=("web",))
        acknowledged: dict[str, float] = {}  # reference -> when the committee's acknowledgement was answered
        victim = system.fleet["escalation-1"]
        pending_at_kill: list[int] = []

        def opened_by_victim() -> bool:
            return '"escalation_opened"' in victim.log_file.read_text(encoding="utf-8", errors="replace")

        async def script() -> None:
            acks = asyncio.gather(*(acknowledge(system, g, acknowledged) for g in grievances[::4]))
            # The sweeper writes one line per escalation it opened, then publishes them one by one:
            # killed at its first line, it dies with escalations opened and not yet published.
            while not opened_by_victim():
                if system.clock.now() > 40:
                    system.expect(False, "escalation-1 opened no escalation within 40 s")
                    break
                await asyncio.sleep(0.02)
            else:
                await victim.kill()
                system.clock.mark("fault")
                pending_at_kill.append(await system.db["escalations"].count_documents({"outbox": "pending"}))
                await asyncio.sleep(2)
                await victim.restart(system.session)
            await acks

        await under_load(system, grievances, script, rate=12)
        numbers = await system.verdict(grievances)
        system.expect_invariants(numbers)
        system.expect(numbers.accepted == numbers.grievances, "not every grievance was accepted")

        cases = [doc async for doc in system.db["cases"].find({}, {"reference": 1, "ack_due_at": 1})]
        in_time = {
            doc["_id"]
            for doc in cases
            if doc["reference"] in acknowledged
            and acknowledged[doc["reference"]] < doc["ack_due_at"].timestamp() - ACK_MARGIN
        }
        late = {doc["_id"] for doc in cases if doc["reference"] in acknowledged} - in_time
        must = {(doc["_id"], "ack_overdue") for doc in cases if doc["_id"] not in in_time | late}
        may = must | {(case_id, "ack_overdue") for case_id in late}

        started = system.clock.now()
        while system.clock.now() - started < ESCALATION_WAIT:
            escalated = await system.db["escalations"].count_documents({"outbox": "published"})
            if escalated >= len(must):
                break
            await asyncio.sleep(1)
        published_after_kill = system.clock.now() - system.clock.marks.get("fault", started)
        await asyncio.sleep(3)  # a late second publish would arrive now

        escalations = [
            d async for d in system.db["escalations"].find({}, {"case_id": 1, "reason": 1, "outbox": 1})
        ]
        pairs = Counter((d["case_id"], d["reason"]) for d in escalations)
        ids_by_pair: dict[tuple[str, str], set[str]] = defaultdict(set)
        deliveries = 0
        while (message := await counted.get(no_ack=True, fail=False)) is not None:
            body = json.loads(message.body)
            ids_by_pair[(body["case_id"], body["reason"])].add(str(message.message_id))
            deliveries += 1
        await connection.close()
        listed = await ngo_total(system, ngo_token)

        unpublished = sum(1 for d in escalations if d.get("outbox") != "published")
        numbers.recovery = round(published_after_kill, 1)
        numbers.extra.update(
            {
                "cases": len(cases),
                "acknowledged_in_time": len(in_time),
                "acknowledged_late": len(late),
                "escalations": len(escalations),
                "pending_at_kill": pending_at_kill[0] if pending_at_kill else None,
                "unpublished": unpublished,
                "case_escalated_events": len(ids_by_pair),
                "case_escalated_deliveries": deliveries,
                "ngo_api_total": listed,
                "all_published_s_after_kill": round(published_after_kill, 1),
            }
        )
        system.expect("fault" in system.clock.marks, "escalation-1 was never killed")
        system.expect(all(n == 1 for n in pairs.values()), "a (case, reason) was escalated twice")
        system.expect(
            must <= set(pairs) <= may,
            f"{len(must - set(pairs))} overdue case(s) not escalated, "
            f"{len(set(pairs) - may)} escalated although acknowledged in time",
        )
        system.expect(
            unpublished == 0, f"{unpublished} escalation(s) unpublished {ESCALATION_WAIT:.0f} s later"
        )
        system.expect(
            set(ids_by_pair) == set(pairs),
            f"case.escalated announced {len(ids_by_pair)} (case, reason) pairs for {len(pairs)} escalations",
        )
        system.expect(
            all(len(ids) == 1 for ids in ids_by_pair.values()),
            "a (case, reason) was announced under two event ids",
        )
        system.expect(
            listed == len(escalations), f"the NGO API lists {listed} of {len(escalations)} escalations"
        )
        await system.expect_queues_drained()
    system.conclude(numbers, record)


async def ngo_total(system: DrillSystem, token: str) -> int | None:
    """How many escalations the NGO API says there are (None if it does not answer)."""
    url = f"{system.fleet['escalation-2'].url}/api/v1/escalations"
    async with system.session.get(
        url, params={"per_page": "1"}, headers={"Authorization": f"Bearer {token}"}
    ) as response:
        if response.status != 200:
            return None
        total: int = (await response.json())["total"]
        return total


async def test_every_service_stopped_with_sigterm_under_load(record: Any) -> None:
    async with drill_system("sigterm", intakes=2) as system:
        grievances = make_grievances(180)
        exits = []

        async def script() -> None:
            for index, replica in enumerate(("intake-1", "router-1", "escalation-1")):
                await sleep_until(system.clock, 4 + 8 * index)
                exits.append(await terminate_within(system, replica, SIGTERM_BOUND))
                await system.fleet[replica].restart(system.session)

        await under_load(system, grievances, script, rate=6)
        numbers = await system.verdict(grievances)
        numbers.extra["sigterm_exit_s"] = {e.replica: round(e.seconds, 2) for e in exits}
        system.expect_invariants(numbers)
        system.expect(numbers.unavailable == 0, f"{numbers.unavailable} answers of 503: the broker was fine")
        system.expect(numbers.accepted == numbers.grievances, "not every grievance was accepted")
        await system.expect_queues_drained()
    system.conclude(numbers, record)
