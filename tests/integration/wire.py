"""A confirm-mode channel on a fresh exchange bound to one queue, with its writes counted and breakable.

Both publishing paths (shared.amqp_publish) write through the connection's write queue, so the same
wire serves the tests of each.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aio_pika
import aiormq
from aio_pika.abc import AbstractChannel
from pamqp import commands as spec


class Wire:
    """The channel (aio-pika's, and aiormq's underneath) and the names to publish to.

    With ``lost`` set, written frames never reach the broker (a network that swallows them); with
    ``held`` set, they wait until :meth:`release` sends them (a network that stalls, then recovers).
    """

    def __init__(self, robust: AbstractChannel, channel: aiormq.Channel, exchange: str, queue: str) -> None:
        self.robust, self.channel, self.exchange, self.queue = robust, channel, exchange, queue
        self.writes = 0
        self.lost = self.held = False
        self._held: list[Any] = []
        self._put = put = channel.write_queue.put

        async def counting_put(frame: Any) -> None:
            self.writes += 1
            if self.held:
                self._held.append(frame)
            elif not self.lost:
                await put(frame)

        # A counting stand-in for the queue's own put.
        channel.write_queue.put = counting_put  # type: ignore[method-assign,assignment]

    async def release(self) -> None:
        self.held = False
        for frame in self._held:
            await self._put(frame)
        self._held.clear()


@contextlib.asynccontextmanager
async def open_wire(amqp_url: str, *, queue_arguments: dict[str, Any] | None = None) -> AsyncIterator[Wire]:
    """A wire on a fresh exchange (deleted with its connection) and quorum queue (deleted afterwards)."""
    name = f"test-confirms-{uuid.uuid4().hex[:10]}"
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        setup = await connection.channel()
        exchange = await setup.declare_exchange(name, aio_pika.ExchangeType.DIRECT, auto_delete=True)
        arguments = {"x-queue-type": "quorum", **(queue_arguments or {})}
        queue = await setup.declare_queue(name, arguments=arguments, durable=True)
        await queue.bind(exchange, routing_key="bound")
        confirming = await connection.channel(publisher_confirms=True, on_return_raises=True)
        underlay = await confirming.get_underlay_channel()
        assert isinstance(underlay, aiormq.Channel)
        try:
            yield Wire(confirming, underlay, name, name)
        finally:
            await setup.queue_delete(name)


def properties(message_id: str | None = None) -> spec.Basic.Properties:
    return spec.Basic.Properties(message_id=message_id or uuid.uuid4().hex, delivery_mode=2)


async def drain(amqp_url: str, queue_name: str, count: int) -> list[tuple[str, bytes]]:
    """Take exactly ``count`` messages from the queue (ids and bodies, in order); no more are there."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.get_queue(queue_name)
        got = []
        for _ in range(count):
            message = await queue.get(timeout=5)
            await message.ack()
            got.append((message.message_id or "", message.body))
        assert await queue.get(fail=False) is None
        return got
