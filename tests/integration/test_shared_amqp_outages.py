"""The RabbitMQ bus when the path to the broker breaks: shutdown, the confirm breaker, late confirms.

A TCP proxy sits between the bus and the shared broker and breaks the path without touching the
broker: ``blackhole()`` holds every byte (a dead route: no FIN, no RST), ``close()`` makes it refuse
connections (a broker that is gone). The timings each test measures are printed (``pytest -s``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, MutableMapping
from typing import Any
from urllib.parse import urlparse

import aio_pika
import pytest
import structlog

from shared.amqp import CLOSE_GRACE, AmqpBus
from shared.contracts import CaseEscalated, Event, MessageOutbound, utcnow
from shared.messaging import PublishError, Retry
from tests.conftest import FAST_RETRY
from tests.polling import eventually
from tests.tcpproxy import TcpProxy, tcp_proxy

pytestmark = [pytest.mark.broker, pytest.mark.slow]

TIMEOUT = 1.5  # the publish timeout of every bus here
# What a shutdown may take whatever the broker does: handlers get the publish timeout and a grace,
# the connection one grace more (shared.amqp); a little slack for a loaded machine.
CLOSE_BOUND = TIMEOUT + 2 * CLOSE_GRACE + 0.5


def outbound(text: str = "hello") -> MessageOutbound:
    return MessageOutbound(
        correlation_id=uuid.uuid4(),
        channel="sms",
        sealed_contact=None,
        text=text,
        language="en",
        purpose="ack",
    )


@pytest.fixture
async def proxy(amqp_url: str) -> AsyncIterator[TcpProxy]:
    broker = urlparse(amqp_url)
    async with tcp_proxy(broker.hostname or "127.0.0.1", broker.port or 5672) as proxy:
        yield proxy


def through(proxy: TcpProxy, amqp_url: str) -> str:
    """The broker's URL with the proxy's address in it."""
    broker = urlparse(amqp_url)
    return broker._replace(netloc=f"{broker.username}:{broker.password}@{proxy.address}").geturl()


@pytest.fixture(params=["coalesced", "public"])
async def bus(
    proxy: TcpProxy, amqp_url: str, amqp_namespace: str, request: pytest.FixtureRequest
) -> AsyncIterator[AmqpBus]:
    """The bus on each publishing path (shared.amqp_publish): an outage must look the same on both."""
    bus = AmqpBus(
        through(proxy, amqp_url),
        namespace=amqp_namespace,
        publish_timeout=TIMEOUT,
        retry=FAST_RETRY,
        coalesce=request.param == "coalesced",
    )
    await bus.start()
    assert bus.is_ready()
    assert bus.publishing == request.param
    yield bus
    proxy.restore()
    await timed_close(bus)


@pytest.fixture
def aiormq_records(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """What aiormq warns and errs about during the test (confirms it cannot match, for one)."""
    caplog.set_level(logging.WARNING, logger="aiormq")
    return caplog


def loud(records: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()[:160]
        for r in records.records
        if r.name.split(".")[0] == "aiormq" and r.levelno >= logging.WARNING
    ]


async def noop(event: Event) -> None:
    return None


async def timed_close(bus: AmqpBus) -> float:
    started = time.perf_counter()
    await asyncio.wait_for(bus.close(), timeout=60)  # a hang fails here instead of stalling the run
    return time.perf_counter() - started


async def test_close_ends_within_the_bound_while_the_broker_is_blackholed(
    bus: AmqpBus, proxy: TcpProxy
) -> None:
    await bus.consume("intake.outbound", noop)
    await bus.publish(outbound())
    proxy.blackhole()
    took = await timed_close(bus)
    print(f"\nclose with the broker blackholed: {took:.2f} s")
    assert took < CLOSE_BOUND
    assert not bus.is_ready()


async def test_close_ends_within_the_bound_with_handlers_stuck_on_the_blackholed_broker(
    bus: AmqpBus, proxy: TcpProxy
) -> None:
    """One handler publishes into the blackhole, another never returns at all (a hung store)."""
    go = asyncio.Event()
    started = asyncio.Semaphore(0)

    async def handler(event: Event) -> None:
        assert isinstance(event, MessageOutbound)
        started.release()
        await go.wait()
        if event.text == "hang":
            await asyncio.Event().wait()
        await bus.publish(escalated("from-a-handler"))

    await bus.consume("intake.outbound", handler)
    await bus.publish(outbound("publish"))
    await bus.publish(outbound("hang"))
    for _ in range(2):
        await asyncio.wait_for(started.acquire(), 5)
    proxy.blackhole()
    go.set()
    took = await timed_close(bus)
    print(f"\nclose with a handler publishing into the blackhole and one hung: {took:.2f} s")
    assert took < CLOSE_BOUND


async def test_close_ends_within_the_bound_while_the_broker_is_gone(bus: AmqpBus, proxy: TcpProxy) -> None:
    await bus.consume("intake.outbound", noop)
    await proxy.close()  # every connection cut and new ones refused: the bus is reconnecting
    await eventually(lambda: not bus.is_ready(), seconds=5)
    took = await timed_close(bus)
    print(f"\nclose with the broker gone: {took:.2f} s")
    assert took < CLOSE_BOUND


async def test_close_does_not_wait_out_a_handler_backing_off(
    proxy: TcpProxy, amqp_url: str, amqp_namespace: str
) -> None:
    """A handler retrying a failing store sleeps between attempts; closing ends its retries at once."""
    failing = asyncio.Event()

    async def store_down(event: Event) -> None:
        failing.set()
        raise ConnectionError("store unreachable")

    slow = Retry(attempts=6, base=20, cap=60)
    bus = AmqpBus(through(proxy, amqp_url), namespace=amqp_namespace, publish_timeout=TIMEOUT, retry=slow)
    await bus.start()
    await bus.consume("intake.outbound", store_down)
    await bus.publish(outbound())
    await asyncio.wait_for(failing.wait(), 10)
    took = await timed_close(bus)
    print(f"\nclose with a handler in a 10-20 s backoff: {took:.2f} s")
    assert took < 2

    # Nothing was lost: the next consumer gets the event.
    seen: list[Event] = []

    async def record(event: Event) -> None:
        seen.append(event)

    again = AmqpBus(amqp_url, namespace=amqp_namespace, publish_timeout=TIMEOUT, retry=FAST_RETRY)
    await again.start()
    await again.consume("intake.outbound", record)
    await eventually(lambda: seen, seconds=10)
    await again.close()


async def test_a_blackholed_broker_fails_fast_after_one_timeout_and_recovers_by_itself(
    bus: AmqpBus, proxy: TcpProxy, aiormq_records: pytest.LogCaptureFixture
) -> None:
    await bus.publish(outbound())
    proxy.blackhole()
    started = time.perf_counter()
    with pytest.raises(PublishError):
        await bus.publish(outbound())
    detected = time.perf_counter() - started
    assert TIMEOUT <= detected < TIMEOUT + 1
    assert not bus.is_ready()

    fast: list[float] = []
    for _ in range(20):
        started = time.perf_counter()
        with pytest.raises(PublishError):
            await bus.publish(outbound())
        fast.append(time.perf_counter() - started)
    assert max(fast) < TIMEOUT / 10
    assert not bus.is_ready()

    await asyncio.sleep(2 * TIMEOUT)  # a longer outage: the probes keep timing out meanwhile
    assert not bus.is_ready()
    proxy.restore()
    restored = time.perf_counter()
    await eventually(bus.is_ready, seconds=5, interval=0.01)
    recovered = time.perf_counter() - restored
    await bus.publish(outbound())
    assert loud(aiormq_records) == []  # the probes that timed out are confirmed late, quietly
    print(
        f"\nblackhole detected after {detected:.2f} s, then failing fast in at most "
        f"{max(fast) * 1000:.2f} ms, ready again {recovered:.2f} s after the path came back"
    )


async def test_the_bus_recovers_by_itself_when_the_heartbeat_gives_up_on_a_blackholed_connection(
    proxy: TcpProxy, amqp_url: str, amqp_namespace: str
) -> None:
    """aiormq closes a connection it finds stuck with CancelledError as the reason, and fails the
    confirmations still waiting with it; the probe waiting then must fail and the next one follow,
    not end as if cancelled (which left the breaker open for good)."""
    bus = AmqpBus(
        through(proxy, amqp_url) + "?heartbeat=1",  # stuck after (1 + 1) x 3 s without a frame
        namespace=amqp_namespace,
        publish_timeout=TIMEOUT,
        retry=FAST_RETRY,
    )
    await bus.start()
    proxy.blackhole()
    with pytest.raises(PublishError):
        await bus.publish(outbound())
    await asyncio.sleep(8)  # the heartbeat check has closed the connection; reconnecting hangs too
    assert not bus.is_ready()
    proxy.restore()
    restored = time.perf_counter()
    await eventually(bus.is_ready, seconds=20, interval=0.05)  # no publish needed to get there
    print(f"\nready again {time.perf_counter() - restored:.2f} s after the path came back (reconnected)")
    await bus.publish(outbound())
    await timed_close(bus)


async def test_late_confirms_after_a_timeout_make_one_log_line_per_incident(
    bus: AmqpBus, proxy: TcpProxy, aiormq_records: pytest.LogCaptureFixture
) -> None:
    """The broker confirms what it got once the path is back; those confirms come too late to count."""
    with structlog.testing.capture_logs() as lines:
        proxy.blackhole()
        results = await asyncio.gather(*(bus.publish(outbound()) for _ in range(200)), return_exceptions=True)
        assert all(isinstance(result, PublishError) for result in results)
        proxy.restore()
        await eventually(bus.is_ready, seconds=5, interval=0.01)
        await bus.publish(outbound())  # confirmed after the 200 late ones were read
    assert loud(aiormq_records) == []
    warnings = [line["event"] for line in lines if line["log_level"] in ("warning", "error")]
    assert warnings == ["broker_not_confirming"]
    assert [line for line in lines if line["event"] == "broker_confirming_again"] == [
        {
            "event": "broker_confirming_again",
            "log_level": "info",
            "open_s": pytest.approx(0.5, abs=0.5),  # from the first timeout to the probe's confirm
            "timed_out": 200,
            "failed_fast": 0,
        }
    ]


def escalated(case_id: str) -> CaseEscalated:
    return CaseEscalated(
        correlation_id=uuid.uuid4(),
        case_id=case_id,
        reference="K7M3P-9QXA2",
        escalation_id=f"esc-{case_id}",
        reason="critical",
        at=utcnow(),
    )


async def test_a_burst_of_consumer_publishes_cannot_get_in_front_of_a_request_publish(
    proxy: TcpProxy, amqp_url: str, amqp_namespace: str
) -> None:
    """After a reconnect a prefetch's worth of handlers republish at once; a webhook's publish still
    goes next. The path is held for a moment so that what was written before the request shows in
    the order the broker queued it."""
    slots, burst = 4, 60
    bus = AmqpBus(
        through(proxy, amqp_url),
        namespace=amqp_namespace,
        publish_timeout=5,
        prefetch=burst,
        retry=FAST_RETRY,
        consumer_publishes=slots,
    )
    await bus.start()
    entered = reached = 0
    all_entered, all_reached, go = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def republish(event: Event) -> None:
        nonlocal entered, reached
        entered += 1
        if entered == burst:
            all_entered.set()
        await go.wait()
        reached += 1
        if reached == burst:
            all_reached.set()
        await bus.publish(escalated(f"consumer-{reached}"))

    await bus.consume("intake.outbound", republish)
    await asyncio.gather(*(bus.publish(outbound()) for _ in range(burst)))
    await asyncio.wait_for(all_entered.wait(), 10)  # the whole burst delivered at once
    proxy.blackhole()
    go.set()
    await asyncio.wait_for(all_reached.wait(), 5)  # every handler has asked to publish
    request = asyncio.ensure_future(bus.publish(escalated("request")))
    await asyncio.sleep(0.2)
    proxy.restore()
    started = time.perf_counter()
    await request
    took = time.perf_counter() - started

    order = await queued_case_ids(amqp_url, amqp_namespace + "notifications.escalations", burst + 1)
    await timed_close(bus)
    position = order.index("request")
    print(
        f"\nrequest publish queued after {position} of {burst} consumer publishes, confirmed in {took:.3f} s"
    )
    assert position <= slots
    assert sorted(order) == sorted(["request", *(f"consumer-{i}" for i in range(1, burst + 1))])


async def queued_case_ids(amqp_url: str, queue_name: str, count: int) -> list[str]:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.get_queue(queue_name)
        ids: list[str] = []
        while len(ids) < count:
            message = await queue.get(timeout=5, fail=False)
            if message is None:
                await asyncio.sleep(0.05)
                continue
            await message.ack()
            ids.append(json.loads(message.body)["case_id"])
        return ids


async def test_a_bus_started_before_the_broker_answers_connects_once_it_does(
    proxy: TcpProxy, amqp_url: str, amqp_namespace: str
) -> None:
    """The connection loop's retries: each failed attempt logged with its number, then connected."""
    proxy.blackhole()  # the connection attempts hang until their timeout
    bus = AmqpBus(
        through(proxy, amqp_url), namespace=amqp_namespace, publish_timeout=TIMEOUT, retry=FAST_RETRY
    )
    with structlog.testing.capture_logs() as logs:
        await bus.start()
        assert not bus.is_ready()

        def failed() -> list[MutableMapping[str, Any]]:
            return [line for line in logs if line["event"] == "broker_connect_failed"]

        await eventually(lambda: len(failed()) >= 2, seconds=3 * (TIMEOUT + 1) + 2)
        proxy.restore()
        await eventually(bus.is_ready, seconds=3 * (TIMEOUT + 1) + 2)
    assert [line["attempt"] for line in failed()[:2]] == [1, 2]
    assert {line["error"] for line in failed()} == {"TimeoutError"}
    assert any(line["event"] == "broker_connected" for line in logs)
    await bus.publish(outbound())
    await timed_close(bus)
