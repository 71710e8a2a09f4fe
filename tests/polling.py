"""Waiting for asynchronous outcomes in tests: the broker, consumers and sweepers run on their own."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any


async def eventually(check: Callable[[], Any], seconds: float = 15.0, interval: float = 0.05) -> Any:
    """Poll ``check`` (plain or async) until it returns something truthy, and return that.

    There is no event to wait on: the outcome lives in the store, the broker or a fake server.
    """
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("the expected outcome did not happen in time")
        await asyncio.sleep(interval)
