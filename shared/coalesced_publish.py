"""Confirmed publishes, coalesced: what arrives in one turn of the event loop leaves in one write.

Under load, intake publishes dozens of events at once, and aiormq's ``basic_publish`` pays for each on
its own: the channel lock, a trip through the connection's write queue, a wake-up of its writer
task and a socket write. Here the publishes of one loop turn are collected and written as one frame
batch under one lock. Nothing else is shared: every message still gets its own delivery tag and its
own confirm, so a nack or a return fails only its own publish, and a closed channel fails every
publish still waiting (the confirms are futures of the channel, which rejects them when it closes).
The deadline is per batch too: one timer from the batch's first publish fails whatever the broker
has not confirmed when it expires, instead of a timer per publish.

An expired confirmation is cancelled, as aiormq's own ``basic_publish`` leaves one behind when its
timeout cancels the wait: the future stays in the channel's ``confirmations`` until the broker's
late ack pops it, and aiormq logs a late ack of a cancelled confirmation at DEBUG. A confirmation
failed with an exception instead would make aiormq warn "Delivery tag ... was ignored" once per
message when the broker catches up: hundreds of lines for one outage. Dropping the expired
confirmations from ``confirmations`` would be worse: a late ack for a tag it no longer knows is an
"Unexpected confirmation frame" error in aiormq.

The bookkeeping is aiormq's own, done the way ``Channel.basic_publish`` does it, and that surface is
private: aiormq and pamqp are upper-bounded in ``pyproject.toml``, and :func:`missing_internals`
names whatever of it a channel lacks. The bus asks it once per connection and publishes through
aio-pika's public API instead when anything is missing (:mod:`shared.amqp_publish`); the fence test
asks it too, so an upgrade that moves any of it fails loudly there first. The broker tests cover
confirms, returns, timeouts and a connection killed with publishes in flight.
"""

from __future__ import annotations

import asyncio
import inspect
from dataclasses import dataclass
from functools import lru_cache

import aiormq
import aiormq.abc
from aiormq.exceptions import ChannelInvalidStateError
from pamqp import commands as spec
from pamqp.body import ContentBody
from pamqp.frame import marshal
from pamqp.header import ContentHeader


@dataclass(slots=True)
class _Pending:
    exchange: str
    routing_key: str
    body: bytes
    properties: spec.Basic.Properties
    mandatory: bool
    confirmation: asyncio.Future[object]
    tag: int = 0  # the delivery tag, once written
    expired: bool = False  # the deadline cancelled the confirmation


@dataclass(slots=True)
class _Batch:
    items: list[_Pending]
    deadline: asyncio.TimerHandle  # fails what is unconfirmed when it fires (see _expire)
    waiting: int = 0


class CoalescingPublisher:
    """Publishes (``mandatory`` unless told otherwise) on confirm-mode aiormq channels, batched per loop turn.

    A publish the broker has not confirmed within ``timeout`` seconds fails with ``TimeoutError``.
    """

    def __init__(self, timeout: float) -> None:
        self._timeout = timeout
        self._pending: dict[aiormq.Channel, _Batch] = {}
        self._flushes: set[asyncio.Task[None]] = set()  # the loop keeps only weak references

    async def publish(
        self,
        channel: aiormq.Channel,
        exchange: str,
        routing_key: str,
        body: bytes,
        properties: spec.Basic.Properties,
        *,
        mandatory: bool = True,
    ) -> None:
        """Return when the broker confirmed; raise what aiormq raises, or ``TimeoutError``.

        ``properties.message_id`` must be set and unique: a returned message is matched by it.
        Without ``mandatory`` an unroutable message is dropped by the broker and still confirmed.
        """
        if channel.is_closed:
            raise ChannelInvalidStateError("channel closed")
        confirmation = channel.create_future()
        batch = self._pending.get(channel)
        if batch is None:
            loop = asyncio.get_running_loop()
            items: list[_Pending] = []
            batch = self._pending[channel] = _Batch(items, loop.call_later(self._timeout, _expire, items))
            # A task's first step runs in the next loop turn, after every publish of this one.
            flush = loop.create_task(self._flush(channel))
            self._flushes.add(flush)
            flush.add_done_callback(self._flushes.discard)
        pending = _Pending(exchange, routing_key, body, properties, mandatory, confirmation)
        batch.items.append(pending)
        batch.waiting += 1
        try:
            await confirmation
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise  # the caller is being cancelled
            if pending.expired:
                raise TimeoutError("the broker did not confirm in time") from None
            if not confirmation.cancelled():
                # aiormq closes a channel with CancelledError as its default reason and fails the
                # waiting confirmations with it; to the caller that is a closed channel, not a
                # cancellation (aiormq's own basic_publish turns it into the close reason too).
                raise ChannelInvalidStateError("the channel closed before the broker confirmed") from None
            raise
        finally:
            _forget(channel, pending)
            batch.waiting -= 1
            # Once flushed, a batch takes no more publishes: the last one settled ends its deadline,
            # which would otherwise keep the batch alive until it fires.
            if not batch.waiting and self._pending.get(channel) is not batch:
                batch.deadline.cancel()

    async def _flush(self, channel: aiormq.Channel) -> None:
        pending = self._pending.pop(channel)
        batch = [item for item in pending.items if not item.confirmation.done()]
        if not batch:
            pending.deadline.cancel()  # every waiter is gone already
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
        frames: list[bytes] = []
        before = channel.delivery_tag
        number = channel.number
        try:
            for item in batch:
                channel.delivery_tag += 1
                _track(channel, channel.delivery_tag, item)
                frames.append(_publish_method(number, item.exchange, item.routing_key, item.mandatory))
                header = ContentHeader(properties=item.properties, body_size=len(item.body))
                frames.append(marshal(header, number))
                bodies = channel._split_body(item.body)  # aiormq's own frame sizing
                frames += [marshal(body, number) for body in bodies]
            # Looked up here, not imported: a release without it must not stop the module importing.
            frame = aiormq.abc.ChannelFrame(payload=b"".join(frames), should_close=False)
            await channel.write_queue.put(frame)
        except BaseException:
            # Nothing of this batch reached the writer: give the tags back while the lock is held.
            for tag in range(before + 1, channel.delivery_tag + 1):
                channel.confirmations.pop(tag, None)
            channel.delivery_tag = before
            raise


