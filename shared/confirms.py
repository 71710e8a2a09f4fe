"""Confirmed publishes, coalesced: what arrives in one turn of the event loop leaves in one write.

Under load, intake publishes dozens of events at once, and aiormq's ``basic_publish`` pays for each on
its own: the channel lock, a trip through the connection's write queue, a wake-up of its writer
task and a socket write. Here the publishes of one loop turn are collected and written as one frame
batch under one lock. Nothing else is shared: every message still gets its own delivery tag and its
own confirm, so a nack or a return fails only its own publish, and a closed channel fails every
publish still waiting (the confirms are futures of the channel, which rejects them when it closes).

The bookkeeping is aiormq's own, done the way ``Channel.basic_publish`` does it (aiormq is pinned in
``constraints.txt``; the broker tests cover confirms, returns, timeouts and a connection killed
with publishes in flight).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import aiormq
from aiormq.abc import ChannelFrame
from aiormq.exceptions import ChannelInvalidStateError
from pamqp import commands as spec
from pamqp.header import ContentHeader


@dataclass(slots=True)
class _Pending:
    exchange: str
    routing_key: str
    body: bytes
    properties: spec.Basic.Properties
    confirmation: asyncio.Future[object]


class CoalescingPublisher:
    """Publishes with ``mandatory`` on confirm-mode aiormq channels, batched per loop turn."""

    def __init__(self) -> None:
        self._pending: dict[aiormq.Channel, list[_Pending]] = {}
        self._flushes: set[asyncio.Task[None]] = set()  # the loop keeps only weak references

    async def publish(
        self,
        channel: aiormq.Channel,
        exchange: str,
        routing_key: str,
        body: bytes,
        properties: spec.Basic.Properties,
    ) -> None:
        """Return when the broker confirmed; raise what aiormq raises (bound it with ``asyncio.timeout``).

        ``properties.message_id`` must be set and unique: a returned message is matched by it.
        """
        if channel.is_closed:
            raise ChannelInvalidStateError("channel closed")
        confirmation = channel.create_future()
        batch = self._pending.get(channel)
        if batch is None:
            batch = self._pending[channel] = []
            # A task's first step runs in the next loop turn, after every publish of this one.
            flush = asyncio.get_running_loop().create_task(self._flush(channel))
            self._flushes.add(flush)
            flush.add_done_callback(self._flushes.discard)
        batch.append(_Pending(exchange, routing_key, body, properties, confirmation))
        await confirmation

    async def _flush(self, channel: aiormq.Channel) -> None:
        batch = [item for item in self._pending.pop(channel, []) if not item.confirmation.done()]
        if not batch:
            return
        try:
            async with channel.lock:
                await self._write(channel, batch)
        except BaseException as exc:
            failure = exc if isinstance(exc, Exception) else ChannelInvalidStateError("publish abandoned")
            for item in batch:
                if not item.confirmation.done():
                    item.confirmation.set_exception(failure)
            if not isinstance(exc, Exception):
                raise

    @staticmethod
    async def _write(channel: aiormq.Channel, batch: list[_Pending]) -> None:
        """Tag, track and write the batch; called under the channel lock, so the tags are ours alone."""
        frames: list[Any] = []
        before = channel.delivery_tag
        try:
            for item in batch:
                channel.delivery_tag += 1
                _track(channel, channel.delivery_tag, item)
                publish = spec.Basic.Publish(
                    exchange=item.exchange, routing_key=item.routing_key, mandatory=True
                )
                frames += (publish, ContentHeader(properties=item.properties, body_size=len(item.body)))
                frames += channel._split_body(item.body)  # aiormq's own frame sizing
            await channel.write_queue.put(ChannelFrame.marshall(frames=frames, channel_number=channel.number))
        except BaseException:
            # Nothing of this batch reached the writer: give the tags back while the lock is held.
            for tag in range(before + 1, channel.delivery_tag + 1):
                channel.confirmations.pop(tag, None)
            channel.delivery_tag = before
            raise


def _track(channel: aiormq.Channel, tag: int, item: _Pending) -> None:
    """Register the confirm as ``basic_publish`` does: by delivery tag, and by message id for returns."""
    message_id = item.properties.message_id
    if not message_id:
        raise ValueError("a returned message is matched to its publish by message_id; set one")
    channel.confirmations[tag] = item.confirmation
    channel.message_id_delivery_tag[message_id] = tag

    def forget(_: asyncio.Future[object]) -> None:
        if channel.message_id_delivery_tag.get(message_id) == tag:
            channel.message_id_delivery_tag.pop(message_id)

    item.confirmation.add_done_callback(forget)
