"""A test server that serves like production: the project's access log, not aiohttp's default one.

aiohttp's ``TestServer`` accepts runner options in its constructor but never uses them; they only
count when given to ``start_server``, which ``TestClient`` calls without any. This one passes them.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp.test_utils import TestServer

from shared.web import AccessLogger


class ServiceServer(TestServer):
    async def start_server(self, loop: asyncio.AbstractEventLoop | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("access_log_class", AccessLogger)
        await super().start_server(loop=loop, **kwargs)