# aiormq's _confirm_delivery, which drops a late confirm of a cancelled confirmation at DEBUG.
_QUIET_LATE_CONFIRM = "logging.DEBUG if confirmation.cancelled()"


def missing_internals(channel: aiormq.Channel) -> list[str]:
    """What of aiormq's private surface this module uses is missing or changed on ``channel``.

    Every attribute :class:`CoalescingPublisher` touches is checked, by kind and, for the frame
    splitting, by what it returns; an empty list means all of it is as this module expects.
    """
    missing = []
    for name, kind in (
        ("confirmations", dict),
        ("message_id_delivery_tag", dict),
        ("delivery_tag", int),
        ("number", int),
        ("is_closed", bool),
    ):
        if not isinstance(getattr(channel, name, None), kind):
            missing.append(f"Channel.{name}")
    for name in ("lock", "create_future"):
        if not hasattr(type(channel), name):
            missing.append(f"Channel.{name}")
    write_queue = getattr(channel, "write_queue", None)
    connection_queue = getattr(getattr(channel, "connection", None), "write_queue", None)
    if write_queue is None or write_queue is not connection_queue or not hasattr(write_queue, "put"):
        missing.append("Channel.write_queue")
    if not _splits_as_expected(channel):
        missing.append("Channel._split_body")
    try:
        aiormq.abc.ChannelFrame(payload=b"", should_close=False)
    except (AttributeError, TypeError):
        missing.append("aiormq.abc.ChannelFrame")
    try:
        source = inspect.getsource(aiormq.Channel._confirm_delivery)
    except (AttributeError, OSError, TypeError):
        source = ""
    if _QUIET_LATE_CONFIRM not in source:
        missing.append("Channel._confirm_delivery")
    return missing


def _splits_as_expected(channel: aiormq.Channel) -> bool:
    """``_split_body`` cuts a body into ``ContentBody`` frames of ``max_content_size`` bytes."""
    size = getattr(channel, "max_content_size", None)
    split = getattr(channel, "_split_body", None)
    if not isinstance(size, int) or size < 1 or not callable(split):
        return False
    try:
        parts, empty = split(b"x" * (size + 1)), split(b"")
    except Exception:
        return False
    return (
        empty == []
        and [type(part) for part in parts] == [ContentBody, ContentBody]
        and [len(part.value) for part in parts] == [size, 1]
    )


def _track(channel: aiormq.Channel, tag: int, item: _Pending) -> None:
    """Register the confirm as ``basic_publish`` does: by delivery tag, and by message id for returns."""
    if not item.properties.message_id:
        raise ValueError("a returned message is matched to its publish by message_id; set one")
    item.tag = tag
    channel.confirmations[tag] = item.confirmation
    channel.message_id_delivery_tag[item.properties.message_id] = tag


def _forget(channel: aiormq.Channel, item: _Pending) -> None:
    """Once its publish is settled, a message id no longer matches returns (done inline, not as a callback)."""
    message_id = item.properties.message_id
    if message_id and item.tag and channel.message_id_delivery_tag.get(message_id) == item.tag:
        del channel.message_id_delivery_tag[message_id]


def _expire(items: list[_Pending]) -> None:
    """Cancel what is unconfirmed; each waiter turns that into its ``TimeoutError`` (module docstring)."""
    for item in items:
        if not item.confirmation.done():
            item.expired = True
            item.confirmation.cancel()


@lru_cache(maxsize=64)
def _publish_method(channel_number: int, exchange: str, routing_key: str, mandatory: bool) -> bytes:
    """The Basic.Publish frame: the same bytes for every message to one route, so encoded once."""
    return marshal(
        spec.Basic.Publish(exchange=exchange, routing_key=routing_key, mandatory=mandatory), channel_number
    )
