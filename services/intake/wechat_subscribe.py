"""``GET /wechat/subscribe`` and ``GET /wechat/subscribed``: a worker opts in to one notice of a case.

Outside the 48 h window, and without a template message, a WeChat worker can still be told there is
news through a one-time subscription message (一次性订阅消息), if they agreed to one. The worker page
links to ``/wechat/subscribe?code=<case code>``; intake answers with a redirect to WeChat's confirm
page (``mp.weixin.qq.com/mp/subscribemsg?action=get_confirm&appid&scene&template_id&redirect_url
&reserved#wechat_redirect``). The worker taps agree or cancel, and WeChat sends the browser back to
``/wechat/subscribed`` with ``openid``, ``template_id``, ``action`` (``confirm`` or ``cancel``),
``scene`` and ``reserved`` as given.

``reserved`` is our state: the case code, an expiry (an hour) and an HMAC over both under the
pseudonym key, 48 letters and digits (WeChat takes up to 128 of ``[A-Za-z0-9]``). A confirmation is
kept only when the state verifies, has not expired, and names our template and scene; it is recorded
under the reporter key of the OpenID (:mod:`services.intake.wechat_consents`), never the OpenID, so
the notice can only ever go to a case's own contact. The OpenID in the redirect is not signed by
WeChat: a forged one records a consent no case of anyone else can use, and WeChat itself refuses a
notice the worker did not agree to (43101). Each address may record 30 consents an hour.

The answers are short pages in Chinese and English at once (the worker arrives from WeChat's page,
with no language chosen); a bad or expired link is a 400 page that says to open it again.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape
from urllib.parse import urlencode

import structlog
from aiohttp import web

from services.intake.state import INTAKE, IntakeState
from services.intake.wechat_consents import Consents
from services.intake.wechat_notice import SCENE
from services.intake.wechat_store import reporter_identity
from shared.ids import is_case_code
from shared.pages import HEADERS
from shared.privacy import Keys, keyed_digest, reporter_key
from shared.ratestore import Limit
from shared.store import PyMongoError

log = structlog.get_logger(__name__)

CONFIRM_PAGE = "https://mp.weixin.qq.com/mp/subscribemsg"
STATE_LIFETIME = timedelta(hours=1)
CONSENT_LIMIT = Limit("wechat-consent-client", 30, timedelta(hours=1))
_MAC = 32
_OPENID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_STATE = re.compile(r"^[0-9A-Z]{6}[0-9]{10}[0-9a-f]{32}$")


# --- the state WeChat carries back (pure) ----------------------------------------------------------


def sign_state(keys: Keys, code: str, expires: datetime) -> str:
    """``reserved``: the code, when it expires (Unix seconds) and their HMAC, letters and digits."""
    seconds = f"{int(expires.timestamp()):010d}"
    return code + seconds + keyed_digest(keys, "wechat-subscribe", code, seconds)[:_MAC]


def opened_state(keys: Keys, reserved: str, now: datetime) -> str | None:
    """The case code of a state this server signed and that has not expired; None otherwise."""
    if not _STATE.match(reserved):
        return None
    code, seconds, mac = reserved[:6], reserved[6:16], reserved[16:]
    expected = keyed_digest(keys, "wechat-subscribe", code, seconds)[:_MAC]
    if not hmac.compare_digest(mac, expected) or int(seconds) <= now.timestamp():
        return None
    return code


def confirm_url(app_id: str, template_id: str, redirect_url: str, reserved: str) -> str:
    """WeChat's confirm page for one subscription message of ``template_id``, in its documented order."""
    query = urlencode(
        {
            "action": "get_confirm",
            "appid": app_id,
            "scene": str(SCENE),
            "template_id": template_id,
            "redirect_url": redirect_url,
            "reserved": reserved,
        }
    )
    return f"{CONFIRM_PAGE}?{query}#wechat_redirect"


# --- the pages -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    zh: str
    en: str


