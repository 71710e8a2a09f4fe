"""A test server that serves like production: the same runner options as every service.

aiohttp's ``TestServer`` accepts runner options in its constructor but never uses them, and it cancels
a handler whose client hangs up, which production does not. The runner here gets the options the
services run with (:data:`shared.web.RUNNER_OPTIONS`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from aiohttp.web_runner import BaseRunner

from shared.ops import create_ops_app
from shared.web import RUNNER_OPTIONS, SERVICE


class ServiceServer(TestServer):
    async def _make_runner(self, **kwargs: Any) -> BaseRunner:
        return await super()._make_runner(**{**kwargs, **RUNNER_OPTIONS})


@asynccontextmanager
async def ops_client(app: web.Application) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    """A client of the operational endpoints (``/readyz``, ``/metrics``) of a started ``app``, on a
    server of their own as in production (:mod:`shared.ops`)."""
    async with TestClient(ServiceServer(create_ops_app({app[SERVICE]: app}))) as client:
        yield client
