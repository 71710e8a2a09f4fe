"""Waiting for asynchronous outcomes in tests: the broker, consumers and sweepers run on their own."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import TypeVar, overload

T = TypeVar("T")


# The result is the first truthy one, so never None: a check may answer None for "not yet".
@overload
async def eventually(
    check: Callable[[], Awaitable[T | None]], seconds: float = ..., interval: float = ...
) -> T: ...


@overload
async def eventually(check: Callable[[], T | None], seconds: float = ..., interval: float = ...) -> T: ...


async def eventually(
    check: Callable[[], T | Awaitable[T | None] | None], seconds: float = 15.0, interval: float = 0.05
) -> T:
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
