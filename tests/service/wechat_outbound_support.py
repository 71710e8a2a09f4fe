"""The sender's WeChat leg as the application wires it, for tests against the local WeChat server."""

from __future__ import annotations

import uuid
from typing import Any

import aiohttp

from services.intake import store
from services.intake.channels.wechat_api import WeChatApi
from services.intake.channels.wechat_token import SharedTokenSource
from services.intake.sender import Sender
from services.intake.wechat_consents import Consents
from services.intake.wechat_fallback import OutsideWindow
from services.intake.wechat_notice import NoticePolicy
from services.intake.wechat_outbound import WeChatChannel
from services.intake.wechat_store import ServiceWindows, TokenCache, reporter_identity
from shared.contracts import MessageOutbound
from shared.privacy import Keys, reporter_key, seal
from shared.runtime import Runtime
from tests.fakes import sensitive
from tests.providers.wechat import FakeWeChat

APP_ID, SECRET = "wx2c2769f8efd9abc2", sensitive("wechat-app-secret-0123456789")
WORKER = sensitive("oyORnuP8q7ou2gfYjqLzSIWZf0rs")
REPLY = sensitive("委员会已收到您的反馈，将在两天内答复。")


def outbound(
    keys: Keys, text: str = REPLY, *, contact: str = WORKER, channel: str = "wechat"
) -> MessageOutbound:
    return MessageOutbound(
        correlation_id=uuid.uuid4(),
        channel=channel,
        sealed_contact=seal(keys, contact),
        text=text,
        language="zh",
        reference="ABCDE-FGHJK",
        case_id=str(uuid.uuid4()),
        purpose="committee_reply",
    )


def tokens_for(runtime: Runtime, wechat: FakeWeChat, session: aiohttp.ClientSession) -> SharedTokenSource:
    """One replica's token source: the store is the runtime's, shared with every other replica."""
    return SharedTokenSource(
        session,
        TokenCache(runtime.db),
        runtime.keys,
        app_id=APP_ID,
        secret=SECRET,
        api_base=wechat.base_url,
        clock=runtime.clock,
        poll=0.01,
    )


def sender_for(
    runtime: Runtime, wechat: FakeWeChat, session: aiohttp.ClientSession, policy: NoticePolicy | None = None
) -> Sender:
    """The sender's WeChat leg as ``wechat_channel`` wires it; no notice unless ``policy`` has one."""
    policy = policy or NoticePolicy.of(runtime.settings)
    api = WeChatApi(session, tokens_for(runtime, wechat, session), api_base=wechat.base_url)
    outside = OutsideWindow(runtime.db, runtime.keys, runtime.clock, api, policy, Consents(runtime.db))
    channel = WeChatChannel(
        api, ServiceWindows(runtime.db), runtime.keys, APP_ID, outside, quota=policy.window_quota
    )
    return Sender(runtime.db, runtime.keys, runtime.clock, None, None, wechat=channel)


async def worker_wrote(runtime: Runtime, wechat: FakeWeChat, openid: str = WORKER) -> None:
    """What the webhook records, and what WeChat itself knows, when the worker writes."""
    await ServiceWindows(runtime.db).opened(
        reporter_key(runtime.keys, reporter_identity(openid)), runtime.clock()
    )
    wechat.user_wrote(openid)


async def record(runtime: Runtime, event: MessageOutbound) -> dict[str, Any]:
    document = await store.outbound_for_event(runtime.db, str(event.id))
    assert document is not None
    return document
