"""A sliding one-minute window per robot, so this process does not run into the robots' limit.

WeCom and DingTalk group robots each take 20 messages a minute; past that WeCom answers 45009 and
DingTalk 130101 and throttles the robot for ten minutes. An escalation sweep can open many cases
of one factory at once, so the window refuses the 21st message of a minute before it is sent and
says when a slot frees up. Each process keeps its own window: with several replicas the robot's
own answer is still the last word, and it is handled as the same transient error.
"""

from __future__ import annotations

import hashlib
import time
from collections import deque
from collections.abc import Callable

from services.notify.errors import TransientNotifyError

WINDOW_SECONDS = 60.0


class RateWindow:
    def __init__(self, limit: int = 20, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._limit = limit
        self._clock = clock
        self._sent: dict[str, deque[float]] = {}

    def reserve(self, robot: str) -> None:
        """Take a slot for one message to ``robot`` (its webhook URL), or raise with the wait."""
        now = self._clock()
        # The URL holds the robot's key: keep only a digest of it, even in memory.
        key = hashlib.sha256(robot.encode()).hexdigest()
        sent = self._sent.setdefault(key, deque())
        while sent and now - sent[0] >= WINDOW_SECONDS:
            sent.popleft()
        if len(sent) >= self._limit:
            raise TransientNotifyError("rate_window", retry_after=WINDOW_SECONDS - (now - sent[0]))
        sent.append(now)
