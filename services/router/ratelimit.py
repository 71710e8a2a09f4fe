"""A sliding-window limit per client address for the public status page (pure, injected clock).

The limit is per process: with N replicas a client gets at most N times the limit, which still stops
PIN guessing (a million PINs at 30 a minute per replica) while keeping the page free of shared state.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta

WINDOW = timedelta(minutes=1)


class RateLimiter:
    def __init__(self, limit: int, clock: Callable[[], datetime], max_clients: int = 100_000) -> None:
        self.limit = limit
        self.clock = clock
        self.max_clients = max_clients
        self._hits: dict[str, deque[datetime]] = {}

    def check(self, client: str) -> int | None:
        """Count a request; None when allowed, else the seconds to wait before the next one is."""
        now = self.clock()
        hits = self._hits.setdefault(client, deque())
        while hits and hits[0] <= now - WINDOW:
            hits.popleft()
        if len(hits) >= self.limit:
            return max(1, math.ceil((hits[0] + WINDOW - now).total_seconds()))
        hits.append(now)
        if len(self._hits) > self.max_clients:
            self._forget_idle(now)
        return None

    def _forget_idle(self, now: datetime) -> None:
        for client in [c for c, h in self._hits.items() if not h or h[-1] <= now - WINDOW]:
            del self._hits[client]
