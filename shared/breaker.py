"""A circuit breaker on publisher confirms: after one confirm timeout, publishes fail at once.

A broker behind a dead route (a blackholed network, a frozen node) keeps its connection looking up
until the heartbeats run out, which takes about three heartbeat intervals. Without a breaker every
publish meanwhile waits the whole publish timeout, and readiness stays true while nothing can be
published. The breaker opens at the first confirm timeout: from then on a publish fails at once
and the bus reports not ready, until the broker confirms a publish again (a probe, or a publish
that was already on its way). Each incident is told twice, in one line each: when it opens and when
it closes, with how long it lasted and how many publishes timed out or were refused meanwhile.

It holds only state; the bus decides when to trip it and sends the probes (:mod:`shared.amqp`).
"""

from __future__ import annotations

import time

import structlog

from shared.messaging import PublishError

log = structlog.get_logger(__name__)


class ConfirmBreaker:
    def __init__(self) -> None:
        self._opened_at: float | None = None
        self._timed_out = 0
        self._refused = 0

    @property
    def is_open(self) -> bool:
        return self._opened_at is not None

    def trip(self, timeout: float) -> bool:
        """A publish was not confirmed within ``timeout`` seconds; True when this opens the breaker."""
        self._timed_out += 1
        if self._opened_at is not None:
            return False  # part of the incident already open: publishes that were on their way
        self._opened_at = time.monotonic()
        log.warning(
            "broker_not_confirming", timeout_s=timeout, action="failing fast until a probe is confirmed"
        )
        return True

    def refuse(self) -> PublishError:
        """The error for a publish refused while open (the caller raises it)."""
        self._refused += 1
        return PublishError("the broker is not confirming publishes; failing fast until it does again")

    def close(self) -> None:
        """The broker confirmed a publish: publishing is open again."""
        if self._opened_at is None:
            return
        log.info(
            "broker_confirming_again",
            open_s=round(time.monotonic() - self._opened_at, 3),
            timed_out=self._timed_out,
            failed_fast=self._refused,
        )
        self._opened_at = None
        self._timed_out = self._refused = 0
