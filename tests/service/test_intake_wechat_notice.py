"""Outside WeChat's 48 h window: the template notice, the one-time subscription message, the wait for
the worker's next message, all against the local WeChat server over HTTP."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from cryptography.fernet import Fernet

from services.intake import store
from services.intake.channels.delivery import TransientDeliveryError
from services.intake.delivery_state import delivery_of
from services.intake.sender import Sender
from services.intake.wechat_consents import Consents
from services.intake.wechat_notice import SCENE, NoticePolicy
from services.intake.wechat_store import INDEXES as WECHAT_INDEXES
from services.intake.wechat_store import TOKENS, reporter_identity
from services.intake.wechat_waiting import WAITING, WaitingMessages
from shared.contracts import MessageDeliveryChanged
from shared.memorybus import MemoryBus
from shared.privacy import Keys, Rotation, load_keys, reporter_key
from shared.runtime import Runtime
from shared.settings import Settings
from shared.store import ensure_indexes
from tests.fakes import WORKER_OPENID, FakeClock
from tests.providers.wechat import TOKEN_LIFETIME, FakeWeChat
from tests.service.intake_support import serve
from tests.service.wechat_outbound_support import (
    APP_ID,
    REPLY,
    SECRET,
    WORKER,
    outbound,
    record,
    sender_for,
    worker_wrote,
)
from tests.service.wechat_support import APP_ID as PUSH_APP_ID
from tests.service.wechat_support import post_push, pusher, text_xml, wechat_settings

TEMPLATE, SUBSCRIPTION = "TPL_CASE_NEWS_0001", "TPL_ONE_TIME_0001"
STATUS_URL = "https://status.example.org"
OLD_KEY, NEW_KEY = Fernet.generate_key().decode(), Fernet.generate_key().decode()
CODE = "ABCDEF"  # the case code of the reference the outbound messages carry, ABCDE-FGHJK


def policy(settings_factory: Callable[..., Settings], **overrides: object) -> NoticePolicy:
    settings: Settings = settings_factory(public_status_url=STATUS_URL, **overrides)
    return NoticePolicy.of(settings)


@pytest.fixture(autouse=True)
async def indexes(runtime: Runtime) -> None:
    await ensure_indexes(runtime.db, store.INDEXES)
    await ensure_indexes(runtime.db, WECHAT_INDEXES)


@pytest.fixture
async def wechat(clock: FakeClock) -> AsyncIterator[FakeWeChat]:
    async with FakeWeChat(clock, app_id=APP_ID, secret=SECRET) as fake:
        fake.follow(WORKER)
        fake.templates.add(TEMPLATE)
        yield fake


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def templated(
    settings_factory: Callable[..., Settings],
    runtime: Runtime,
    wechat: FakeWeChat,
    session: aiohttp.ClientSession,
) -> Sender:
    return sender_for(runtime, wechat, session, policy(settings_factory, wechat_template_id=TEMPLATE))


def key_of(keys: Keys, openid: str = WORKER) -> str:
    return reporter_key(keys, reporter_identity(openid))


async def test_inside_the_window_a_text_goes_even_with_a_template_configured(
    runtime: Runtime, wechat: FakeWeChat, templated: Sender, keys: Keys
) -> None:
    await worker_wrote(runtime, wechat)
    await templated.handle(outbound(keys))
    assert [(r.path, r.body.get("text")) for r in wechat.sent] == [
        ("/cgi-bin/message/custom/send", {"content": REPLY})
    ]


async def test_49_hours_later_a_template_opens_the_worker_page_and_carries_no_text(
    runtime: Runtime, wechat: FakeWeChat, templated: Sender, keys: Keys, clock: FakeClock
) -> None:
    await worker_wrote(runtime, wechat)
    clock.advance(hours=49)
    event = outbound(keys)
    await templated.handle(event)
    (sent,) = wechat.requests
    assert (sent.path, sent.errcode) == ("/cgi-bin/message/template/send", 0)
    local = clock().astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y年%m月%d日 %H:%M")
    assert sent.body == {
        "touser": WORKER,
        "template_id": TEMPLATE,
        "url": f"{STATUS_URL}/case/?code={CODE}",
        "client_msg_id": str(event.id),
        "data": {
            "thing1": {"value": "您的案件有新消息，请点击查看"},
            "character_string2": {"value": CODE},
            "time3": {"value": local},
        },
    }
    assert REPLY not in json.dumps(sent.body, ensure_ascii=False) and "pin" not in sent.body["url"].lower()
    document = await record(runtime, event)
    assert (document["status"], document["notice"], document["window"]) == (
        "sent",
        "template",
        "outside_service_window",
    )
    assert (delivery := delivery_of(document)) is not None and delivery.state == "sent"
    await templated.handle(event)  # the bus redelivers: nothing more goes
    assert len(wechat.requests) == 1


async def test_past_the_windows_quota_the_next_message_goes_by_template(
    runtime: Runtime, wechat: FakeWeChat, templated: Sender, keys: Keys, clock: FakeClock
) -> None:
    await worker_wrote(runtime, wechat)
    for number in range(6):
        await templated.handle(outbound(keys, f"第{number}条"))
    paths = [r.path.rsplit("/", 2)[-2] for r in wechat.requests]
    assert paths == ["custom"] * 5 + ["template"]
    assert all(r.errcode == 0 for r in wechat.requests)  # counted here, never refused by WeChat (45047)
    clock.advance(minutes=1)
    await worker_wrote(runtime, wechat)  # a message of the worker: a fresh quota
    await templated.handle(outbound(keys, "第六条"))
    assert wechat.requests[-1].path == "/cgi-bin/message/custom/send"


async def test_an_expired_token_42001_on_a_template_is_refreshed_once(
    runtime: Runtime, wechat: FakeWeChat, templated: Sender, keys: Keys, clock: FakeClock
) -> None:
    clock.advance(hours=49)
    await templated.handle(outbound(keys))
    # The token expires at WeChat while the store still trusts it (another replica's clock was ahead).
    clock.advance(seconds=TOKEN_LIFETIME.total_seconds())
    await runtime.db[TOKENS].update_one(
        {"_id": APP_ID}, {"$set": {"valid_until": clock() + timedelta(hours=1)}}
    )
    event = outbound(keys, "第二条")
    await templated.handle(event)
    assert [r.errcode for r in wechat.requests] == [0, 42001, 0]
    assert [r.token for r in wechat.requests] == ["ACCESS_TOKEN_1", "ACCESS_TOKEN_1", "ACCESS_TOKEN_2"]
    assert len(wechat.token_requests) == 2
    assert (await record(runtime, event))["status"] == "sent"


async def test_a_token_refused_twice_on_a_template_is_not_retried_in_a_loop(
    runtime: Runtime, wechat: FakeWeChat, templated: Sender, keys: Keys, clock: FakeClock
) -> None:
    clock.advance(hours=49)
    wechat.fail_next(42001, 42001)
    event = outbound(keys)
    with pytest.raises(TransientDeliveryError):
        await templated.handle(event)
    assert [r.errcode for r in wechat.requests] == [42001, 42001]
    assert (await record(runtime, event))["status"] == "released"  # the bus retries, with backoff


async def test_a_subscription_consent_is_used_once_then_the_next_message_waits(
    settings_factory: Callable[..., Settings],
    runtime: Runtime,
    wechat: FakeWeChat,
    session: aiohttp.ClientSession,
    keys: Keys,
    clock: FakeClock,
) -> None:
    sender = sender_for(
        runtime, wechat, session, policy(settings_factory, wechat_subscribe_template_id=SUBSCRIPTION)
    )
    consents = Consents(runtime.db)
    await consents.record(
        "consent-1", reporter_key=key_of(keys), code=CODE, template_id=SUBSCRIPTION, at=clock()
    )
    wechat.grant(WORKER, SUBSCRIPTION, scene=SCENE)
    clock.advance(hours=49)
    first, second = outbound(keys), outbound(keys, "第二条")
    await sender.handle(first)
    await sender.handle(second)
    (sent,) = wechat.requests
    assert sent.path == "/cgi-bin/message/template/subscribe" and sent.errcode == 0
    assert sent.body["url"] == f"{STATUS_URL}/case/?code={CODE}" and sent.body["scene"] == str(SCENE)
    assert CODE in sent.body["data"]["content"]["value"] and REPLY not in json.dumps(
        sent.body, ensure_ascii=False
    )
    assert (await record(runtime, first))["notice"] == "subscription"
    assert (await record(runtime, second))["status"] == "waiting"
    assert await consents.unused(key_of(keys)) == 0


async def test_a_consent_wechat_does_not_hold_is_spent_and_the_message_waits(
    settings_factory: Callable[..., Settings],
    runtime: Runtime,
    wechat: FakeWeChat,
    session: aiohttp.ClientSession,
    keys: Keys,
    clock: FakeClock,
) -> None:
    sender = sender_for(
        runtime, wechat, session, policy(settings_factory, wechat_subscribe_template_id=SUBSCRIPTION)
    )
    consents = Consents(runtime.db)
    await consents.record(
        "consent-1", reporter_key=key_of(keys), code=CODE, template_id=SUBSCRIPTION, at=clock()
    )
    clock.advance(hours=49)
    event = outbound(keys)
    await sender.handle(event)
    assert [r.errcode for r in wechat.requests] == [43101]
    assert (await record(runtime, event))["status"] == "waiting"
    assert await consents.unused(key_of(keys)) == 0


async def test_a_consent_is_given_back_when_the_send_fails_for_now(
    settings_factory: Callable[..., Settings],
    runtime: Runtime,
    wechat: FakeWeChat,
    session: aiohttp.ClientSession,
    keys: Keys,
    clock: FakeClock,
) -> None:
    sender = sender_for(
        runtime, wechat, session, policy(settings_factory, wechat_subscribe_template_id=SUBSCRIPTION)
    )
    consents = Consents(runtime.db)
    await consents.record(
        "consent-1", reporter_key=key_of(keys), code=CODE, template_id=SUBSCRIPTION, at=clock()
    )
    wechat.grant(WORKER, SUBSCRIPTION, scene=SCENE)
    clock.advance(hours=49)
    wechat.fail_next(45009)  # a daily limit: transient
    event = outbound(keys)
    with pytest.raises(TransientDeliveryError):
        await sender.handle(event)
    assert await consents.unused(key_of(keys)) == 1
    await sender.handle(event)  # the bus's retry
    assert [r.errcode for r in wechat.requests] == [45009, 0]
    assert (await record(runtime, event))["notice"] == "subscription"


async def test_waiting_messages_go_in_order_within_the_quota_and_the_rest_wait_for_the_next_message(
    runtime: Runtime, wechat: FakeWeChat, session: aiohttp.ClientSession, keys: Keys, clock: FakeClock
) -> None:
    sender = sender_for(runtime, wechat, session)
    events = [outbound(keys, f"回复{number}") for number in range(7)]
    for event in events:
        clock.advance(seconds=1)
        await sender.handle(event)
    assert wechat.requests == []
    waiting = WaitingMessages(runtime.db, runtime.keys, runtime.clock, sender.handle)
    await worker_wrote(runtime, wechat)
    assert await waiting.flush(key_of(keys)) == 7  # each handed once; two past the quota wait again
    assert [r.body["text"]["content"] for r in wechat.requests] == [f"回复{n}" for n in range(5)]
    assert [(await record(runtime, e))["status"] for e in events] == ["sent"] * 5 + ["waiting"] * 2
    assert await waiting.flush(key_of(keys)) == 2 and len(wechat.requests) == 5  # no new message yet
    clock.advance(minutes=1)
    await worker_wrote(runtime, wechat)
    await waiting.flush(key_of(keys))
    assert [r.body["text"]["content"] for r in wechat.requests][5:] == ["回复5", "回复6"]
    assert await waiting.flush(key_of(keys)) == 0


async def test_a_waiting_message_whose_send_fails_for_now_waits_again(
    runtime: Runtime, wechat: FakeWeChat, session: aiohttp.ClientSession, keys: Keys, clock: FakeClock
) -> None:
    sender = sender_for(runtime, wechat, session)
    first, second = outbound(keys, "第一条"), outbound(keys, "第二条")
    await sender.handle(first)
    clock.advance(seconds=1)
    await sender.handle(second)
    waiting = WaitingMessages(runtime.db, runtime.keys, runtime.clock, sender.handle)
    await worker_wrote(runtime, wechat)
    wechat.fail_next(45009)
    assert await waiting.flush(key_of(keys)) == 0  # the first failed: the second stays behind it
    assert [(await record(runtime, e))["status"] for e in (first, second)] == ["waiting", "waiting"]
    await waiting.flush(key_of(keys))
    assert [r.body["text"]["content"] for r in wechat.sent] == ["第一条", "第二条"]


# --- through the application: the webhook's next message sends what waits ----------------------------


@pytest.fixture
async def account_api(clock: FakeClock) -> AsyncIterator[FakeWeChat]:
    """WeChat's API for the account the webhook's pushes come from."""
    async with FakeWeChat(clock, app_id=PUSH_APP_ID, secret=SECRET) as fake:
        fake.follow(WORKER_OPENID)
        yield fake


async def test_without_a_template_the_reply_waits_and_goes_once_on_the_next_message_pushed_twice(
    settings_factory: Callable[..., Settings],
    runtime: Runtime,
    memory_bus: MemoryBus,
    account_api: FakeWeChat,
    keys: Keys,
    clock: FakeClock,
) -> None:
    settings = wechat_settings(
        settings_factory, wechat_appsecret=SECRET, wechat_api_base=account_api.base_url
    )
    async with serve(settings, runtime) as client:
        replies = [outbound(keys, text, contact=WORKER_OPENID) for text in (REPLY, "第二条回复")]
        for reply in replies:
            clock.advance(seconds=1)
            await memory_bus.publish(reply)
            await memory_bus.drain()
        assert account_api.requests == []
        assert [(await record(runtime, e))["status"] for e in replies] == ["waiting", "waiting"]

        clock.advance(hours=50)
        account_api.user_wrote(WORKER_OPENID)  # WeChat's own record of the message below
        push = pusher().push(text_xml("还没有人来修"))
        for _ in range(2):  # WeChat's retry: the same push again sends nothing more
            assert (await post_push(client, push)).status == 200
            await client.app[WAITING].idle()
            assert len(account_api.requests) == 2
        await memory_bus.drain()
    assert [r.body["text"]["content"] for r in account_api.requests] == [REPLY, "第二条回复"]
    assert all(r.errcode == 0 and r.body["touser"] == WORKER_OPENID for r in account_api.requests)
    assert [(await record(runtime, e))["status"] for e in replies] == ["sent", "sent"]
    states = [
        e.state
        for e in memory_bus.published
        if isinstance(e, MessageDeliveryChanged) and e.outbound_id == replies[0].id
    ]
    assert "waiting_for_worker" in states and states[-1] == "sent"


async def test_a_waiting_message_is_resealed_by_a_key_rotation_and_sent_with_the_new_key_alone(
    settings_factory: Callable[..., Settings],
    runtime: Runtime,
    wechat: FakeWeChat,
    session: aiohttp.ClientSession,
    keys: Keys,
) -> None:
    old_keys = load_keys(settings_factory(contact_key=OLD_KEY))
    event = outbound(old_keys)
    await ensure_indexes(runtime.db, store.INDEXES)
    rotating = load_keys(settings_factory(contact_key=NEW_KEY, contact_key_previous=OLD_KEY))
    before = Runtime(runtime.settings, runtime.bus, runtime.db, old_keys, runtime.clock)
    await sender_for(before, wechat, session).handle(event)
    assert (await record(runtime, event))["status"] == "waiting"

    rotation = Rotation(rotating)
    assert await store.reseal_waiting(runtime.db, rotation.new_seal) == (1, 0)
    assert await store.reseal_waiting(runtime.db, Rotation(rotating).new_seal) == (0, 0)  # done

    new_only = load_keys(settings_factory(contact_key=NEW_KEY))
    after = Runtime(runtime.settings, runtime.bus, runtime.db, new_only, runtime.clock)
    await worker_wrote(after, wechat)
    sender = sender_for(after, wechat, session)
    assert await WaitingMessages(after.db, new_only, after.clock, sender.handle).flush(key_of(new_only)) == 1
    assert [r.body["text"]["content"] for r in wechat.sent] == [REPLY]
