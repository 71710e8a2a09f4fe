"""Dead letters on RabbitMQ: record why, look without taking, replay what would be taken, discard.

Each queue's dead letters sit in its ``.dead`` twin (design section 5). A consumer's rejection
cannot carry an explanation through RabbitMQ's own dead-lettering (``basic.reject`` takes no
headers), so the bus publishes a copy to the twin with the ``x-grievance-*`` headers
(:func:`rejected_copy`), waits for the broker's confirm, and only then acknowledges the original:
nothing is lost, and if the copy is not confirmed the original is rejected the old way and still
reaches the twin. The delivery limit is left to RabbitMQ, whose ``x-death`` header says so.

Every operation here uses a channel of its own, so an operator's ``grievance dlq`` never shares a
channel with the services' publishing or consuming. A pass takes messages one by one
(``basic.get``) and holds what it does not take unacknowledged until it ends, then gives it back:
so a pass sees each message once, and what it leaves keeps its place.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Collection
from datetime import UTC, datetime
from types import TracebackType

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractQueue, AbstractRobustConnection
from aiormq import spec

from shared import deadletters
from shared.messaging import DEAD_SUFFIX, DeadLetter, Refusal, Replayed, Settlement

PERSISTENT = int(aio_pika.DeliveryMode.PERSISTENT)


def rejected_copy(message: AbstractIncomingMessage, settled: Settlement, queue: str) -> spec.Basic.Properties:
    """The properties of the copy that goes to the twin: the original's, and why it was rejected."""
    headers = dict(message.headers or {})
    headers.update(
        {
            deadletters.REASON: settled.reason or "rejected",
            deadletters.ERROR: settled.error or "",
            deadletters.LETTER_ID: settled.dead_letter_id or "",
            deadletters.QUEUE: queue,
            deadletters.AT: datetime.now(UTC).isoformat(timespec="seconds"),
        }
    )
    return spec.Basic.Properties(
        content_type=message.content_type,
        delivery_mode=PERSISTENT,
        headers=headers,
        message_id=message.message_id,
        correlation_id=message.correlation_id,
        message_type=message.type,
        timestamp=message.timestamp,
    )


def _letter(message: AbstractIncomingMessage) -> DeadLetter:
    return deadletters.from_headers(
        message.headers,
        message_id=message.message_id,
        type_name=message.type,
        correlation_id=message.correlation_id,
        body=message.body,
    )


class _Pass:
    """One pass over a twin; what the pass does not take goes back when it ends."""

    def __init__(self, connection: AbstractRobustConnection, live: str, *, confirms: bool = False) -> None:
        self._connection, self._live, self._confirms = connection, live, confirms
        self._held: list[AbstractIncomingMessage] = []
        self.channel: AbstractChannel | None = None
        self._dead: AbstractQueue | None = None

    async def __aenter__(self) -> _Pass:
        if self._confirms:
            self.channel = await self._connection.channel(publisher_confirms=True, on_return_raises=True)
        else:
            self.channel = await self._connection.channel()
        self._dead = await self.channel.get_queue(self._live + DEAD_SUFFIX)
        return self

    async def messages(self) -> AsyncIterator[AbstractIncomingMessage]:
        assert self._dead is not None
        while (message := await self._dead.get(no_ack=False, fail=False)) is not None:
            yield message

    def keep(self, message: AbstractIncomingMessage) -> None:
        self._held.append(message)

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        assert self.channel is not None
        try:
            for message in self._held:
                await message.nack(requeue=True)
        finally:
            await self.channel.close()  # anything still unacknowledged goes back with the channel


async def peek_dead_letters(connection: AbstractRobustConnection, live: str, limit: int) -> list[DeadLetter]:
    """The first ``limit`` dead letters of queue ``live``, described, and left where they were."""
    letters: list[DeadLetter] = []
    async with _Pass(connection, live) as run:
        async for message in run.messages():
            run.keep(message)
            letters.append(_letter(message))
            if len(letters) >= limit:
                break
    return letters


async def fetch_dead_letter(
    connection: AbstractRobustConnection, live: str, letter_id: str
) -> tuple[DeadLetter, bytes] | None:
    """The first dead letter with this id, and its body, left where it was."""
    async with _Pass(connection, live) as run:
        async for message in run.messages():
            run.keep(message)
            letter = _letter(message)
            if letter.id == letter_id:
                return letter, message.body
    return None


async def replay_dead_letters(
    connection: AbstractRobustConnection,
    live: str,
    queue: str,
    publish_timeout: float,
    limit: int | None,
    *,
    force: bool,
) -> Replayed:
    """Republish dead letters to their own queue only (default exchange), then ack them.

    Without ``force`` a dead letter that the queue's consumer would reject again stays, and the
    answer says why. The copy leaves the ``x-`` headers behind: the next rejection writes its own.
    """
    moved = 0
    refused: list[Refusal] = []
    async with _Pass(connection, live, confirms=True) as run:
        assert run.channel is not None
        async for message in run.messages():
            if limit is not None and moved >= limit:
                run.keep(message)
                break
            why = deadletters.refusal(queue, message.body, message.type)
            if why is not None and not force:
                run.keep(message)
                refused.append(Refusal(_letter(message).id, why))
                continue
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
            try:
                async with asyncio.timeout(publish_timeout):
                    await run.channel.default_exchange.publish(copy, routing_key=live, mandatory=True)
            except BaseException:
                run.keep(message)
                raise
            await message.ack()
            moved += 1
    return Replayed(moved, refused)


async def discard_dead_letters(
    connection: AbstractRobustConnection, live: str, letter_ids: Collection[str] | None
) -> int:
    """Acknowledge (and so remove) the dead letters with these ids, or all of them."""
    wanted = None if letter_ids is None else set(letter_ids)
    gone = 0
    async with _Pass(connection, live) as run:
        async for message in run.messages():
            if wanted is None or _letter(message).id in wanted:
                await message.ack()
                gone += 1
            else:
                run.keep(message)
    return gone