NOT_OFFERED = Page("此服务号暂不提供订阅通知。", "This account does not offer notices yet.")
BAD_CODE = Page(
    "链接中的案件编号无效，请从案件页面重新打开。",
    "The case code in this link is not valid: open it again from your case page.",
)
BAD_LINK = Page(
    "此链接无效或已过期，请从案件页面重新打开。",
    "This link is not valid or has expired: open it again from your case page.",
)
TOO_MANY = Page("请求太频繁，请稍后再试。", "Too many requests; please try again later.")
UNAVAILABLE = Page(
    "暂时无法保存，请稍后再试。", "This could not be saved just now; please try again shortly."
)
CONSENTED = Page(
    "已订阅：案件 {code} 有新消息时，我们会通过微信通知您一次。消息内容只显示在案件页面上。",
    "Subscribed: when there is news on case {code}, WeChat will tell you once. The message itself "
    "shows only on your case page.",
)
CANCELLED = Page(
    "未订阅。您随时可以在微信中给我们发消息，或打开案件页面查看进展。",
    "Not subscribed. You can write to us on WeChat at any time, or open your case page for news.",
)


def page(text: Page, status: int = 200, **values: str) -> web.Response:
    """A short page in both languages at once; nothing from the request but escaped ``values``."""
    safe = {name: escape(value) for name, value in values.items()}
    html = (
        '<!doctype html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<title>订阅通知 / Notices</title>\n</head>\n<body>\n<main>\n"
        f"<p>{escape(text.zh).format(**safe)}</p>\n"
        f'<p lang="en">{escape(text.en).format(**safe)}</p>\n'
        "</main>\n</body>\n</html>\n"
    )
    response = web.Response(text=html, content_type="text/html", charset="utf-8", status=status)
    response.headers.update(HEADERS)
    return response


def _one(request: web.Request, name: str) -> str | None:
    values = request.rel_url.query.getall(name, [])
    return values[0] if len(values) == 1 else None


def _offered(intake: IntakeState) -> tuple[str, str] | None:
    settings = intake.settings
    if settings.wechat_appid is None or settings.wechat_subscribe_template_id is None:
        return None
    return settings.wechat_appid, settings.wechat_subscribe_template_id


async def wechat_subscribe(request: web.Request) -> web.StreamResponse:
    """To WeChat's confirm page for the case's code, with a signed state."""
    intake = request.app[INTAKE]
    offered = _offered(intake)
    if offered is None:
        return page(NOT_OFFERED, 404)
    code = (_one(request, "code") or "").strip().upper()
    if not is_case_code(code):
        return page(BAD_CODE, 400)
    reserved = sign_state(intake.keys, code, intake.clock() + STATE_LIFETIME)
    redirect = f"{intake.public_base_url}/wechat/subscribed"
    raise web.HTTPFound(confirm_url(*offered, redirect, reserved), headers=HEADERS)


async def wechat_subscribed(request: web.Request) -> web.Response:
    """WeChat's redirect back: record a confirmation whose state verifies, and say so."""
    intake = request.app[INTAKE]
    offered = _offered(intake)
    if offered is None:
        return page(NOT_OFFERED, 404)
    keys, now = intake.keys, intake.clock()
    fields = {name: _one(request, name) for name in ("openid", "template_id", "action", "scene", "reserved")}
    code = opened_state(keys, fields["reserved"] or "", now)
    openid = fields["openid"] or ""
    if (
        code is None
        or fields["template_id"] != offered[1]
        or fields["scene"] != str(SCENE)
        or fields["action"] not in ("confirm", "cancel")
        or not _OPENID.match(openid)
    ):
        log.warning("wechat_consent_refused", check="state_or_query")
        return page(BAD_LINK, 400)
    if fields["action"] == "cancel":
        return page(CANCELLED)
    try:
        if await intake.rates.hit(CONSENT_LIMIT, request.remote or "unknown") is not None:
            return page(TOO_MANY, 429)
        await Consents(intake.db).record(
            keyed_digest(keys, "wechat-consent", fields["reserved"] or "", openid),
            reporter_key=reporter_key(keys, reporter_identity(openid)),
            code=code,
            template_id=offered[1],
            at=now,
        )
    except PyMongoError as exc:
        log.warning("wechat_consent_not_recorded", error=exc.__class__.__name__)
        return page(UNAVAILABLE, 503)
    log.info("wechat_consent_recorded")
    return page(CONSENTED, code=code)
