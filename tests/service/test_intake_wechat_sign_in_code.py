"""A sign-in code to a WeChat worker, against the local WeChat server: a text inside the 48 h window;
outside it never a template notice (it would point to the page without the code): it waits for the
worker's next message, and is dropped as ``expired`` if that comes after the code's life."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import aiohttp
import pytest

from services.intake import store
from services.intake.delivery_state import delivery_of
from services.intake.sender import Sender
from services.intake.wechat_notice import NoticePolicy
from services.intake.wechat_store import INDEXES as WECHAT_INDEXES
from services.intake.wechat_store import reporter_identity
from services.intake.wechat_waiting import WaitingMessages, expired
from shared.contracts import SIGN_IN_CODE_LIFETIME, MessageOutbound
from shared.privacy import Keys, reporter_key
from shared.runtime import Runtime
from shared.settings import Settings
from shared.store import ensure_indexes
from tests.fakes import FakeClock
from tests.providers.wechat import FakeWeChat
from tests.service.wechat_outbound_support import (
    APP_ID,
    SECRET,
    WORKER,
    outbound,
    record,
    sender_for,
    worker_wrote,
)

TEMPLATE, SUBSCRIPTION = "TPL_CASE_NEWS_0001", "TPL_ONE_TIME_0001"
CODE = "604318"
TEXT = f"您的案件网页登录码：{CODE}，10分钟内有效。"


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
async def sender(
    settings_factory: Callable[..., Settings], runtime: Runtime, wechat: FakeWeChat, clock: FakeClock
) -> AsyncIterator[Sender]:
    # Both notices configured: a sign-in code must still go by neither.
    settings = settings_factory(wechat_template_id=TEMPLATE, wechat_subscribe_template_id=SUBSCRIPTION)
    async with aiohttp.ClientSession() as session:
        yield sender_for(runtime, wechat, session, NoticePolicy.of(settings))


def code_message(keys: Keys, clock: FakeClock) -> MessageOutbound:
    return outbound(keys, TEXT).model_copy(
        update={"purpose": "sign_in_code", "code": CODE, "occurred_at": clock()}
    )


def key_of(keys: Keys) -> str:
    return reporter_key(keys, reporter_identity(WORKER))


async def test_inside_the_window_the_code_goes_as_text(
    runtime: Runtime, wechat: FakeWeChat, sender: Sender, keys: Keys, clock: FakeClock
) -> None:
    await worker_wrote(runtime, wechat)
    event = code_message(keys, clock)
    await sender.handle(event)
    assert [(r.path, r.body.get("text")) for r in wechat.sent] == [
        ("/cgi-bin/message/custom/send", {"content": TEXT})
    ]
    assert (await record(runtime, event))["status"] == "sent"


async def test_outside_the_window_the_code_waits_and_goes_on_the_next_message(
    runtime: Runtime, wechat: FakeWeChat, sender: Sender, keys: Keys, clock: FakeClock
) -> None:
    await worker_wrote(runtime, wechat)
    clock.advance(hours=49)
    event = code_message(keys, clock)
    await sender.handle(event)
    assert wechat.requests == []  # no template, no subscription notice
    assert (await record(runtime, event))["status"] == "waiting"
    clock.advance(minutes=3)
    await worker_wrote(runtime, wechat)
    assert (
        await WaitingMessages(runtime.db, runtime.keys, runtime.clock, sender.handle).flush(key_of(keys)) == 1
    )
    assert [r.body["text"]["content"] for r in wechat.requests] == [TEXT]


async def test_a_code_that_waited_past_its_life_is_dropped_as_expired(
    runtime: Runtime, wechat: FakeWeChat, sender: Sender, keys: Keys, clock: FakeClock
) -> None:
    await worker_wrote(runtime, wechat)
    clock.advance(hours=49)
    event = code_message(keys, clock)
    await sender.handle(event)
    clock.advance(minutes=11)
    await worker_wrote(runtime, wechat)
    announced: list[int] = []
    waiting = WaitingMessages(
        runtime.db, runtime.keys, runtime.clock, sender.handle, lambda: announced.append(1)
    )
    assert await waiting.flush(key_of(keys)) == 0
    assert wechat.requests == [] and announced == [1]
    document = await record(runtime, event)
    assert (document["status"], document["reason"]) == ("undeliverable", "expired")
    assert (state := delivery_of(document)) is not None and state.error_code == "expired"


def test_only_a_sign_in_code_past_its_life_is_expired(keys: Keys, clock: FakeClock) -> None:
    code = code_message(keys, clock)
    reply = code.model_copy(update={"purpose": "committee_reply", "code": None})
    later = clock() + SIGN_IN_CODE_LIFETIME
    assert expired(code, later) and not expired(code, clock())
    assert not expired(reply, later)
