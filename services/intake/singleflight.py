"""Publish each grievance once per process, however often its sender retries.

Gateways resend a webhook when our answer is slow or lost, and browsers resubmit forms. Requests for
the same grievance id share one publish: the first starts it, concurrent duplicates await the same
task, and later duplicates get the remembered result. A failed publish is forgotten at once so the
next retry publishes again. The memory is bounded (oldest results go first); beyond it, and across
replicas and restarts, the deterministic grievance ids let the router's idempotent upsert drop the
duplicate instead.

The publish runs in its own task, so a client that disconnects does not cancel the publish that the
other waiters depend on.
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
        self._running: dict[Hashable, asyncio.Task[Result]] = {}

    def __len__(self) -> int:
        return len(self._done) + len(self._running)

    async def run(self, key: Hashable, work: Callable[[], Awaitable[Result]]) -> Result:
        """The result of ``work`` for ``key``: remembered, shared with a run in flight, or fresh."""
        if key in self._done:
            self._done.move_to_end(key)
            return self._done[key]
        task = self._running.get(key)
        if task is None:
            task = asyncio.ensure_future(work())
            self._running[key] = task
            task.add_done_callback(lambda finished: self._settle(key, finished))
        return await asyncio.shield(task)

    def _settle(self, key: Hashable, task: asyncio.Task[Result]) -> None:
        self._running.pop(key, None)
        if task.cancelled() or task.exception() is not None:
            return
        self._done[key] = task.result()
        while len(self._done) > self._capacity:
            self._done.popitem(last=False)
