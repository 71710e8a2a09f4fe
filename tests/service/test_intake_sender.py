"""The outbound sender against a local server that speaks Twilio's Messages API."""

from __future__ import annotations

import asyncio
import base64
import time
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import aiohttp
import pytest

from services.intake import store
from services.intake.channels.delivery import TransientDeliveryError
from services.intake.channels.dev import DevChannel
from services.intake.channels.twilio_api import Backoff, TwilioApi
from services.intake.outbound import SENDER
from services.intake.sender import ClaimBusy, Sender
from shared.contracts import MessageOutbound
from shared.memorybus import MemoryBus
from shared.privacy import Keys, seal
from shared.runtime import Runtime
from shared.settings import Settings
from shared.store import Database, ensure_indexes
from tests.fakes import ENGLISH_WORKER_PHONE, WORKER_PHONE, FakeClock, present
from tests.service.intake_support import (
    GATEWAY,
    OUTBOUND_ACCOUNT_SID,
    PUBLIC_BASE_URL,
    TWILIO_TOKEN,
    FakeTwilio,
    intake_settings,
    serve,
)

FAST = Backoff(attempts=3, base=0.001, cap=0.01)


def outbound(
    keys: Keys, text: str = "您的案件已受理。", *, contact: str | None = WORKER_PHONE, **extra: Any
) -> MessageOutbound:
    values: dict[str, Any] = {
        "correlation_id": uuid.uuid4(),
        "channel": "sms",
        "sealed_contact": seal(keys, contact) if contact else None,
        "text": text,
        "language": "zh",
        "reference": "ABCDE-FGHJK",
        "case_id": str(uuid.uuid4()),
        "purpose": "committee_reply",
        "gateway_number": GATEWAY,
    }
    values.update(extra)
    return MessageOutbound(**values)


@pytest.fixture(autouse=True)
async def indexes(runtime: Runtime) -> None:
    """The unique indexes the claims rely on (the application creates them at start-up)."""
    await ensure_indexes(runtime.db, store.INDEXES)


@pytest.fixture
async def twilio() -> AsyncIterator[FakeTwilio]:
    async with FakeTwilio() as fake:
        yield fake


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def sender_for(
    runtime: Runtime, twilio: FakeTwilio, session: aiohttp.ClientSession, default_from: str | None = None
) -> Sender:
    api = TwilioApi(
        session,
        api_base=twilio.base_url,
        account_sid=OUTBOUND_ACCOUNT_SID,
        auth_token=TWILIO_TOKEN,
        status_callback=f"{PUBLIC_BASE_URL}/webhooks/twilio/status",
        backoff=FAST,
    )
    return Sender(runtime.db, runtime.keys, runtime.clock, api, default_from)


async def record(runtime: Runtime, event: MessageOutbound) -> dict[str, Any]:
    document = await store.outbound_for_event(runtime.db, str(event.id))
    assert document is not None
    return document


async def test_delivers_with_basic_auth_and_twilios_form_fields(
    runtime: Runtime, twilio: FakeTwilio, session: aiohttp.ClientSession, keys: Keys
) -> None:
    event = outbound(keys)
    await sender_for(runtime, twilio, session).handle(event)
    (request,) = twilio.requests
    assert request["account"] == OUTBOUND_ACCOUNT_SID
    expected = base64.b64encode(f"{OUTBOUND_ACCOUNT_SID}:{TWILIO_TOKEN}".encode()).decode()
    assert request["authorization"] == f"Basic {expected}"
    assert request["form"] == {
        "To": WORKER_PHONE,
        "From": GATEWAY,
        "Body": "您的案件已受理。",
        "StatusCallback": f"{PUBLIC_BASE_URL}/webhooks/twilio/status",
    }
    document = await record(runtime, event)
    assert document["status"] == "sent" and document["case_id"] == event.case_id
    assert len(document["provider_sids"]) == 1 and document["provider"] == "twilio"
    assert WORKER_PHONE not in str(document)


async def test_default_sender_number_when_the_event_has_none(
    runtime: Runtime, twilio: FakeTwilio, session: aiohttp.ClientSession, keys: Keys
) -> None:
    await sender_for(runtime, twilio, session, "+15005550006").handle(outbound(keys, gateway_number=None))
    assert twilio.requests[0]["form"]["From"] == "+15005550006"


