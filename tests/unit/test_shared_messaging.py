"""The delivery rule both buses share: retry budgets, jittered backoff, and stopping at close."""

from __future__ import annotations

import asyncio
import time
import uuid

from shared.contracts import Event, MessageOutbound
from shared.messaging import PublishError, Retry, deliver, in_delivery

QUICK = Retry(attempts=6, base=0.001, cap=0.01)


def body() -> bytes:
    return MessageOutbound(
        correlation_id=uuid.uuid4(),
        channel="sms",
        sealed_contact=None,
        text="hello",
        language="en",
        purpose="ack",
    ).to_json()


class Failing:
    """A handler that always fails with the given error, counting its attempts."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.calls = 0
        self.failed = asyncio.Event()

    async def __call__(self, event: Event) -> None:
        self.calls += 1
        self.failed.set()
        raise self.error


async def test_a_store_fault_gets_the_whole_budget_and_a_publish_fault_a_smaller_one() -> None:
    store = Failing(ConnectionError("store unreachable"))
    assert (await deliver(body(), "message.outbound", store, QUICK)).outcome == "requeue"
    assert store.calls == 6

    broker = Failing(PublishError("broker did not confirm in time"))
    assert (await deliver(body(), "message.outbound", broker, QUICK)).outcome == "requeue"
    assert broker.calls == QUICK.publish_attempts == 3


def test_publish_retries_start_wider_and_are_jittered() -> None:
    retry = Retry()
    assert retry.budget(publishing=True) == 3 < retry.budget() == 6
    first = [retry.delay(0, publishing=True) for _ in range(200)]
    second = [retry.delay(1, publishing=True) for _ in range(200)]
    assert all(0.5 <= d <= 1.0 for d in first) and all(1.0 <= d <= 2.0 for d in second)
    assert len({round(d, 3) for d in first}) > 50  # spread out, not in lockstep
    assert all(0.1 <= retry.delay(0) <= 0.2 for _ in range(50))  # the store's first step is unchanged
    # A small cap still wins, so a test's fast retry stays fast for publishes too.
    assert Retry(attempts=3, base=0.01, cap=0.05).delay(0, publishing=True) <= 0.05
    assert Retry(attempts=1).budget(publishing=True) == 1


async def test_stopping_ends_a_backoff_at_once() -> None:
    slow = Retry(attempts=6, base=30, cap=60)
    stopping = asyncio.Event()
    store = Failing(ConnectionError("store unreachable"))
    delivery = asyncio.ensure_future(deliver(body(), "message.outbound", store, slow, stopping))
    await store.failed.wait()
    started = time.perf_counter()
    stopping.set()
    assert (await delivery).outcome == "requeue"
    assert time.perf_counter() - started < 10  # not the 30 s backoff
    assert store.calls == 1


async def test_a_handler_knows_it_runs_inside_a_delivery() -> None:
    seen: list[bool] = []

    async def handler(event: Event) -> None:
        seen.append(in_delivery())
        inner = asyncio.ensure_future(asyncio.sleep(0, in_delivery()))  # a task it starts inherits it
        seen.append(await inner)

    assert not in_delivery()
    assert (await deliver(body(), "message.outbound", handler, QUICK)).outcome == "ack"
    assert seen == [True, True]
    assert not in_delivery()
