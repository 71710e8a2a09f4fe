"""How every service listens: bounded time for each part of a request, bounded connections per client.

aiohttp on its own keeps a connection that sends half a request head open for its keep-alive timeout
(3 630 s by default), so 300 such connections hold 300 sockets for an hour. The bounds here:

- **Request head**: the first request's head must be complete within ``header_timeout`` of the
  connection opening (:class:`GuardedSite`'s protocol watches for the blank line that ends it;
  aiohttp has no such option).
- **Keep-alive**: a connection must bring its next complete request head within
  ``keepalive_timeout`` of the previous answer (aiohttp's own timer, which also closes a connection
  that dribbles the next head). Longer than the idle timeout of a proxy in front (nginx keeps idle
  upstream connections 60 s): if the service closed first, a proxy could send a request into a
  closing connection and answer 502.
- **Body**: :func:`shared.bodies.read_text_body` gives a body ``body_timeout`` to arrive, then 408;
  aiohttp then reads what is still coming for at most ``lingering_time`` and closes.
- **Per client**: at most ``per_client`` connections at once from one address; one more is closed
  on arrival. A trusted proxy's address is not counted (it carries every client's requests); the
  clients it names are, request by request, by :mod:`shared.edge`.

:data:`RUNNER_OPTIONS` (via :mod:`shared.web`) carries aiohttp's part to every runner;
:class:`GuardedSite` replaces ``web.TCPSite`` to add the head timeout and the per-client bound.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from yarl import URL

from shared.metrics import count_closed


@dataclass(frozen=True)
class ConnectionLimits:
    header_timeout: float = 10.0  # a head is a few hundred bytes: seconds even on 2G
    body_timeout: float = 30.0  # 64 KiB at 2G's few KB/s; the admin's 1 MiB registry on a LAN
    keepalive_timeout: float = 75.0  # above nginx's 60 s upstream idle timeout (see above)
    lingering_time: float = 5.0  # aiohttp's default is 10 s
    per_client: int = 64  # far above a browser's 6 or a gateway's pool, far below a slow-loris
    # The reverse proxy carries every client's requests: it is bounded by its own upstream cap, and
    # its clients by the proxy's per-client limits, so its address is not counted here.
    unbounded: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()

    def bounds(self, address: str) -> bool:
        """Whether connections from ``address`` count against ``per_client``."""
        if not self.unbounded:
            return True
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return True
        return not any(ip in network for network in self.unbounded)


LIMITS = ConnectionLimits()


def limits_for(
    per_client: int, trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
) -> ConnectionLimits:
    """The bounds of a service's listener: the default timeouts, its per-client cap, its proxies."""
    return ConnectionLimits(per_client=per_client, unbounded=trusted_proxies)


def runner_options(limits: ConnectionLimits = LIMITS) -> dict[str, Any]:
    """aiohttp's part of the bounds, as keyword arguments of ``web.AppRunner`` (and ``run_app``)."""
    return {"keepalive_timeout": limits.keepalive_timeout, "lingering_time": limits.lingering_time}


class _Clients:
    """Open connections per client address, for one listener."""

    def __init__(self, limits: ConnectionLimits) -> None:
        self.limits = limits
        self.per_client = limits.per_client
        self.open: Counter[str] = Counter()

    def admit(self, address: str) -> bool:
        if self.open[address] >= self.per_client and self.limits.bounds(address):
            return False
        self.open[address] += 1
        return True

    def release(self, address: str) -> None:
        self.open[address] -= 1
        if self.open[address] <= 0:
            del self.open[address]


class _Guard(asyncio.Protocol):
    """aiohttp's request handler behind two checks: the client's connection count, the head's clock.

    Every protocol event is passed on unchanged; the handler is only built for an admitted connection.
    """

    def __init__(
        self, make_handler: Callable[[], asyncio.Protocol], clients: _Clients, limits: ConnectionLimits
    ):
        self._make_handler = make_handler
        self._clients = clients
        self._limits = limits
        self._inner: asyncio.Protocol | None = None
        self._address = ""
        self._transport: asyncio.Transport | None = None
        self._head_timer: asyncio.TimerHandle | None = None
        self._tail = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)  # a TCP listener's connections are streams
        peer = transport.get_extra_info("peername")
        self._address = str(peer[0]) if isinstance(peer, tuple) and peer else str(peer or "")
        if not self._clients.admit(self._address):
            count_closed("per_client")
            transport.abort()
            return
        self._transport = transport
        loop = asyncio.get_running_loop()
        self._head_timer = loop.call_later(self._limits.header_timeout, self._head_too_slow)
        self._inner = self._make_handler()
        self._inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self._head_timer is not None:
            seen = self._tail + data
            if b"\n\r\n" in seen or b"\n\n" in seen:  # the blank line that ends a head
                self._stop_head_timer()
            else:
                self._tail = seen[-2:]
        if self._inner is not None:
            self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received() if self._inner is not None else None

    def connection_lost(self, exc: Exception | None) -> None:
        if self._inner is None:
            return
        self._stop_head_timer()
        self._clients.release(self._address)
        inner, self._inner = self._inner, None
        inner.connection_lost(exc)

    def pause_writing(self) -> None:
        if self._inner is not None:
            self._inner.pause_writing()

    def resume_writing(self) -> None:
        if self._inner is not None:
            self._inner.resume_writing()

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_too_slow(self) -> None:
        self._head_timer = None
        count_closed("head_timeout")
        if self._transport is not None:
            self._transport.abort()


class GuardedSite(web.BaseSite):
    """``web.TCPSite`` with the head timeout and the per-client bound; stopped by ``runner.cleanup()``.

    Built on aiohttp's public surface only: a ``BaseSite`` that the runner registers and stops, and
    the runner's ``server`` as the protocol factory that the guard wraps.
    """

    def __init__(
        self,
        runner: web.BaseRunner,
        host: str | None = None,
        port: int = 8080,
        *,
        limits: ConnectionLimits = LIMITS,
        backlog: int = 128,
    ) -> None:
        super().__init__(runner, backlog=backlog)
        self._guarded_runner = runner
        self._host, self._port, self._limits = host, port, limits
        self._backlog_size = backlog
        self._listener: asyncio.Server | None = None
        self.clients = _Clients(limits)

    @property
    def name(self) -> str:
        return str(URL.build(scheme="http", host=self._host or "0.0.0.0", port=self.port))  # noqa: S104 - names a bind, binds nothing

    @property
    def port(self) -> int:
        """The bound port (the asked one until started; the chosen one when 0 was asked)."""
        if self._listener is not None and self._listener.sockets:
            return int(self._listener.sockets[0].getsockname()[1])
        return self._port

    async def start(self) -> None:
        await super().start()
        server = self._guarded_runner.server
        if server is None:
            raise RuntimeError("call runner.setup() before starting a site")
        loop = asyncio.get_running_loop()
        self._listener = await loop.create_server(
            lambda: _Guard(server, self.clients, self._limits),
            self._host,
            self._port,
            backlog=self._backlog_size,
            reuse_address=True,
        )

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.close()
        await super().stop()
