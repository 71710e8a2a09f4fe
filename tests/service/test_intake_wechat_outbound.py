"""The sender's WeChat leg against a local server that speaks WeChat's token and custom/send APIs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import aiohttp
import pytest

from services.intake import store
from services.intake.channels.delivery import TransientDeliveryError
from services.intake.delivery_state import delivery_of
from services.intake.outbound import SENDER
from services.intake.sender import Sender
from services.intake.wechat_outbound import TEXT_LIMIT, WINDOW_MARGIN, window_open
from services.intake.wechat_store import INDEXES as WECHAT_INDEXES
from services.intake.wechat_store import SERVICE_WINDOW, TOKENS, TokenCache
from shared.memorybus import MemoryBus
from shared.privacy import Keys
from shared.runtime import Runtime
from shared.settings import Settings
from shared.store import ensure_indexes
from tests.fakes import WORKER_PHONE, FakeClock
from tests.providers.wechat import FakeWeChat
from tests.service.intake_support import GATEWAY, OUTBOUND_ACCOUNT_SID, FakeTwilio, intake_settings, serve
from tests.service.wechat_outbound_support import (
    APP_ID,
    REPLY,
    SECRET,
    WORKER,
    outbound,
    record,
    sender_for,
    tokens_for,
    worker_wrote,
)


@pytest.fixture(autouse=True)
async def indexes(runtime: Runtime) -> None:
    await ensure_indexes(runtime.db, store.INDEXES)
    await ensure_indexes(runtime.db, WECHAT_INDEXES)


@pytest.fixture
async def wechat(clock: FakeClock) -> AsyncIterator[FakeWeChat]:
    async with FakeWeChat(clock, app_id=APP_ID, secret=SECRET) as fake:
        fake.follow(WORKER)
        yield fake


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def sender(runtime: Runtime, wechat: FakeWeChat, session: aiohttp.ClientSession) -> Sender:
    return sender_for(runtime, wechat, session)


def test_the_window_closes_a_margin_before_wechats_48_hours(clock: FakeClock) -> None:
    last = clock()
    assert window_open(last, last + SERVICE_WINDOW - WINDOW_MARGIN - timedelta(seconds=1))
    assert not window_open(last, last + SERVICE_WINDOW - WINDOW_MARGIN)
    assert not window_open(None, last)


async def test_a_reply_inside_the_window_goes_as_customer_service_text(
    runtime: Runtime, wechat: FakeWeChat, sender: Sender, keys: Keys
) -> None:
    await worker_wrote(runtime, wechat)
    event = outbound(keys)
    await sender.handle(event)
    (sent,) = wechat.sent
    assert sent.path == "/cgi-bin/message/custom/send"
    assert sent.body == {"touser": WORKER, "msgtype": "text", "text": {"content": REPLY}}
    assert sent.token == "ACCESS_TOKEN_1"
    document = await record(runtime, event)
    assert document["status"] == "sent" and document["provider"] == "wechat" and document["parts"] == 1
    assert WORKER not in str(document)
    # A redelivery of the same event sends nothing more.
    await sender.handle(event)
    assert len(wechat.requests) == 1


async def test_outside_the_window_without_a_notice_nothing_is_sent_and_the_message_waits(
    runtime: Runtime, wechat: FakeWeChat, sender: Sender, keys: Keys, clock: FakeClock
) -> None:
    never = outbound(keys)
    await sender.handle(never)
    await worker_wrote(runtime, wechat)
    clock.advance(seconds=(SERVICE_WINDOW - WINDOW_MARGIN).total_seconds())
    late = outbound(keys)
    await sender.handle(late)
    assert wechat.requests == [] and wechat.token_requests == []
    for event in (never, late):
        document = await record(runtime, event)
        assert document["status"] == "waiting" and WORKER not in str(document)  # the contact stays sealed
        assert (delivery := delivery_of(document)) is not None and delivery.state == "waiting_for_worker"
    # Writing again reopens it.
    await worker_wrote(runtime, wechat)
    await sender.handle(outbound(keys))
    assert len(wechat.sent) == 1


async def test_an_expired_token_is_refreshed_once_and_the_send_retried_once(
    runtime: Runtime, wechat: FakeWeChat, sender: Sender, keys: Keys
) -> None:
    await worker_wrote(runtime, wechat)
    await sender.handle(outbound(keys))
    wechat.revoke_tokens()  # 40001 for the cached token
    event = outbound(keys, "第二条")
    await sender.handle(event)
    assert [r.errcode for r in wechat.requests] == [0, 40001, 0]
    assert [r.token for r in wechat.requests] == ["ACCESS_TOKEN_1", "ACCESS_TOKEN_1", "ACCESS_TOKEN_2"]
    assert len(wechat.token_requests) == 2
    assert (await record(runtime, event))["status"] == "sent"


async def test_a_token_refused_twice_is_transient_and_not_retried_in_a_loop(
    runtime: Runtime, wechat: FakeWeChat, sender: Sender, keys: Keys
) -> None:
    await worker_wrote(runtime, wechat)
    wechat.fail_next(42001, 42001)
    event = outbound(keys)
    with pytest.raises(TransientDeliveryError):
        await sender.handle(event)
    assert [r.errcode for r in wechat.requests] == [42001, 42001]
    document = await record(runtime, event)
    assert document["status"] == "released"
    # The bus's redelivery takes the claim back and sends once.
    await sender.handle(event)
    assert len(wechat.sent) == 1 and (await record(runtime, event))["status"] == "sent"


@pytest.mark.parametrize(
    ("errcode", "status", "field", "value"),
    [
        (40003, "failed", "error_code", "40003"),
        (43004, "failed", "error_code", "43004"),
    ],
)
async def test_wechats_refusals_are_recorded_for_the_committee(
    runtime: Runtime,
    wechat: FakeWeChat,
    sender: Sender,
    keys: Keys,
    errcode: int,
    status: str,
    field: str,
    value: str,
) -> None:
    await worker_wrote(runtime, wechat)
    wechat.fail_next(errcode)
    event = outbound(keys)
    await sender.handle(event)
    document = await record(runtime, event)
    assert (document["status"], document[field]) == (status, value)
    await sender.handle(event)  # recorded for good: a redelivery sends nothing
    assert len(wechat.requests) == 1


@pytest.mark.parametrize("errcode", [45009, 48001, -1])
async def test_other_errcodes_on_http_200_keep_the_message_for_a_retry(
    runtime: Runtime, wechat: FakeWeChat, sender: Sender, keys: Keys, errcode: int
) -> None:
    await worker_wrote(runtime, wechat)
    wechat.fail_next(errcode)
    event = outbound(keys)
    with pytest.raises(TransientDeliveryError):
        await sender.handle(event)
    assert (await record(runtime, event))["status"] == "released"
    assert wechat.sent == []


async def test_a_long_reply_goes_in_parts_within_wechats_text_limit(
    runtime: Runtime, wechat: FakeWeChat, sender: Sender, keys: Keys
) -> None:
    await worker_wrote(runtime, wechat)
    text = "宿舍热水器已经修好。" * 100
    event = outbound(keys, text)
    await sender.handle(event)
    bodies = [r.body["text"]["content"] for r in wechat.sent]
    assert len(bodies) == 2
    assert all(len(b.encode("utf-8")) <= 2048 and len(b) <= TEXT_LIMIT for b in bodies)
    assert (await record(runtime, event))["parts"] == 2


async def test_without_a_wechat_channel_the_message_is_channel_unconfigured(
    runtime: Runtime, keys: Keys
) -> None:
    event = outbound(keys)
    await Sender(runtime.db, runtime.keys, runtime.clock, None, None).handle(event)
    document = await record(runtime, event)
    assert (document["status"], document["reason"]) == ("undeliverable", "channel_unconfigured")


async def test_replicas_share_one_token_fetched_once_and_stored_sealed(
    runtime: Runtime, wechat: FakeWeChat, session: aiohttp.ClientSession, keys: Keys
) -> None:
    await worker_wrote(runtime, wechat)
    replicas = [sender_for(runtime, wechat, session) for _ in range(3)]
    await asyncio.gather(*(replica.handle(outbound(keys, f"回复{i}")) for i, replica in enumerate(replicas)))
    assert len(wechat.sent) == 3 and len(wechat.token_requests) == 1
    (record_,) = [d async for d in runtime.db[TOKENS].find({})]
    assert "ACCESS_TOKEN_1" not in str(record_) and "lock_owner" not in record_


async def test_a_token_refused_on_one_replica_is_refetched_once_for_all(
    runtime: Runtime, wechat: FakeWeChat, session: aiohttp.ClientSession, keys: Keys
) -> None:
    await worker_wrote(runtime, wechat)
    first, second = sender_for(runtime, wechat, session), sender_for(runtime, wechat, session)
    await first.handle(outbound(keys))
    wechat.revoke_tokens()
    await second.handle(outbound(keys))  # 40001, a fresh token, the retry
    await first.handle(outbound(keys))  # finds the fresh token in the store
    assert [r.token for r in wechat.requests] == [
        "ACCESS_TOKEN_1",
        "ACCESS_TOKEN_1",
        "ACCESS_TOKEN_2",
        "ACCESS_TOKEN_2",
    ]
    assert len(wechat.token_requests) == 2


async def test_a_replica_waits_for_the_lock_holders_token(
    runtime: Runtime, wechat: FakeWeChat, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    cache = TokenCache(runtime.db)
    assert await cache.lock(APP_ID, "another-replica", clock(), timedelta(seconds=15))
    waiter = asyncio.create_task(tokens_for(runtime, wechat, session).token())
    await asyncio.sleep(0.05)
    assert not waiter.done() and wechat.token_requests == []
    holder = tokens_for(runtime, wechat, session)
    holder._owner = "another-replica"  # the holder finishes its fetch
    token = await holder.token()
    assert await waiter == token and len(wechat.token_requests) == 1


async def test_a_lock_held_past_its_lease_is_taken_over(
    runtime: Runtime, wechat: FakeWeChat, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    assert await TokenCache(runtime.db).lock(APP_ID, "a-dead-replica", clock(), timedelta(seconds=15))
    clock.advance(seconds=16)
    assert await tokens_for(runtime, wechat, session).token() == "ACCESS_TOKEN_1"


async def test_the_application_routes_wechat_cases_to_wechat_and_sms_to_twilio(
    settings_factory: Callable[..., Settings],
    runtime: Runtime,
    memory_bus: MemoryBus,
    wechat: FakeWeChat,
    keys: Keys,
) -> None:
    await worker_wrote(runtime, wechat)
    async with FakeTwilio() as twilio:
        settings = intake_settings(
            settings_factory,
            twilio_account_sid=OUTBOUND_ACCOUNT_SID,
            twilio_api_base=twilio.base_url,
            twilio_from=GATEWAY,
            wechat_appid=APP_ID,
            wechat_appsecret=SECRET,
            wechat_api_base=wechat.base_url,
        )
        async with serve(settings, runtime) as client:
            assert client.app[SENDER].wechat is not None
            to_wechat = outbound(keys)
            to_phone = outbound(keys, contact=WORKER_PHONE, channel="sms")
            for event in (to_wechat, to_phone):
                await memory_bus.publish(event)
            await memory_bus.drain()
        assert [r.body["touser"] for r in wechat.sent] == [WORKER]
        assert [r["form"]["To"] for r in twilio.requests] == [WORKER_PHONE]


async def test_wechat_alone_configured_sends_wechat_and_records_sms_unconfigured(
    settings_factory: Callable[..., Settings],
    runtime: Runtime,
    memory_bus: MemoryBus,
    wechat: FakeWeChat,
    keys: Keys,
) -> None:
    await worker_wrote(runtime, wechat)
    settings = settings_factory(
        wechat_appid=APP_ID,
        wechat_appsecret=SECRET,
        wechat_api_base=wechat.base_url,
        amqp_url="amqp://broker/",
        mongo_url="mongodb://store/",
    )
    async with serve(settings, runtime) as client:
        assert client.app[SENDER].channel is None
        to_wechat = outbound(keys)
        to_phone = outbound(keys, contact=WORKER_PHONE, channel="sms")
        for event in (to_wechat, to_phone):
            await memory_bus.publish(event)
        await memory_bus.drain()
    assert len(wechat.sent) == 1
    assert (await record(runtime, to_wechat))["status"] == "sent"
    phone = await record(runtime, to_phone)
    assert (phone["status"], phone["reason"]) == ("undeliverable", "channel_unconfigured")