@pytest.mark.parametrize("status", [429, 500, 503])
async def test_retries_rate_limits_and_server_errors(
    runtime: Runtime, twilio: FakeTwilio, session: aiohttp.ClientSession, keys: Keys, status: int
) -> None:
    twilio.error(status, 20429 if status == 429 else 20500, {"Retry-After": "0"} if status == 429 else {})
    event = outbound(keys)
    await sender_for(runtime, twilio, session).handle(event)
    assert len(twilio.requests) == 2
    assert (await record(runtime, event))["status"] == "sent"


async def test_a_retry_after_is_waited_up_to_the_cap(
    runtime: Runtime, twilio: FakeTwilio, session: aiohttp.ClientSession, keys: Keys
) -> None:
    twilio.error(429, 20429, {"Retry-After": "30"})
    api = TwilioApi(
        session,
        api_base=twilio.base_url,
        account_sid=OUTBOUND_ACCOUNT_SID,
        auth_token=TWILIO_TOKEN,
        status_callback=None,
        backoff=Backoff(attempts=2, base=0.001, cap=0.3),
    )
    started = time.monotonic()
    await Sender(runtime.db, runtime.keys, runtime.clock, api, None).handle(outbound(keys))
    waited = time.monotonic() - started
    assert len(twilio.requests) == 2
    assert 0.3 <= waited < 5, waited  # Twilio's 30 s, capped; not the 1 ms of the exponential step


@pytest.mark.parametrize("code", [21610, 21211])
async def test_permanent_errors_are_recorded_not_retried(
    runtime: Runtime, twilio: FakeTwilio, session: aiohttp.ClientSession, keys: Keys, code: int
) -> None:
    twilio.error(400, code)
    event = outbound(keys)
    sender = sender_for(runtime, twilio, session)
    await sender.handle(event)
    await sender.handle(event)  # a redelivery does not try again either
    assert len(twilio.requests) == 1
    document = await record(runtime, event)
    assert (document["status"], document["error_code"]) == ("failed", str(code))


async def test_exhausted_retries_release_the_claim_for_the_next_delivery(
    runtime: Runtime, twilio: FakeTwilio, session: aiohttp.ClientSession, keys: Keys
) -> None:
    for _ in range(FAST.attempts):
        twilio.error(500, 20500)
    event = outbound(keys)
    sender = sender_for(runtime, twilio, session)
    with pytest.raises(TransientDeliveryError):
        await sender.handle(event)
    assert (await record(runtime, event))["status"] == "released"
    await sender.handle(event)
    assert len(twilio.requests) == FAST.attempts + 1
    assert (await record(runtime, event))["status"] == "sent"


async def test_redelivered_event_sends_once(
    runtime: Runtime, twilio: FakeTwilio, session: aiohttp.ClientSession, keys: Keys
) -> None:
    event = outbound(keys)
    sender = sender_for(runtime, twilio, session)
    for _ in range(3):
        await sender.handle(event)
    assert len(twilio.requests) == 1


async def test_a_live_claim_makes_a_parallel_delivery_wait(
    runtime: Runtime, twilio: FakeTwilio, session: aiohttp.ClientSession, keys: Keys, clock: FakeClock
) -> None:
    event = outbound(keys)
    claim = await store.claim(runtime.db, event, clock(), store_lease())
    assert claim.outcome == "claimed"
    with pytest.raises(ClaimBusy):
        await sender_for(runtime, twilio, session).handle(event)
    assert twilio.requests == []
    clock.advance(minutes=5)  # the holder died: its lease ran out
    await sender_for(runtime, twilio, session).handle(event)
    assert len(twilio.requests) == 1


class HangingChannel:
    """A provider that never answers, until the test lets it."""

    name = "hanging"

    def __init__(self) -> None:
        self.entered = asyncio.Event()
        self.release = asyncio.Event()
        self.sent: list[str] = []

    async def send(self, to: str, sender: str, body: str, *, event: Any, part: int, parts: int) -> str:
        self.entered.set()
        await self.release.wait()
        self.sent.append(body)
        return f"SM{len(self.sent):032d}"


async def test_a_delivery_cancelled_mid_send_gives_its_claim_back_for_the_redelivery(
    runtime: Runtime, keys: Keys
) -> None:
    """A channel closing under a delivery cancels it; its redelivery must send, not find the claim
    busy for the whole lease while the queue's delivery limit runs down."""
    channel = HangingChannel()
    sender = Sender(runtime.db, runtime.keys, runtime.clock, channel, "+15005550006")
    event = outbound(keys)
    first = asyncio.create_task(sender.handle(event))
    await asyncio.wait_for(channel.entered.wait(), 5)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    channel.release.set()
    await sender.handle(event)  # the redelivery, at once: no ClaimBusy
    assert len(channel.sent) == 1
    assert (await record(runtime, event))["status"] == "sent"


