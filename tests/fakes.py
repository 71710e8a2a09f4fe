"""Fakes the tests wire in instead of real adapters, and the privacy oracle for the run's log."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from shared.memorybus import MemoryBus
from shared.runtime import Runtime

T = TypeVar("T")


class FakeClock:
    """A clock that moves only when told, so deadline tests never sleep."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 3, 2, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def memory_bus_of(runtime: Runtime) -> MemoryBus:
    """The runtime's bus as the in-memory bus that tests built on the ``runtime`` fixture inspect
    (``drain``, ``published``, ``inject``); any other bus fails the test here, not at the call."""
    bus = runtime.bus
    assert isinstance(bus, MemoryBus), f"the runtime runs on {type(bus).__name__}, not the in-memory bus"
    return bus


def present(value: T | None, what: str = "the value") -> T:
    """``value``, which the test expects to exist (a document read back, a header): fails clearly
    when it is missing instead of at the first attribute read."""
    assert value is not None, f"{what} is missing"
    return value


# Every phone number, OpenID and grievance text a test sends is registered here; the run's log is
# searched for each of them at the end (conftest.pytest_sessionfinish).
SENSITIVE: set[str] = set()
# Digits joined to letters or dashes are ids (UUID segments, hex digests), not phone numbers.
_HAN = re.compile(r"[\u4e00-\u9fff]")
_PHONE = re.compile(r"(?<![0-9A-Za-z-])\+?\d{11,15}(?![0-9A-Za-z-])")
# Anything shaped like a WeChat OpenID (28 characters from "o", an upper-case letter among them),
# registered or not: the scrubber removes every one of them, so none may be left in a line.
_OPENID = re.compile(r"(?<![\w-])o(?=[\w-]*[A-Z])[\w-]{27}(?![\w-])")


def sensitive(value: str) -> str:
    """Register a value that must never reach a log line, and return it."""
    SENSITIVE.add(value)
    return value


WORKER_PHONE = sensitive("+8613912345678")
OTHER_WORKER_PHONE = sensitive("+8613587654321")
ENGLISH_WORKER_PHONE = sensitive("+447911123456")  # a valid UK mobile number
# WeChat OpenIDs: 28 characters from "o"; the second is the one in WeChat's published sample push.
WORKER_OPENID = sensitive("oK3pX0vQe9Tz7bLm2Wc8YdRn4Hs1")
OTHER_WORKER_OPENID = sensitive("oyORnuP8q7ou2gfYjqLzSIWZf0rs")


def find_leaks(log_text: str) -> list[str]:
    """Log lines that hold a registered sensitive value or anything shaped like a phone number or an OpenID."""
    # Short plain words ("STATUS", "help") are keywords a worker may send, not private text.
    needles = {s for s in SENSITIVE if len(s) >= 8 or (len(s) >= 3 and _HAN.search(s))}
    # Phone numbers also leak in other formats: compare on digits too.
    digit_needles = {re.sub(r"\D", "", s) for s in needles if _PHONE.fullmatch(s)}
    leaks = []
    for line in log_text.splitlines():
        digits = re.sub(r"\D", "", line)
        found = any(n in line for n in needles) or any(d in digits for d in digit_needles)
        if found or _PHONE.search(line) or _OPENID.search(line):
            leaks.append(line)
    return leaks
