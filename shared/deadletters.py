"""Dead letters on RabbitMQ: look at them without taking them, and move them back to their queue.

Each queue's dead letters sit in its ``.dead`` twin (design section 5). Both operations use a
channel of their own, so an operator's ``grievance dlq`` never shares a channel with the services'
publishing or consuming.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aio_pika
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection

from shared.messaging import DEAD_SUFFIX, DeadLetter


async def peek_dead_letters(connection: AbstractRobustConnection, live: str, limit: int) -> list[DeadLetter]:
    """The first ``limit`` dead letters of queue ``live``, described, and left where they were."""
    channel = await connection.channel()
    try:
        dead = await channel.get_queue(live + DEAD_SUFFIX)
        held: list[AbstractIncomingMessage] = []
        while len(held) < limit and (message := await dead.get(no_ack=False, fail=False)) is not None:
            held.append(message)
        letters = [DeadLetter(m.message_id, m.type, len(m.body), _death_reason(m.headers)) for m in held]
        for message in held:
            await message.nack(requeue=True)
        return letters
    finally:
        await channel.close()


async def replay_dead_letters(
    connection: AbstractRobustConnection, live: str, publish_timeout: float, limit: int | None
) -> int:
    """Republish dead letters to their own queue only (default exchange), then ack them."""
    channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
    moved = 0
    try:
        dead = await channel.get_queue(live + DEAD_SUFFIX)
        while limit is None or moved < limit:
            message = await dead.get(no_ack=False, fail=False)
            if message is None:
                break
            headers = {k: v for k, v in (message.headers or {}).items() if not k.startswith("x-")}
            copy = aio_pika.Message(
                body=message.body,
                message_id=message.message_id,
                correlation_id=message.correlation_id,
                type=message.type,
                content_type=message.content_type,
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                timestamp=message.timestamp,
                headers=headers,
            )
            async with asyncio.timeout(publish_timeout):
                await channel.default_exchange.publish(copy, routing_key=live, mandatory=True)
            await message.ack()
            moved += 1
    finally:
        await channel.close()
    return moved


def _death_reason(headers: Any) -> str | None:
    deaths = (headers or {}).get("x-death")
    if isinstance(deaths, list) and deaths and isinstance(deaths[0], dict):
        reason = deaths[0].get("reason")
        return reason.decode() if isinstance(reason, bytes) else str(reason) if reason else None
    return None