def store_lease() -> timedelta:
    from services.intake.sender import LEASE

    return LEASE


async def test_long_text_is_split_and_a_retry_sends_only_the_rest(
    runtime: Runtime, twilio: FakeTwilio, session: aiohttp.ClientSession, keys: Keys
) -> None:
    text = "委员会已经和厂方协商，加班费将在下周发放。" * 100  # 2100 characters
    twilio.script = [(201, {"sid": "SM" + "1" * 32}, {})] + [(500, {"code": 20500}, {})] * FAST.attempts
    event = outbound(keys, text)
    sender = sender_for(runtime, twilio, session)
    with pytest.raises(TransientDeliveryError):
        await sender.handle(event)
    await sender.handle(event)
    bodies = [r["form"]["Body"] for r in twilio.requests]
    assert len(bodies) == 1 + FAST.attempts + 1
    assert bodies[0].endswith("(1/2)") and bodies[-1].endswith("(2/2)")
    assert all(b.endswith("(2/2)") for b in bodies[1:])
    document = await record(runtime, event)
    assert document["status"] == "sent" and document["parts"] == 2 and len(document["provider_sids"]) == 2


async def test_web_message_without_contact_is_undeliverable(
    runtime: Runtime, twilio: FakeTwilio, session: aiohttp.ClientSession, keys: Keys
) -> None:
    event = outbound(keys, contact=None, channel="web")
    await sender_for(runtime, twilio, session).handle(event)
    await sender_for(runtime, twilio, session).handle(event)
    assert twilio.requests == []
    document = await record(runtime, event)
    assert (document["status"], document["reason"]) == ("undeliverable", "no_contact")


async def test_web_message_with_contact_goes_by_sms_from_the_default_number(
    runtime: Runtime, twilio: FakeTwilio, session: aiohttp.ClientSession, keys: Keys
) -> None:
    event = outbound(
        keys, contact=ENGLISH_WORKER_PHONE, channel="web", gateway_number=None, language="en", text="Reply"
    )
    await sender_for(runtime, twilio, session, "+15005550006").handle(event)
    assert twilio.requests[0]["form"]["To"] == ENGLISH_WORKER_PHONE


async def test_a_contact_sealed_with_another_key_fails_permanently(
    runtime: Runtime,
    twilio: FakeTwilio,
    session: aiohttp.ClientSession,
    keys: Keys,
    settings_factory: Callable[..., Settings],
) -> None:
    from cryptography.fernet import Fernet

    from shared.privacy import load_keys

    other = load_keys(settings_factory(contact_key=Fernet.generate_key().decode()))
    event = outbound(other)
    await sender_for(runtime, twilio, session).handle(event)
    assert twilio.requests == []
    assert (await record(runtime, event))["error"] == "unseal_failed"


async def test_dev_channel_records_without_the_number(runtime: Runtime, keys: Keys) -> None:
    event = outbound(keys, "委员会回复" * 400)  # 2000 characters: two parts
    sender = Sender(runtime.db, runtime.keys, runtime.clock, DevChannel(runtime.db, runtime.clock), None)
    await sender.handle(event)
    await sender.handle(event)
    messages = await store.dev_outbox(runtime.db)
    assert [(m["part"], m["parts"]) for m in messages] == [(1, 2), (2, 2)]
    assert all(m["reference"] == "ABCDE-FGHJK" and m["case_id"] == event.case_id for m in messages)
    assert WORKER_PHONE not in str(messages) and "13912345678" not in str(messages)


def app_settings(settings_factory: Callable[..., Settings], twilio: FakeTwilio | None) -> Settings:
    if twilio is None:
        return intake_settings(settings_factory)
    return intake_settings(
        settings_factory,
        twilio_account_sid=OUTBOUND_ACCOUNT_SID,
        twilio_api_base=twilio.base_url,
        twilio_from="+15005550006",
    )


async def test_outbound_events_on_the_bus_reach_twilio(
    settings_factory: Callable[..., Settings],
    runtime: Runtime,
    memory_bus: MemoryBus,
    twilio: FakeTwilio,
    keys: Keys,
) -> None:
    async with serve(app_settings(settings_factory, twilio), runtime) as client:
        assert present(client.app[SENDER].channel).name == "twilio"
        event = outbound(keys)
        await memory_bus.publish(event)
        await memory_bus.publish(event)  # redelivered
        await memory_bus.drain()
        assert len(twilio.requests) == 1
        assert (await client.get("/dev/outbox")).status == 404  # Twilio is configured


