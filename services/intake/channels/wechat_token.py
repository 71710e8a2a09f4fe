"""The one owner of an Official Account's access_token, through ``cgi-bin/stable_token``.

Every WeChat send needs an access_token, and fetching one carelessly breaks the others: the classic
``cgi-bin/token`` invalidates the previous token on each call. ``stable_token`` in normal mode hands
back the same token while it is valid (WeChat renews it in its last five minutes), so this source
fetches it once, keeps it until ``expires_in`` minus a margin, and lets concurrent callers share one
fetch. A send that is told the token is invalid or expired (40001, 40014, 42001) hands it back with
:meth:`StableTokenSource.invalidate`; the next call fetches again. Should WeChat keep returning the
rejected token, one forced refresh is allowed, at most once per ``force_interval`` and 20 times per
UTC day (WeChat's own limits), never in a loop.

Errors while fetching are transient: wrong AppID/secret or an IP not on the allow-list are for an
operator to fix, and the worker's message must wait, not be dropped. The token and the secret are
never logged.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import aiohttp
import structlog

from services.intake.channels.delivery import TransientDeliveryError
from services.intake.channels.provider_http import ProviderRequest, exchange

log = structlog.get_logger(__name__)

API_BASE = "https://api.weixin.qq.com"
FORCED_REFRESHES_PER_DAY = 20


def stable_token_request(api_base: str, app_id: str, secret: str, *, force_refresh: bool) -> ProviderRequest:
    """The ``POST cgi-bin/stable_token`` request for ``app_id``."""
    body = {
        "grant_type": "client_credential",
        "appid": app_id,
        "secret": secret,
        "force_refresh": force_refresh,
    }
    return ProviderRequest(
        "POST",
        f"{api_base.rstrip('/')}/cgi-bin/stable_token",
        {"Content-Type": "application/json"},
        json.dumps(body).encode(),
    )


class StableTokenSource:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        app_id: str,
        secret: str,
        api_base: str = API_BASE,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        margin: timedelta = timedelta(minutes=5),
        force_interval: timedelta = timedelta(seconds=30),
    ) -> None:
        self._session = session
        self._app_id = app_id
        self._secret = secret
        self._api_base = api_base
        self._clock = clock
        self._margin = margin
        self._force_interval = force_interval
        self._lock = asyncio.Lock()
        self._token: str | None = None
        self._valid_until = datetime.min.replace(tzinfo=UTC)
        self._rejected: str | None = None
        self._forced: list[datetime] = []

    async def token(self) -> str:
        """A token believed valid: the cached one, or one fetched now (concurrent callers share it)."""
        async with self._lock:
            if self._token is not None and self._clock() < self._valid_until:
                return self._token
            token = await self._fetch(force_refresh=False)
            if token == self._rejected and self._may_force():
                self._forced.append(self._clock())
                log.warning("wechat_token_forced_refresh")
                token = await self._fetch(force_refresh=True)
            return token

    def invalidate(self, token: str) -> None:
        """WeChat refused ``token``: forget it (unless another caller already replaced it)."""
        self._rejected = token
        if token == self._token:
            self._token = None

    def _may_force(self) -> bool:
        now = self._clock()
        self._forced = [at for at in self._forced if at.date() == now.date()]
        if len(self._forced) >= FORCED_REFRESHES_PER_DAY:
            return False
        return not self._forced or now - self._forced[-1] >= self._force_interval

    async def _fetch(self, *, force_refresh: bool) -> str:
        request = stable_token_request(
            self._api_base, self._app_id, self._secret, force_refresh=force_refresh
        )
        answer = await exchange(self._session, request)
        token = answer.payload.get("access_token")
        expires_in = answer.payload.get("expires_in")
        if not isinstance(token, str) or not token or not isinstance(expires_in, int) or expires_in <= 0:
            errcode = answer.payload.get("errcode")
            raise TransientDeliveryError(
                f"wechat_token_{errcode if isinstance(errcode, int) else answer.status}"
            )
        self._token = token
        self._valid_until = self._clock() + max(timedelta(seconds=expires_in) - self._margin, timedelta(0))
        return token
