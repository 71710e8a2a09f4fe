"""A test server that serves like production: the same runner options as every service.

aiohttp's ``TestServer`` accepts runner options in its constructor but never uses them, and it cancels
a handler whose client hangs up, which production does not. The runner here gets the options the
services run with (:data:`shared.web.RUNNER_OPTIONS`).
"""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestServer
from aiohttp.web_runner import BaseRunner

from shared.web import RUNNER_OPTIONS


class ServiceServer(TestServer):
    async def _make_runner(self, **kwargs: Any) -> BaseRunner:
        return await super()._make_runner(**{**kwargs, **RUNNER_OPTIONS})
