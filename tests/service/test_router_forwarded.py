"""The public status page's per-client limit behind the proxy: each client the proxy names counts on
its own, and a header from anyone but the proxy changes nothing."""

from __future__ import annotations

from shared.runtime import Runtime
from tests.service.router_support import RouterClient, serve

STATUS = "/api/v1/status/ABCDE-FGHJK"


async def statuses(client: RouterClient, forwarded_for: str | None, times: int) -> list[int]:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return [
        (await client.post(STATUS, json={"pin": "1234567890"}, headers=headers)).status for _ in range(times)
    ]


async def test_clients_behind_the_trusted_proxy_have_their_own_limits(runtime: Runtime) -> None:
    settings = runtime.settings.model_copy(update={"trusted_proxies": "127.0.0.1", "status_rate_limit": 2})
    async with serve(Runtime(settings, runtime.bus, runtime.db, runtime.keys, runtime.clock)) as client:
        assert await statuses(client, "198.51.100.7", 3) == [404, 404, 429]
        assert await statuses(client, "198.51.100.8", 1) == [404]  # another worker, not the same bucket


async def test_without_a_trusted_proxy_the_header_is_ignored(runtime: Runtime) -> None:
    settings = runtime.settings.model_copy(update={"status_rate_limit": 2})
    async with serve(Runtime(settings, runtime.bus, runtime.db, runtime.keys, runtime.clock)) as client:
        assert await statuses(client, "198.51.100.7", 2) == [404, 404]
        assert await statuses(client, "198.51.100.8", 1) == [429]  # a new header is not a new client
