"""Publish each grievance once per process, however often its sender retries.

Gateways resend a webhook when our answer is slow or lost, and browsers resubmit forms. Requests for
the same grievance id share one publish: the first starts it, concurrent duplicates await the same
task, and later duplicates get the remembered result. A failed publish is forgotten at once so the
next retry publishes again. The memory is bounded (oldest results go first); beyond it, and across
replicas and restarts, the deterministic grievance ids let the router's idempotent upsert drop the
duplicate instead.

The first caller runs the work itself, with no task of its own (a task and a shield per request
cost more than the rest of the bookkeeping together). aiohttp does not cancel a handler whose client
went away (``handler_cancellation`` stays off), so a publish runs to its end; should the first
caller be cancelled anyway, say at shutdown, a duplicate waiting for it takes the work over.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

Result = TypeVar("Result")


class SingleFlight(Generic[Result]):
    """At most one run per key at a time; successful results remembered for up to ``capacity`` keys."""

    def __init__(self, capacity: int = 10_000) -> None:
        self._capacity = capacity
        self._done: OrderedDict[Hashable, Result] = OrderedDict()
        self._running: dict[Hashable, asyncio.Future[Result]] = {}

    def __len__(self) -> int:
        return len(self._done) + len(self._running)

    async def run(self, key: Hashable, work: Callable[[], Awaitable[Result]]) -> Result:
        """The result of ``work`` for ``key``: remembered, shared with a run in flight, or fresh."""
        while True:
            if key in self._done:
                self._done.move_to_end(key)
                return self._done[key]
            flight = self._running.get(key)
            if flight is None:
                break
            try:
                # Shielded: a duplicate that is cancelled must not cancel the run the others await.
                return await asyncio.shield(flight)
            except _Abandoned:
                pass  # the caller running it was cancelled: look again, and run the work if nobody does
        flight = self._running[key] = asyncio.get_running_loop().create_future()
        try:
            result = await work()
        except BaseException as exc:
            flight.set_exception(exc if isinstance(exc, Exception) else _Abandoned())
            flight.exception()  # marks it retrieved: there may be no duplicate waiting
            raise
        finally:
            del self._running[key]
        flight.set_result(result)
        self._done[key] = result
        while len(self._done) > self._capacity:
            self._done.popitem(last=False)
        return result


class _Abandoned(Exception):
    """The run's caller was cancelled before the work finished."""
