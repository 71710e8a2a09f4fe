"""Both ways the bus publishes, against the real broker: one contract, and the choice at start-up.

The coalesced path (aiormq's internals) and the public one (aio-pika's ``Exchange.publish``) must
be interchangeable: the same confirms, the same errors for a return, a nack, a timeout and a closed
channel, the same message on the wire.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aio_pika
import aiormq
import pytest
from aiormq.exceptions import ChannelInvalidStateError, DeliveryError
from aiormq.exceptions import PublishError as ReturnedError
from pamqp import commands as spec
from structlog.testing import capture_logs

from shared import coalesced_publish
from shared.amqp_publish import ConfirmedPublisher, PathName, open_publisher
from tests.integration.wire import Wire, drain, open_wire, properties

pytestmark = pytest.mark.broker

PATHS: list[PathName] = ["coalesced", "public"]


@pytest.fixture
async def wire(amqp_url: str) -> AsyncIterator[Wire]:
    async with open_wire(amqp_url) as wire:
        yield wire


async def publisher_on(wire: Wire, path: PathName, confirm_within: float = 5) -> ConfirmedPublisher:
    publisher = await open_publisher(wire.robust, confirm_within, coalesce=path == "coalesced")
    assert publisher.path == path
    return publisher


@pytest.mark.parametrize("path", PATHS)
async def test_publishes_are_confirmed_and_arrive_once_in_order(
    wire: Wire, amqp_url: str, path: PathName
) -> None:
    publisher = await publisher_on(wire, path)
    sent = [(uuid.uuid4().hex, f"event {i}".encode()) for i in range(20)]
    for mid, body in sent:
        await publisher.publish(wire.exchange, "bound", body, properties(mid))
    assert await drain(amqp_url, wire.queue, len(sent)) == sent
    assert not wire.channel.confirmations and not wire.channel.message_id_delivery_tag


async def test_both_paths_put_the_same_message_on_the_wire(wire: Wire, amqp_url: str) -> None:
    sent = spec.Basic.Properties(
        content_type="application/json",
        delivery_mode=2,
        priority=0,
        headers={"schema_version": 1, "x-reason": "测试"},
        message_id=uuid.uuid4().hex,
        correlation_id=str(uuid.uuid4()),
        message_type="grievance.received",
        timestamp=datetime(2026, 12, 1, 8, 30, 15, tzinfo=UTC),
        expiration="60000",
        app_id="grievance",
    )
    for path in PATHS:
        await (await publisher_on(wire, path)).publish(wire.exchange, "bound", b"{}", sent)
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        queue = await (await connection.channel()).get_queue(wire.queue)
        received = []
        for _ in PATHS:
            message = await queue.get(timeout=5)
            await message.ack()
            received.append((message.body, message.properties))
    coalesced, public = received
    assert coalesced == public
    assert coalesced[1].headers is not None
    assert coalesced[1].headers["x-reason"] == "测试"
    assert coalesced[1].expiration == "60000" and coalesced[1].message_type == "grievance.received"


@pytest.mark.parametrize("path", PATHS)
async def test_an_unroutable_message_fails_alone(wire: Wire, amqp_url: str, path: PathName) -> None:
    publisher = await publisher_on(wire, path)
    keys = ["bound", "nowhere", "bound"]
    results = await asyncio.gather(
        *(publisher.publish(wire.exchange, key, b"x", properties()) for key in keys),
        return_exceptions=True,
    )
    assert results[0] is None and results[2] is None
    assert isinstance(results[1], ReturnedError)
    assert len(await drain(amqp_url, wire.queue, 2)) == 2


@pytest.mark.parametrize("path", PATHS)
async def test_a_nacked_message_fails_with_a_delivery_error(amqp_url: str, path: PathName) -> None:
    """A full queue that refuses publishes (``reject-publish``) makes the broker nack them (a classic
    queue: a quorum queue applies its length limit a little late)."""
    full = {"x-queue-type": "classic", "x-max-length": 1, "x-overflow": "reject-publish"}
    async with open_wire(amqp_url, queue_arguments=full) as wire:
        publisher = await publisher_on(wire, path)
        await publisher.publish(wire.exchange, "bound", b"fits", properties())
        with pytest.raises(DeliveryError):
            await publisher.publish(wire.exchange, "bound", b"refused", properties())
        assert [body for _, body in await drain(amqp_url, wire.queue, 1)] == [b"fits"]


@pytest.mark.parametrize("path", PATHS)
async def test_publishes_the_broker_never_confirms_fail_with_a_timeout(
    wire: Wire, path: PathName, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="aiormq")
    publisher = await publisher_on(wire, path, confirm_within=0.3)
    wire.lost = True
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        results = await asyncio.gather(
            *(publisher.publish(wire.exchange, "bound", b"x", properties()) for _ in range(3)),
            return_exceptions=True,
        )
    finally:
        wire.lost = False  # the connection's own frames (closing it) must get through again
    assert all(isinstance(result, TimeoutError) for result in results), results
    assert 0.3 <= loop.time() - started < 2
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


@pytest.mark.parametrize("path", PATHS)
async def test_late_confirms_of_timed_out_publishes_are_dropped_quietly(
    wire: Wire, amqp_url: str, path: PathName, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="aiormq")  # WARNING in every configuration (shared.log)
    publisher = await publisher_on(wire, path, confirm_within=0.3)
    wire.held = True
    results = await asyncio.gather(
        *(publisher.publish(wire.exchange, "bound", b"x", properties()) for _ in range(20)),
        return_exceptions=True,
    )
    assert all(isinstance(result, TimeoutError) for result in results)
    await wire.release()
    await publisher.publish(wire.exchange, "bound", b"after", properties())  # confirmed after the late ones
    assert not wire.channel.confirmations and not wire.channel.message_id_delivery_tag
    loud = [
        r.getMessage() for r in caplog.records if r.name.startswith("aiormq") and r.levelno >= logging.WARNING
    ]
    assert loud == []


@pytest.mark.parametrize("path", PATHS)
async def test_a_closed_channel_fails_every_waiting_publish(wire: Wire, path: PathName) -> None:
    publisher = await publisher_on(wire, path)
    # Written but swallowed, so the broker cannot confirm them before the close.
    wire.lost = True
    waiting = [
        asyncio.ensure_future(publisher.publish(wire.exchange, "bound", b"x", properties())) for _ in range(3)
    ]
    while not wire.writes:  # noqa: ASYNC110 - the publisher's own write, not an event
        await asyncio.sleep(0)
    wire.lost = False  # the channel's close must get through
    await wire.robust.close()
    results = await asyncio.gather(*waiting, return_exceptions=True)
    assert all(isinstance(result, Exception) for result in results), results
    with pytest.raises(ChannelInvalidStateError):
        await publisher.publish(wire.exchange, "bound", b"x", properties())


@pytest.mark.parametrize("path", PATHS)
async def test_a_message_without_an_id_is_refused_before_anything_is_sent(wire: Wire, path: PathName) -> None:
    publisher = await publisher_on(wire, path)
    with pytest.raises(ValueError, match="message_id"):
        await publisher.publish(wire.exchange, "bound", b"x", spec.Basic.Properties())
    assert wire.writes == 0 and wire.channel.delivery_tag == 0


async def test_the_coalesced_path_is_chosen_when_the_internals_are_there(wire: Wire) -> None:
    with capture_logs() as lines:
        publisher = await open_publisher(wire.robust, 5)
    assert publisher.path == "coalesced"
    assert lines == []


async def test_the_public_path_is_chosen_with_one_warning_when_an_internal_is_missing(
    wire: Wire, amqp_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An aiormq release without what the coalesced path needs (simulated: the check cannot be
    given another aiormq) still publishes, through aio-pika's public API."""

    def without_split_body(channel: aiormq.Channel) -> list[str]:
        return ["Channel._split_body"]

    monkeypatch.setattr(coalesced_publish, "missing_internals", without_split_body)
    with capture_logs() as lines:
        publisher = await open_publisher(wire.robust, 5)
    assert publisher.path == "public"
    assert [(line["event"], line["log_level"], line["missing"]) for line in lines] == [
        ("publishing_through_public_api", "warning", ["Channel._split_body"])
    ]
    await publisher.publish(wire.exchange, "bound", b"x", properties())
    assert len(await drain(amqp_url, wire.queue, 1)) == 1