async def test_embedded_without_credentials_exposes_the_dev_outbox(
    settings_factory: Callable[..., Settings], runtime: Runtime, memory_bus: MemoryBus, keys: Keys
) -> None:
    async with serve(app_settings(settings_factory, None), runtime, development_channel=True) as client:
        assert present(client.app[SENDER].channel).name == "dev"
        event = outbound(keys, "Your case was acknowledged", language="en")
        await memory_bus.publish(event)
        await memory_bus.drain()
        response = await client.get("/dev/outbox", params={"reference": "ABCDE-FGHJK"})
        assert response.status == 200
        (message,) = (await response.json())["messages"]
        assert message["text"] == "Your case was acknowledged" and message["event_id"] == str(event.id)
        assert "1391234" not in await response.text()
        assert (await client.get("/dev/outbox", params={"reference": '{"$gt": ""}'})).status == 422
        assert (await client.get("/dev/outbox", params={"limit": "0"})).status == 422


async def test_the_embedded_run_records_messages_to_a_web_form_contact(
    settings_factory: Callable[..., Settings], runtime: Runtime, memory_bus: MemoryBus, keys: Keys
) -> None:
    """A web-form worker who left a number has no gateway number to answer from: the development
    channel needs none, so the message is recorded (it failed with no_sender_number before)."""
    async with serve(app_settings(settings_factory, None), runtime, development_channel=True) as client:
        event = outbound(keys, contact=ENGLISH_WORKER_PHONE, channel="web", gateway_number=None)
        await memory_bus.publish(event)
        await memory_bus.drain()
        (message,) = (await (await client.get("/dev/outbox")).json())["messages"]
        assert message["event_id"] == str(event.id) and message["channel"] == "web"
        assert (await record(runtime, event))["status"] == "sent"


async def test_without_credentials_messages_are_undeliverable_and_never_recorded_as_sent(
    settings_factory: Callable[..., Settings], runtime: Runtime, memory_bus: MemoryBus, keys: Keys
) -> None:
    """A deployment without provider credentials: no development channel, no /dev/outbox; the
    committee sees each message undeliverable (before, it went to dev_outbox and showed as sent)."""
    deployed = intake_settings(settings_factory, amqp_url="amqp://broker/", mongo_url="mongodb://store/")
    async with serve(deployed, runtime) as client:
        assert SENDER not in client.app
        event = outbound(keys, "Your case was acknowledged", language="en")
        await memory_bus.publish(event)
        await memory_bus.publish(event)  # redelivered
        await memory_bus.drain()
        assert (await client.get("/dev/outbox")).status == 404
        from shared.contracts import MessageDeliveryChanged
        from tests.polling import eventually

        async def announced() -> list[str]:
            return [e.state for e in memory_bus.published if isinstance(e, MessageDeliveryChanged)]

        assert await eventually(announced) == ["undeliverable"]  # the router is told, once
    stored = await record(runtime, event)
    assert stored["status"] == "undeliverable" and stored["reason"] == "channel_unconfigured"
    assert await store.dev_outbox(runtime.db) == []


async def test_a_send_never_waits_for_its_announcement_and_a_failed_one_is_published_later(
    settings_factory: Callable[..., Settings],
    settings: Settings,
    memory_bus: MemoryBus,
    db: Database,
    keys: Keys,
    clock: FakeClock,
    twilio: FakeTwilio,
) -> None:
    """The broker refuses the announcements: the message still goes out and is acknowledged at once,
    the record keeps its mark, and once the broker confirms again the state is announced."""
    from shared.contracts import MessageDeliveryChanged
    from tests.polling import eventually
    from tests.service.router_support import FlakyBus

    bus = FlakyBus(memory_bus)
    runtime = Runtime(settings, bus, db, keys, clock)
    async with serve(app_settings(settings_factory, twilio), runtime):
        bus.failing = True
        event = outbound(keys)
        await memory_bus.publish(event)
        await memory_bus.drain()
        assert len(twilio.requests) == 1 and (await record(runtime, event))["status"] == "sent"
        assert await memory_bus.dead_letters("intake.outbound") == []
        assert await store.to_announce(db, 10)  # the announcement waits in the record
        assert not [e for e in memory_bus.published if isinstance(e, MessageDeliveryChanged)]

        bus.failing = False

        async def announced() -> list[str]:
            states: list[str] = [
                e.state for e in memory_bus.published if isinstance(e, MessageDeliveryChanged)
            ]
            return states if not await store.to_announce(db, 10) else []

        assert await eventually(announced) == ["sent"]
