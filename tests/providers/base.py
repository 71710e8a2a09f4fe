"""What every local provider shares: a real aiohttp server, served like production, with a clock."""

from __future__ import annotations

from typing import Self

from aiohttp import web

from tests.fakes import FakeClock
from tests.servers import ServiceServer


class FakeProvider:
    """An aiohttp application on a free local port; ``base_url`` is what a client is pointed at."""

    def __init__(self, clock: FakeClock | None = None) -> None:
        self.clock = clock or FakeClock()
        self.app = web.Application()
        self.server = ServiceServer(self.app)

    @property
    def base_url(self) -> str:
        return str(self.server.make_url("")).rstrip("/")

    async def __aenter__(self) -> Self:
        await self.server.start_server()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.server.close()
