"""Coalesced publishes against the real broker: one write per loop turn, one confirm per message."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import cast

import aiormq
import pytest
from aiormq.exceptions import PublishError as ReturnedError
from pamqp import commands as spec

from shared.coalesced_publish import CoalescingPublisher, missing_internals
from tests.integration.wire import Wire, drain, open_wire, properties

pytestmark = pytest.mark.broker


@pytest.fixture
async def wire(amqp_url: str) -> AsyncIterator[Wire]:
    async with open_wire(amqp_url) as wire:
        yield wire


async def test_publishes_of_one_loop_turn_leave_in_one_write_and_are_each_confirmed(
    wire: Wire, amqp_url: str
) -> None:
    publisher = CoalescingPublisher(timeout=5)
    sent = [(uuid.uuid4().hex, f"event {i}".encode()) for i in range(50)]
    await asyncio.gather(
        *(
            publisher.publish(wire.channel, wire.exchange, "bound", body, properties(mid))
            for mid, body in sent
        )
    )
    assert wire.writes == 1
    # Every message arrived once, in publish order, with its own id.
    assert await drain(amqp_url, wire.queue, len(sent)) == sent
    assert not wire.channel.confirmations and not wire.channel.message_id_delivery_tag


async def test_an_unroutable_message_fails_alone_in_its_batch(wire: Wire, amqp_url: str) -> None:
    publisher = CoalescingPublisher(timeout=5)
    keys = ["bound", "nowhere", "bound"]
    results = await asyncio.gather(
        *(publisher.publish(wire.channel, wire.exchange, key, b"x", properties()) for key in keys),
        return_exceptions=True,
    )
    assert results[0] is None and results[2] is None
    assert isinstance(results[1], ReturnedError)
    assert len(await drain(amqp_url, wire.queue, 2)) == 2


async def test_a_waiter_gone_before_the_write_is_not_published(wire: Wire, amqp_url: str) -> None:
    publisher = CoalescingPublisher(timeout=5)
    gone = asyncio.ensure_future(
        publisher.publish(wire.channel, wire.exchange, "bound", b"gone", properties())
    )
    kept = asyncio.ensure_future(
        publisher.publish(wire.channel, wire.exchange, "bound", b"kept", properties())
    )
    await asyncio.sleep(0)  # both are queued for the next loop turn
    gone.cancel()
    await kept
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert [body for _, body in await drain(amqp_url, wire.queue, 1)] == [b"kept"]


async def test_a_closed_channel_fails_every_waiting_publish(wire: Wire) -> None:
    publisher = CoalescingPublisher(timeout=5)
    # Written but swallowed, so the broker cannot confirm them before the close (it did, at times).
    wire.lost = True
    waiting = [
        asyncio.ensure_future(publisher.publish(wire.channel, wire.exchange, "bound", b"x", properties()))
        for _ in range(3)
    ]
    while not wire.writes:  # noqa: ASYNC110 - the publisher's own write, not an event
        await asyncio.sleep(0)
    wire.lost = False  # the channel's close must get through
    await wire.channel.close()
    results = await asyncio.gather(*waiting, return_exceptions=True)
    assert all(isinstance(result, Exception) for result in results), results
    with pytest.raises(aiormq.exceptions.ChannelInvalidStateError):
        await publisher.publish(wire.channel, wire.exchange, "bound", b"x", properties())


async def test_a_message_without_an_id_is_refused_before_anything_is_sent(wire: Wire) -> None:
    publisher = CoalescingPublisher(timeout=5)
    with pytest.raises(ValueError, match="message_id"):
        await publisher.publish(wire.channel, wire.exchange, "bound", b"x", spec.Basic.Properties())
    assert wire.writes == 0 and wire.channel.delivery_tag == 0


async def test_publishes_the_broker_never_confirms_fail_with_a_timeout(wire: Wire) -> None:
    publisher = CoalescingPublisher(timeout=0.3)
    wire.lost = True
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        results = await asyncio.gather(
            *(publisher.publish(wire.channel, wire.exchange, "bound", b"x", properties()) for _ in range(3)),
            return_exceptions=True,
        )
    finally:
        wire.lost = False  # the connection's own frames (closing it) must get through again
    assert all(isinstance(result, TimeoutError) for result in results)
    assert 0.3 <= loop.time() - started < 2
    assert wire.writes == 1
    assert not wire.channel.message_id_delivery_tag  # nothing waits for a return any more


async def test_late_confirms_of_expired_publishes_are_dropped_quietly(
    wire: Wire, amqp_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """An expired confirmation is cancelled, as aiormq's own publish timeout leaves it: the broker's
    late ack then pops it at DEBUG instead of a "Delivery tag ... was ignored" warning per message."""
    caplog.set_level(logging.DEBUG, logger="aiormq")  # WARNING in every configuration (shared.log)
    publisher = CoalescingPublisher(timeout=0.3)
    wire.held = True
    results = await asyncio.gather(
        *(publisher.publish(wire.channel, wire.exchange, "bound", b"x", properties()) for _ in range(50)),
        return_exceptions=True,
    )
    assert all(isinstance(result, TimeoutError) for result in results)
    assert len(wire.channel.confirmations) == 50  # kept until the broker answers, as aiormq keeps them
    await wire.release()
    await drain(amqp_url, wire.queue, 50)  # the broker took them all, so it has confirmed them all
    for _ in range(100):
        if not wire.channel.confirmations:
            break
        await asyncio.sleep(0.01)
    assert not wire.channel.confirmations and not wire.channel.message_id_delivery_tag
    records = [r for r in caplog.records if r.name.split(".")[0] == "aiormq"]
    assert [r.getMessage() for r in records if r.levelno >= logging.WARNING] == []
    assert sum("was ignored" in r.getMessage() for r in records if r.levelno == logging.DEBUG) == 50


async def test_the_aiormq_internals_it_uses_are_still_there(wire: Wire) -> None:
    """The fence around aiormq's private surface (pinned below 7.3 in pyproject.toml): if an upgrade
    moves any of it, this fails before a publish goes wrong. The bus asks the same question at
    start-up and publishes through aio-pika's public API when the answer is not empty."""
    assert missing_internals(wire.channel) == []


def test_the_check_names_every_internal_a_channel_lacks() -> None:
    """Something that is not an aiormq channel lacks every piece of the surface, each named."""
    lacking = cast(aiormq.Channel, SimpleNamespace(max_content_size=10, _split_body=lambda body: [body]))
    assert missing_internals(lacking) == [
        "Channel.confirmations",
        "Channel.message_id_delivery_tag",
        "Channel.delivery_tag",
        "Channel.number",
        "Channel.is_closed",
        "Channel.lock",
        "Channel.create_future",
        "Channel.write_queue",
        "Channel._split_body",
    ]


async def test_the_check_sees_an_internal_that_changed_kind(wire: Wire) -> None:
    confirmations = wire.channel.confirmations
    wire.channel.confirmations = list(confirmations)  # type: ignore[assignment]  # the change to see
    try:
        assert missing_internals(wire.channel) == ["Channel.confirmations"]
    finally:
        wire.channel.confirmations = confirmations
