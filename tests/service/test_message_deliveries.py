"""A committee sees where its messages to the worker stand, from the router's own records.

Intake announces each delivery state (``message.delivery``); the router folds the announcements in
(``message_deliveries``). These tests go through the APIs only: the committee's, Twilio's status
callback to intake, and what the bus carries between the two.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable

import pytest

from services.router.deliveries import QUEUE
from shared.contracts import MessageDeliveryChanged
from shared.memorybus import MemoryBus
from shared.runtime import Runtime
from shared.settings import Settings
from tests.service.deliveries_support import Pair, pair_settings, serve_pair
from tests.service.intake_support import FakeTwilio, intake_settings


@pytest.fixture
async def pair(settings_factory: Callable[..., Settings], runtime: Runtime) -> AsyncIterator[Pair]:
    async with (
        FakeTwilio() as twilio,
        serve_pair(pair_settings(settings_factory, twilio), runtime, twilio) as pair,
    ):
        await pair.a_case()
        yield pair


def announcements(bus: MemoryBus) -> list[MessageDeliveryChanged]:
    return [e for e in bus.published if isinstance(e, MessageDeliveryChanged)]


async def test_a_committee_sees_its_message_sent_then_delivered(pair: Pair) -> None:
    assert await pair.delivery_states() == []
    sid = await pair.answer()
    await pair.sees("sent")
    await pair.report(sid, "sent")
    await pair.sees("sent")
    await pair.report(sid, "delivered")
    await pair.sees("delivered")


async def test_reports_out_of_order_never_take_a_message_back(pair: Pair, memory_bus: MemoryBus) -> None:
    sid = await pair.answer()
    await pair.sees("sent")
    for status in ("delivered", "sent", "queued", "sending"):
        await pair.report(sid, status)
    await pair.sees("delivered")
    # The router gets the announcements in the other order too: an earlier state arrives late.
    delivered = [e for e in announcements(memory_bus) if e.state == "delivered"][-1]
    await memory_bus.publish(delivered.model_copy(update={"state": "sent", "id": uuid.uuid4()}))
    await memory_bus.drain()
    assert await pair.delivery_states() == ["delivered"]


async def test_a_redelivered_announcement_changes_nothing(pair: Pair, memory_bus: MemoryBus) -> None:
    sid = await pair.answer()
    await pair.sees("sent")
    await pair.report(sid, "undelivered", "30003")
    await pair.sees("undelivered")
    undelivered = announcements(memory_bus)[-1]
    assert (undelivered.state, undelivered.error_code) == ("undelivered", "30003")
    for _ in range(3):
        await memory_bus.publish(undelivered)
    await memory_bus.drain()
    assert await pair.delivery_states() == ["undelivered"]
    assert await memory_bus.dead_letters(QUEUE) == []


async def test_a_message_the_provider_refuses_is_failed_with_its_code(
    pair: Pair, memory_bus: MemoryBus
) -> None:
    await pair.answer(error=21610)  # the worker's number opted out at the carrier
    await pair.sees("failed")
    failed = announcements(memory_bus)[-1]
    assert (failed.state, failed.error_code, failed.reference) == ("failed", "21610", pair.reference)
    # The committee reads why, in a word of a closed set; Twilio's own words never reach it.
    assert await pair.deliveries() == [("failed", "opted_out")]


async def test_a_committee_sees_why_each_message_did_not_arrive_and_nothing_for_one_that_did(
    pair: Pair,
) -> None:
    unreachable = await pair.answer()
    await pair.sees("sent")
    delivered = await pair.answer()
    await pair.sees("sent", "sent")
    assert await pair.deliveries() == [("sent", None), ("sent", None)]
    await pair.report(unreachable, "undelivered", "30003")  # the handset is off
    await pair.report(delivered, "delivered")
    await pair.sees("undelivered", "delivered")
    await pair.answer(error=21211)  # not a valid number
    await pair.sees("undelivered", "delivered", "failed")
    await pair.answer(error=20003)  # a code that says nothing to a committee
    await pair.sees("undelivered", "delivered", "failed", "failed")
    assert await pair.deliveries() == [
        ("undelivered", "unreachable"),
        ("delivered", None),
        ("failed", "number_invalid"),
        ("failed", "provider_refused"),
    ]


async def test_without_provider_settings_the_committee_sees_sms_is_not_set_up(
    settings_factory: Callable[..., Settings], runtime: Runtime, memory_bus: MemoryBus
) -> None:
    """No Twilio account: every message is undeliverable, and the committee is told the system
    cannot send SMS instead of waiting for a delivery that never comes."""
    deployed = intake_settings(settings_factory, amqp_url="amqp://broker/", mongo_url="mongodb://store/")
    async with FakeTwilio() as twilio, serve_pair(deployed, runtime, twilio) as unconfigured:
        await unconfigured.a_case(acknowledged=False)
        await unconfigured.answer()
        await unconfigured.sees("undeliverable")
        assert await unconfigured.deliveries() == [("undeliverable", "channel_unconfigured")]
        assert twilio.requests == []
    told = [e for e in announcements(memory_bus) if e.reference == unconfigured.reference]
    assert {(e.error_code, e.reason) for e in told} == {("channel_unconfigured", "channel_unconfigured")}


async def test_each_message_has_its_own_state(pair: Pair) -> None:
    first = await pair.answer()
    await pair.sees("sent")
    await pair.answer()
    await pair.sees("sent", "sent")
    await pair.report(first, "delivered")
    await pair.sees("delivered", "sent")
