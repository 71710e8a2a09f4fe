"""The in-memory bus keeps the broker's semantics: routing, ack, reject, requeue limit, replay."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any, Literal

import pytest
from structlog.testing import capture_logs

from shared.contracts import CaseUpdated, Event, MessageOutbound
from shared.memorybus import MemoryBus, topic_matches
from shared.messaging import PublishError, Refusal, Rejected, Replayed, Retry, Unroutable
from tests.conftest import FAST_RETRY


def outbound(text: str = "hello") -> MessageOutbound:
    return MessageOutbound(
        correlation_id=uuid.uuid4(),
        channel="sms",
        sealed_contact=None,
        text=text,
        language="en",
        purpose="ack",
    )


@pytest.mark.parametrize(
    ("binding", "key", "matches"),
    [
        ("a.b", "a.b", True),
        ("a.*", "a.b", True),
        ("a.*", "a.b.c", False),
        ("a.#", "a", True),
        ("a.#", "a.b.c", True),
        ("a.#.c", "a.c", True),
        ("#", "x.y", True),
        ("case.updated.v1", "case.updatedXv1", False),
    ],
)
def test_topic_matching(binding: Any, key: Any, matches: Any) -> None:
    assert topic_matches(binding, key) is matches


async def test_publish_delivers_a_parsed_copy(memory_bus: MemoryBus) -> None:
    seen: list[Event] = []

    async def handler(event: Event) -> None:
        seen.append(event)

    await memory_bus.consume("intake.outbound", handler)
    sent = outbound()
    await memory_bus.publish(sent)
    await memory_bus.drain()
    assert seen == [sent] and seen[0] is not sent


async def test_unroutable_and_closed_publishes_raise(memory_bus: MemoryBus) -> None:
    class Orphan(Event):
        type: Literal["orphan.event"] = "orphan.event"

    with pytest.raises(Unroutable):
        await memory_bus.publish(Orphan(correlation_id=uuid.uuid4()))
    await memory_bus.close()
    with pytest.raises(PublishError):
        await memory_bus.publish(outbound())


async def test_rejected_and_malformed_events_go_to_the_dead_letter_queue_and_the_next_is_processed(
    memory_bus: MemoryBus,
) -> None:
    seen: list[str] = []

    async def handler(event: Event) -> None:
        assert isinstance(event, MessageOutbound)
        if event.text == "poison":
            raise Rejected("cannot handle")
        seen.append(event.text)

    await memory_bus.consume("intake.outbound", handler)
    memory_bus.inject("intake.outbound", b"{not json")
    await memory_bus.publish(outbound("poison"))
    await memory_bus.publish(outbound("good"))
    await memory_bus.drain()
    assert seen == ["good"]
    dead = await memory_bus.dead_letters("intake.outbound")
    assert [(d.reason, d.error) for d in dead] == [
        ("invalid", "body is not JSON: JSONDecodeError"),
        ("rejected", "cannot handle"),
    ]
    assert dead[0].message_id is None and dead[1].type == "message.outbound"
    assert len({d.id for d in dead}) == 2


async def test_infrastructure_failures_retry_then_requeue_until_the_delivery_limit() -> None:
    bus = MemoryBus(delivery_limit=2, retry=FAST_RETRY)
    await bus.start()
    calls = 0

    async def broken(event: Event) -> None:
        nonlocal calls
        calls += 1
        raise ConnectionError("store down")

    await bus.consume("intake.outbound", broken)
    await bus.publish(outbound())
    await bus.drain()
    assert calls == FAST_RETRY.attempts * 2
    assert [d.reason for d in await bus.dead_letters("intake.outbound")] == ["delivery_limit"]
    await bus.close()


async def test_a_transient_failure_recovers_without_losing_the_event(memory_bus: MemoryBus) -> None:
    attempts: list[int] = []

    async def flaky(event: Event) -> None:
        attempts.append(1)
        if len(attempts) < 2:
            raise TimeoutError("store slow")

    await memory_bus.consume("intake.outbound", flaky)
    await memory_bus.publish(outbound())
    await memory_bus.drain()
    assert len(attempts) == 2
    assert await memory_bus.dead_letters("intake.outbound") == []


async def test_replay_moves_dead_letters_back(memory_bus: MemoryBus) -> None:
    healthy = asyncio.Event()
    seen: list[str] = []

    async def handler(event: Event) -> None:
        assert isinstance(event, MessageOutbound)
        if not healthy.is_set():
            raise Rejected("not yet")
        seen.append(event.text)

    await memory_bus.consume("intake.outbound", handler)
    await memory_bus.publish(outbound("later"))
    await memory_bus.drain()
    assert len(await memory_bus.dead_letters("intake.outbound.dead")) == 1
    healthy.set()
    assert await memory_bus.replay("intake.outbound") == Replayed(1)
    await memory_bus.drain()
    assert seen == ["later"]
    assert await memory_bus.dead_letters("intake.outbound") == []


async def test_published_and_handled_events_are_counted(memory_bus: MemoryBus) -> None:
    from shared.metrics import METRICS

    published = (("type", "message.outbound"),)
    acked = (("type", "message.outbound"), ("outcome", "ack"))
    rejected = (("type", "invalid"), ("outcome", "reject"))
    before = [METRICS.value(n, labels) for n, labels in (
        ("grievance_events_published_total", published),
        ("grievance_events_handled_total", acked),
        ("grievance_events_handled_total", rejected),
    )]  # fmt: skip

    async def handler(event: Event) -> None:
        return None

    await memory_bus.consume("intake.outbound", handler)
    await memory_bus.publish(outbound())
    memory_bus.inject("intake.outbound", b"not an event")
    await memory_bus.drain()
    after = [METRICS.value(n, labels) for n, labels in (
        ("grievance_events_published_total", published),
        ("grievance_events_handled_total", acked),
        ("grievance_events_handled_total", rejected),
    )]  # fmt: skip
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 1, 1]


async def test_close_ends_retries_at_once_and_gives_hung_handlers_only_the_grace() -> None:
    """As on the broker path: a shutdown waits neither for a backoff nor for a handler that hangs."""
    bus = MemoryBus(retry=Retry(attempts=6, base=30, cap=60), close_grace=0.3)
    await bus.start()
    failed, hung = asyncio.Event(), asyncio.Event()
    published: list[str] = []

    async def handler(event: Event) -> None:
        assert isinstance(event, MessageOutbound)
        if event.text == "hang":
            hung.set()
            await asyncio.Event().wait()
        if event.text == "publish":
            await asyncio.sleep(0.05)
            await bus.publish(outbound("from a handler"))  # in flight at close: still publishes
            published.append(event.text)
            return
        failed.set()
        raise ConnectionError("store down")

    await bus.consume("intake.outbound", handler)
    for text in ("fail", "hang", "publish"):
        await bus.publish(outbound(text))
    await asyncio.wait_for(asyncio.gather(failed.wait(), hung.wait()), 2)
    started = time.perf_counter()
    await bus.close()
    assert time.perf_counter() - started < 10  # the hung handler would hold it for ever
    assert published == ["publish"]
    assert not bus.is_ready()


async def test_a_rejection_is_listed_under_the_id_its_log_line_carries(memory_bus: MemoryBus) -> None:
    async def handler(event: Event) -> None:
        raise Rejected("no such case")

    await memory_bus.consume("intake.outbound", handler)
    with capture_logs() as lines:
        memory_bus.inject("intake.outbound", b"[1, 2]")
        await memory_bus.publish(outbound())
        await memory_bus.drain()
    logged = [(line["reason"], line["dead_letter_id"]) for line in lines if line["event"] == "event_rejected"]
    listed = [(d.error, d.id) for d in await memory_bus.dead_letters("intake.outbound")]
    assert logged == listed == [("body is not a JSON object", listed[0][1]), ("no such case", listed[1][1])]


async def test_replay_refuses_what_would_only_come_back_unless_forced(memory_bus: MemoryBus) -> None:
    seen: list[str] = []

    async def handler(event: Event) -> None:
        if not isinstance(event, MessageOutbound):
            raise Rejected(f"{event.type} does not belong here")
        if event.text == "too early":
            raise Rejected("not yet")
        seen.append(event.text)

    await memory_bus.consume("intake.outbound", handler)
    memory_bus.inject("intake.outbound", b"{broken")
    memory_bus.inject("intake.outbound", CaseUpdated(
        correlation_id=uuid.uuid4(), case_id="c", reference="ABCDE-FGHJK", action="closed",
        actor_role="system", at=outbound().occurred_at, status="closed",
    ).to_json(), "case.updated")  # fmt: skip
    await memory_bus.publish(outbound("too early"))
    await memory_bus.drain()
    broken, misrouted, _ = await memory_bus.dead_letters("intake.outbound")
    result = await memory_bus.replay("intake.outbound")
    assert result == Replayed(
        1,
        [
            Refusal(broken.id, "body is not JSON: JSONDecodeError"),
            Refusal(misrouted.id, "case.updated does not belong on intake.outbound"),
        ],
    )
    await memory_bus.drain()  # "too early" is rejected again, and lands behind the refused two
    assert [d.id for d in await memory_bus.dead_letters("intake.outbound")][:2] == [broken.id, misrouted.id]
    forced = await memory_bus.replay("intake.outbound", limit=1, force=True)
    assert forced == Replayed(1)
    await memory_bus.drain()
    assert len(await memory_bus.dead_letters("intake.outbound")) == 3  # the broken one came straight back


async def test_show_and_discard_by_id_or_all(memory_bus: MemoryBus) -> None:
    async def handler(event: Event) -> None:
        raise Rejected("refused")

    await memory_bus.consume("intake.outbound", handler)
    for text in ("one", "two", "three"):
        await memory_bus.publish(outbound(text))
    await memory_bus.drain()
    first, second, third = await memory_bus.dead_letters("intake.outbound")
    found = await memory_bus.dead_letter("intake.outbound.dead", second.id)
    assert found is not None and found[0] == second and b'"two"' in found[1]
    assert await memory_bus.dead_letter("intake.outbound", "nope") is None
    assert await memory_bus.discard("intake.outbound", [second.id, "nope"]) == 1
    assert [d.id for d in await memory_bus.dead_letters("intake.outbound")] == [first.id, third.id]
    assert await memory_bus.discard("intake.outbound", None) == 2
    assert await memory_bus.dead_letters("intake.outbound") == []
