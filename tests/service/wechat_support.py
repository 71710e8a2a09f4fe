"""Helpers for the WeChat webhook's tests: an account's settings, pushes as WeChat builds them, XML.

Pushes come from :class:`tests.providers.wechat_push.WeChatPusher`, whose signatures and cipher are
pinned to WeChat's published vectors by ``tests/unit/test_wechat_crypto.py``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any
from xml.sax.saxutils import escape

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from services.intake.channels.wechat_crypto import aes_key, decrypt, msg_signature
from services.intake.channels.wechat_messages import xml_fields
from shared.settings import Settings
from tests.fakes import WORKER_OPENID
from tests.providers.wechat_push import Mode, Push, WeChatPusher

PATH = "/webhooks/wechat"
TOKEN = "wechat-test-token-0123456789abc"
APP_ID = "wx5f3c1d2e4b6a7980"
ACCOUNT = "gh_7f083739789a"
AES_KEY = "Qk9vY2xpbmtzMDEyMzQ1Njc4OWFiY2RlZmdoaWprbG0"
OLD_AES_KEY = "T2xkS2V5Rm9yUm90YXRpb24wMTIzNDU2Nzg5YWJjZGU"
OTHER_AES_KEY = "U29tZW9uZUVsc2VzS2V5MDEyMzQ1Njc4OWFiY2RlZmc"
_MSG_IDS = itertools.count(24_000_000_000_000_001)
_TIMES = itertools.count(1_772_438_400)


def wechat_settings(
    settings_factory: Callable[..., Settings], *, safe: bool = True, **overrides: Any
) -> Settings:
    values: dict[str, Any] = {"wechat_token": TOKEN, "wechat_appid": APP_ID}
    if safe:
        values["wechat_aes_key"] = AES_KEY
    values.update(overrides)
    return settings_factory(**values)


def pusher(*, key: str = AES_KEY, app_id: str = APP_ID, token: str = TOKEN) -> WeChatPusher:
    return WeChatPusher(token=token, app_id=app_id, encoding_aes_key=key, account=ACCOUNT)


def msg_id() -> int:
    return next(_MSG_IDS)


def text_xml(content: str, *, openid: str = WORKER_OPENID, message_id: int | None = None) -> bytes:
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{next(_TIMES)}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{escape(content)}</Content><MsgId>{message_id or msg_id()}</MsgId></xml>"
    ).encode()


def voice_xml(media_id: str, *, openid: str = WORKER_OPENID, recognition: str | None = None) -> bytes:
    heard = f"<Recognition><![CDATA[{recognition}]]></Recognition>" if recognition is not None else ""
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{next(_TIMES)}</CreateTime><MsgType><![CDATA[voice]]></MsgType>"
        f"<MediaId><![CDATA[{media_id}]]></MediaId><Format><![CDATA[amr]]></Format>{heard}"
        f"<MsgId>{msg_id()}</MsgId></xml>"
    ).encode()


def event_xml(
    event: str, *, openid: str = WORKER_OPENID, create_time: int | None = None, extra: str = ""
) -> bytes:
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{create_time or next(_TIMES)}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        f"<Event><![CDATA[{event}]]></Event>{extra}</xml>"
    ).encode()


async def post_push(
    client: TestClient[Any, Any], push: Push, *, content_type: str = "text/xml"
) -> ClientResponse:
    return await client.post(PATH, params=push.query, data=push.body, headers={"Content-Type": content_type})


async def send(
    client: TestClient[Any, Any], account: WeChatPusher, xml: bytes, *, mode: Mode = "safe"
) -> ClientResponse:
    return await post_push(client, account.push(xml, mode=mode))


def opened_reply(body: str, push: Push, *, key: str = AES_KEY) -> dict[str, str]:
    """The fields of an encrypted passive reply, after checking its signature as WeChat would."""
    outer = xml_fields(body.encode())
    query = push.query
    assert outer["TimeStamp"] == query["timestamp"] and outer["Nonce"] == query["nonce"]
    assert outer["MsgSignature"] == msg_signature(TOKEN, query["timestamp"], query["nonce"], outer["Encrypt"])
    return xml_fields(decrypt(aes_key(key), APP_ID, outer["Encrypt"]))
