"""The one owner of an Official Account's access_token, through ``cgi-bin/stable_token``.

Every WeChat send needs an access_token, and fetching one carelessly breaks the others: the classic
``cgi-bin/token`` invalidates the previous token on each call. ``stable_token`` in normal mode hands
back the same token while it is valid (WeChat renews it in its last five minutes), so this source
fetches it once, keeps it until ``expires_in`` minus a margin, and lets concurrent callers share one
fetch. A send that is told the token is invalid or expired (40001, 40014, 42001) hands it back with
:meth:`StableTokenSource.invalidate`; the next call fetches again. Should WeChat keep returning the
rejected token, one forced refresh is allowed, at most once per ``force_interval`` and 20 times per
UTC day (WeChat's own limits), never in a loop.

:class:`SharedTokenSource` does the same for every replica at once: the token lives in the store
(sealed), one replica at a time holds the fetch lock (a lease, so a replica that dies frees it), the
others wait for its result instead of fetching their own, and the refused token and the day's forced
refreshes are counted there too.

Errors while fetching are transient: wrong AppID/secret or an IP not on the allow-list are for an
operator to fix, and the worker's message must wait, not be dropped. The token and the secret are
never logged.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import aiohttp
import structlog

from services.intake.channels.delivery import TransientDeliveryError
from services.intake.channels.provider_http import ProviderRequest, exchange
from shared.privacy import Keys, UnsealError, seal, unseal

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

    async def invalidate(self, token: str) -> None:
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
        token, expires_in = await fetch_stable_token(
            self._session, self._api_base, self._app_id, self._secret, force_refresh=force_refresh
        )
        self._token = token
        self._valid_until = self._clock() + max(expires_in - self._margin, timedelta(0))
        return token


async def fetch_stable_token(
    session: aiohttp.ClientSession, api_base: str, app_id: str, secret: str, *, force_refresh: bool
) -> tuple[str, timedelta]:
    """One ``stable_token`` call: the token and its remaining lifetime; transient on any refusal."""
    answer = await exchange(
        session, stable_token_request(api_base, app_id, secret, force_refresh=force_refresh)
    )
    token = answer.payload.get("access_token")
    expires_in = answer.payload.get("expires_in")
    if not isinstance(token, str) or not token or not isinstance(expires_in, int) or expires_in <= 0:
        errcode = answer.payload.get("errcode")
        raise TransientDeliveryError(f"wechat_token_{errcode if isinstance(errcode, int) else answer.status}")
    return token, timedelta(seconds=expires_in)


class TokenCache(Protocol):
    """The store's side of :class:`SharedTokenSource` (:class:`services.intake.wechat_store.TokenCache`)."""

    async def read(self, app_id: str) -> dict[str, Any]: ...

    async def lock(self, app_id: str, owner: str, now: datetime, lease: timedelta) -> bool: ...

    async def save(self, app_id: str, owner: str, values: dict[str, Any]) -> None: ...

    async def unlock(self, app_id: str, owner: str) -> None: ...

    async def reject(self, app_id: str, sealed_token: str, digest: str) -> None: ...


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _aware(at: Any) -> datetime | None:
    if not isinstance(at, datetime):
        return None
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


class SharedTokenSource:
    """The access_token of one AppID, fetched by one replica at a time and shared through the store."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        cache: TokenCache,
        keys: Keys,
        *,
        app_id: str,
        secret: str,
        api_base: str = API_BASE,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        margin: timedelta = timedelta(minutes=5),
        force_interval: timedelta = timedelta(seconds=30),
        lease: timedelta = timedelta(seconds=15),
        poll: float = 0.1,
    ) -> None:
        self._session, self._cache, self._keys = session, cache, keys
        self._app_id, self._secret, self._api_base = app_id, secret, api_base
        self._clock, self._margin, self._force_interval = clock, margin, force_interval
        self._lease, self._poll = lease, poll
        self._owner = uuid.uuid4().hex
        self._local = asyncio.Lock()  # one fetcher per process, too
        self._sealed: dict[str, str] = {}  # token -> its sealed form in the store

    async def token(self) -> str:
        """The stored token while valid; else one fetched under the lock, or by the lock's holder."""
        async with self._local:
            waited = timedelta(0)
            while True:
                record = await self._cache.read(self._app_id)
                token = self._valid(record)
                if token is not None:
                    return token
                if await self._cache.lock(self._app_id, self._owner, self._clock(), self._lease):
                    try:
                        return await self._refresh()
                    finally:
                        await self._cache.unlock(self._app_id, self._owner)
                if waited >= self._lease:
                    raise TransientDeliveryError("wechat_token_busy")
                await asyncio.sleep(self._poll)
                waited += timedelta(seconds=self._poll)

    async def invalidate(self, token: str) -> None:
        """WeChat refused ``token``: every replica forgets it (unless one already replaced it)."""
        await self._cache.reject(self._app_id, self._sealed.get(token, ""), _digest(token))

    def _valid(self, record: dict[str, Any]) -> str | None:
        sealed, until = record.get("token"), _aware(record.get("valid_until"))
        if not isinstance(sealed, str) or until is None or self._clock() >= until:
            return None
        try:
            token = unseal(self._keys, sealed)
        except UnsealError:
            return None  # sealed under a retired key: fetch again
        if record.get("rejected") == _digest(token):
            return None
        self._sealed = {token: sealed}
        return token

    async def _refresh(self) -> str:
        record = await self._cache.read(self._app_id)  # a replica may have refreshed meanwhile
        token = self._valid(record)
        if token is not None:
            return token
        token, lifetime = await self._fetch(force_refresh=False)
        forced = [at for at in (_aware(x) for x in record.get("forced", [])) if at is not None]
        now = self._clock()
        forced = [at for at in forced if at.date() == now.date()]
        if record.get("rejected") == _digest(token) and self._may_force(forced, now):
            forced.append(now)
            log.warning("wechat_token_forced_refresh")
            token, lifetime = await self._fetch(force_refresh=True)
        sealed = seal(self._keys, token)
        values = {
            "token": sealed,
            "valid_until": now + max(lifetime - self._margin, timedelta(0)),
            "forced": forced,
        }
        await self._cache.save(self._app_id, self._owner, values)
        self._sealed = {token: sealed}
        return token

    def _may_force(self, forced: list[datetime], now: datetime) -> bool:
        if len(forced) >= FORCED_REFRESHES_PER_DAY:
            return False
        return not forced or now - forced[-1] >= self._force_interval

    async def _fetch(self, *, force_refresh: bool) -> tuple[str, timedelta]:
        return await fetch_stable_token(
            self._session, self._api_base, self._app_id, self._secret, force_refresh=force_refresh
        )
