"""Drills with hostile or repeated messages: poison on the queues, and a storm of resends.

A message no consumer can read goes to its queue's dead-letter twin at once and holds nothing else
up. The same SMS (MessageSid) or web form (idempotency key) sent many times at once, to two intake
processes, is one case.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import aio_pika
import pytest

from tests.drills.scenarios import under_load
from tests.drills.system import drill_system, sleep_until
from tests.drills.traffic import make_grievances, storm

# A drill starts a fleet of processes and waits out a fault: more than a plain test's 300 s on a busy machine.
pytestmark = [pytest.mark.drill, pytest.mark.timeout(900)]

# (queue, body, type): what a broken producer, a wrong exchange binding or an attacker with broker
# access might put on a queue. None of it parses as the event the queue's consumer takes.
POISON: list[tuple[str, bytes, str | None]] = [
    ("router.grievances", b"\x00\xff\xfe not json at all", "grievance.received"),
    ("router.grievances", b'{"truncated": ', None),
    (
        "router.grievances",
        json.dumps({"type": "grievance.received", "schema_version": 1}).encode(),
        "grievance.received",
    ),
    (
        "router.grievances",
        json.dumps({"id": str(uuid.uuid4()), "text": ["not", "a", "string"]}).encode(),
        "grievance.received",
    ),
    ("router.grievances", b"x" * 200_000, "grievance.received"),
    ("escalation.cases", b"\xde\xad\xbe\xef", "case.assigned"),
    ("intake.outbound", b"[1, 2, 3]", "message.outbound"),
]


async def test_poison_messages_are_dead_lettered_and_hold_nothing_up(record: Any) -> None:
    async with drill_system("poison") as system:
        grievances = make_grievances(100)

        async def script() -> None:
            await sleep_until(system.clock, 4)
            connection = await system.amqp()
            async with connection:
                channel = await connection.channel(publisher_confirms=True)
                for queue, body, kind in POISON:
                    message = aio_pika.Message(
                        body,
                        type=kind,
                        message_id=str(uuid.uuid4()),
                        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    )
                    await channel.default_exchange.publish(message, routing_key=queue, mandatory=True)
            system.clock.mark("fault")

        await under_load(system, grievances, script, rate=6)
        numbers = await system.verdict(grievances)
        system.expect_invariants(numbers)
        system.expect(
            numbers.unavailable == 0, f"{numbers.unavailable} answers of 503 without a broker fault"
        )
        system.expect(numbers.accepted == numbers.grievances, "not every grievance was accepted")
        wanted: dict[str, int] = {}
        for queue, _, _ in POISON:
            wanted[queue + ".dead"] = wanted.get(queue + ".dead", 0) + 1
        await system.expect_queues_drained(dead=wanted)
        for replica in system.fleet.replicas.values():
            system.expect(
                await replica.ready(system.session), f"{replica.replica} is not ready after the poison"
            )
        numbers.extra["poison"] = len(POISON)
    system.conclude(numbers, record)


async def test_duplicate_storm_across_two_intakes(record: Any) -> None:
    async with drill_system("duplicate_storm", intakes=2) as system:
        grievances = make_grievances(30)
        for _ in range(2):  # two waves: the second finds every grievance already published
            await storm(system.sender, system.intakes(), grievances, copies=12)
            await asyncio.sleep(1)
        numbers = await system.verdict(grievances)
        system.expect_invariants(numbers)
        system.expect(
            numbers.ok == numbers.requests,
            f"answers other than 2xx: {numbers.other}, 503: {numbers.unavailable}",
        )
        await system.expect_queues_drained()
        numbers.extra["copies_per_grievance"] = 24
    system.conclude(numbers, record)
