"""The client's address behind a trusted reverse proxy (``GRIEVANCE_TRUSTED_PROXIES``).

Behind the proxy every request comes from the proxy's address, so per-client limits (the public
status page's) would put every worker in one bucket. The proxy says whom it served in
``X-Forwarded-For``; that header is believed only from a trusted peer, since anyone else can write
it. Walking the header from the right (the hop nearest to us) past trusted proxies, the first
address that is not one is the client; a malformed entry ends the walk at the last address known
good, so a client cannot pick its own address by sending a header of its choice.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable, Sequence

from aiohttp import web

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def client_address(peer: str | None, forwarded_for: str | None, trusted: Sequence[Network]) -> str | None:
    """The client's address: ``peer`` unless it is a trusted proxy that named the client."""
    if peer is None or not trusted or not is_trusted(peer, trusted) or not forwarded_for:
        return peer
    address = peer
    for hop in reversed([part.strip() for part in forwarded_for.split(",")]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return address
        address = hop
        if not is_trusted(hop, trusted):
            return hop
    return address


def is_trusted(address: str, trusted: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def forwarded_client(
    trusted: Sequence[Network],
) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    """Middleware: ``request.remote`` is the client's address behind a trusted proxy."""
    networks = tuple(trusted)

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if networks:
            client = client_address(request.remote, request.headers.get("X-Forwarded-For"), networks)
            if client is not None and client != request.remote:
                request = request.clone(remote=client)
        return await handler(request)

    return middleware
