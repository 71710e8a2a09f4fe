"""A local server that speaks WeChat's token and message-send APIs the way the research describes them.

- ``POST /cgi-bin/stable_token``: checks the AppID and secret (40013 / 40125); in normal mode returns
  the current token while it has more than five minutes left, else issues a new one (the old one
  stays valid until it expires); ``force_refresh`` issues a new token and revokes the old one.
- Every send checks ``access_token``: unknown or revoked gives 40001, expired gives 42001.
- ``message/custom/send``: only to a user who wrote within the last 48 h (else 45015), at most
  ``window_quota`` messages per user message (else 45047); an OpenID that never followed gives 40003.
- ``message/template/send``: the template must be registered (else 40037) and the user a follower
  (else 43004); each value must fit its key's kind as the console's template details list them
  (``thing``: 20 characters, ``character_string``: 32 letters, digits or punctuation, ``time``: a
  date and time such as 2026年12月01日 15:01), else 47003; answers a ``msgid``.
- ``message/template/subscribe`` (the one-time subscription message): needs a consent of the user
  for the template and scene (else 43101), a title of at most 15 characters and a content of at most
  200 (else 47003), and consumes the consent.

Every answer is HTTP 200 with an ``errcode``, as WeChat does. ``fail_next`` queues errcodes to answer
the next sends with, and ``requests`` records what arrived (path, JSON body, token) for assertions.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from tests.fakes import FakeClock
from tests.providers.base import FakeProvider

WINDOW = timedelta(hours=48)
TOKEN_LIFETIME = timedelta(seconds=7200)
RENEW_BEFORE = timedelta(minutes=5)


@dataclass
class Recorded:
    path: str
    body: dict[str, Any]
    token: str | None
    errcode: int = 0


@dataclass
class _Token:
    value: str
    issued_at: datetime
    revoked: bool = False


@dataclass
class _User:
    last_message_at: datetime | None = None
    sent_since: int = 0
    grants: dict[tuple[str, str], int] = field(default_factory=dict)


class FakeWeChat(FakeProvider):
    def __init__(
        self, clock: FakeClock | None = None, *, app_id: str, secret: str, window_quota: int = 5
    ) -> None:
        super().__init__(clock)
        self.app_id, self.secret, self.window_quota = app_id, secret, window_quota
        self.requests: list[Recorded] = []
        self.token_requests: list[dict[str, Any]] = []
        self.templates: set[str] = set()
        self.script: list[int] = []
        self._users: dict[str, _User] = {}
        self._tokens: dict[str, _Token] = {}
        self._current: _Token | None = None
        self._serial = itertools.count(1)
        self.app.router.add_post("/cgi-bin/stable_token", self._stable_token)
        self.app.router.add_post("/cgi-bin/message/custom/send", self._custom_send)
        self.app.router.add_post("/cgi-bin/message/template/send", self._template_send)
        self.app.router.add_post("/cgi-bin/message/template/subscribe", self._subscribe_send)

    # --- what a test sets up --------------------------------------------------------------------

    def follow(self, openid: str) -> None:
        self._users.setdefault(openid, _User())

    def user_wrote(self, openid: str) -> None:
        """The user sent us a message now: the 48 h window (re)opens with a fresh quota."""
        user = self._users.setdefault(openid, _User())
        user.last_message_at, user.sent_since = self.clock(), 0

    def unfollow(self, openid: str) -> None:
        self._users.pop(openid, None)

    def grant(self, openid: str, template_id: str, scene: int = 0) -> None:
        """The user confirmed one subscription message of ``template_id`` for ``scene``."""
        grants = self._users.setdefault(openid, _User()).grants
        key = (template_id, str(scene))
        grants[key] = grants.get(key, 0) + 1

    def fail_next(self, *errcodes: int) -> None:
        self.script.extend(errcodes)

    def revoke_tokens(self) -> None:
        """Every issued token stops working (as after a getAccessToken call elsewhere)."""
        for token in self._tokens.values():
            token.revoked = True
        self._current = None

    @property
    def sent(self) -> list[Recorded]:
        return [r for r in self.requests if r.errcode == 0]

    # --- the API --------------------------------------------------------------------------------

    async def _stable_token(self, request: web.Request) -> web.Response:
        body = await _json(request)
        self.token_requests.append(body)
        if body.get("grant_type") != "client_credential":
            return _errcode(40002)
        if body.get("appid") != self.app_id:
            return _errcode(40013)
        if body.get("secret") != self.secret:
            return _errcode(40125)
        now = self.clock()
        current = self._current
        if body.get("force_refresh") is True and current is not None:
            current.revoked = True
            current = None
        if current is None or current.revoked or current.issued_at + TOKEN_LIFETIME - now <= RENEW_BEFORE:
            current = _Token(f"ACCESS_TOKEN_{next(self._serial)}", now)
            self._tokens[current.value] = current
            self._current = current
        remaining = current.issued_at + TOKEN_LIFETIME - now
        return web.json_response(
            {"access_token": current.value, "expires_in": int(remaining.total_seconds())}
        )

    def _token_errcode(self, request: web.Request) -> int:
        token = self._tokens.get(request.query.get("access_token", ""))
        if token is None or token.revoked:
            return 40001
        if self.clock() >= token.issued_at + TOKEN_LIFETIME:
            return 42001
        return 0

    async def _send(self, request: web.Request, rule: Any) -> web.Response:
        body = await _json(request)
        errcode = self._token_errcode(request) or (self.script.pop(0) if self.script else 0) or rule(body)
        self.requests.append(Recorded(request.path, body, request.query.get("access_token"), errcode))
        if errcode:
            return _errcode(errcode)
        return web.json_response({"errcode": 0, "errmsg": "ok", "msgid": 200000 + len(self.requests)})

    async def _custom_send(self, request: web.Request) -> web.Response:
        return await self._send(request, self._custom_rule)

    def _custom_rule(self, body: dict[str, Any]) -> int:
        text = body.get("text")
        if body.get("msgtype") != "text" or not isinstance(text, dict) or not text.get("content"):
            return 47001
        user = self._users.get(str(body.get("touser")))
        if user is None:
            return 40003
        if user.last_message_at is None or self.clock() - user.last_message_at > WINDOW:
            return 45015
        if user.sent_since >= self.window_quota:
            return 45047
        user.sent_since += 1
        return 0

    async def _template_send(self, request: web.Request) -> web.Response:
        return await self._send(request, self._template_rule)

    def _template_rule(self, body: dict[str, Any]) -> int:
        if body.get("template_id") not in self.templates:
            return 40037
        if str(body.get("touser")) not in self._users:
            return 43004
        return 0 if _data_ok(body) and _values_fit(body["data"]) else 47003

    async def _subscribe_send(self, request: web.Request) -> web.Response:
        return await self._send(request, self._subscribe_rule)

    def _subscribe_rule(self, body: dict[str, Any]) -> int:
        user = self._users.get(str(body.get("touser")))
        key = (str(body.get("template_id")), str(body.get("scene")))
        if user is None or user.grants.get(key, 0) < 1:
            return 43101
        title = body.get("title")
        if not _data_ok(body) or set(body["data"]) != {"content"} or not isinstance(title, str):
            return 47003
        if not 0 < len(title) <= 15 or len(body["data"]["content"]["value"]) > 200:
            return 47003
        user.grants[key] -= 1
        return 0


def _data_ok(body: dict[str, Any]) -> bool:
    data = body.get("data")
    return isinstance(data, dict) and all(
        isinstance(entry, dict) and isinstance(entry.get("value"), str) and entry["value"]
        for entry in data.values()
    )


_TIME = re.compile(r"^\d{4}年\d{2}月\d{2}日 \d{2}:\d{2}$")
_CHARACTER_STRING = re.compile(r"^[A-Za-z0-9_\-.:/]{1,32}$")


def _values_fit(data: dict[str, Any]) -> bool:
    """Each template value within what its key's kind takes (the key's name without its number)."""
    for key, entry in data.items():
        value, kind = entry["value"], key.rstrip("0123456789")
        if kind == "thing" and len(value) > 20:
            return False
        if kind == "character_string" and not _CHARACTER_STRING.match(value):
            return False
        if kind == "time" and not _TIME.match(value):
            return False
    return True


async def _json(request: web.Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.read())
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _errcode(errcode: int) -> web.Response:
    return web.json_response({"errcode": errcode, "errmsg": f"fake error {errcode}"})
