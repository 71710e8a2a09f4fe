"""What every public application does first with a request: find the client, then bound what it holds.

The listener (:mod:`shared.listen`) caps the connections one address holds at once, but it cannot
count the clients of the reverse proxy: all of them arrive from the proxy's address, over a pool of
connections the proxy shares between them. So, once :func:`shared.forwarded.forwarded_client` has
named the client the proxy served, :func:`requests_per_client` caps the requests that client has in
progress at once, with the same bound: a client whose requests wait long (for a broker that does
not confirm, a store that is slow) holds at most that many of the service's handlers, and everyone
else is still served. Slow clients themselves stay at the proxy (Caddy passes a request on once its
body has arrived, and ends a slow head or body at its read timeouts). A direct client's requests are
bounded by its connections already, and count the same way; the proxy's own requests (it named
no client) are not counted, as the listener does not count its connections.
The refusal is worded in Chinese for a client whose Accept-Language prefers it: workers' browsers
meet it too, through the web form and the case page.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Sequence

from aiohttp import web

from shared.forwarded import Handler, Network, forwarded_client, is_trusted
from shared.validation import Language, language_of
from shared.web import Problem

Middleware = Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]


def too_many_at_once(limit: int, language: Language) -> str:
    """The 429's detail: how many requests one address may have in progress, in the reader's language."""
    if language == "zh":
        return f"同一地址同时最多只能有 {limit} 个请求，请稍后再试。"
    return f"at most {limit} requests at once from one address"


def requests_per_client(limit: int, trusted: Sequence[Network] = ()) -> Middleware:
    """Middleware: at most ``limit`` requests in progress at once per client address, then 429.

    A request that still comes from a trusted proxy's address named no client: the proxy's own, not
    counted, as the listener does not count the proxy's connections (it carries everyone's).
    """
    in_progress: Counter[str] = Counter()
    proxies = tuple(trusted)

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        client = request.remote or "unknown"
        if proxies and is_trusted(client, proxies):
            return await handler(request)
        if in_progress[client] >= limit:
            language = language_of(request.headers.get("Accept-Language"))
            problem = Problem(429, "Too Many Requests", too_many_at_once(limit, language))
            problem.headers["Retry-After"] = "1"
            raise problem
        in_progress[client] += 1
        try:
            return await handler(request)
        finally:
            in_progress[client] -= 1
            if not in_progress[client]:
                del in_progress[client]

    return middleware


def edge_middlewares(trusted: Sequence[Network], per_client: int) -> list[Middleware]:
    """The client behind a trusted proxy first, then that client's bound of requests at once."""
    return [forwarded_client(trusted), requests_per_client(per_client, trusted)]
