"""Fakes the tests wire in instead of real adapters, and the privacy oracle for the run's log."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta


class FakeClock:
    """A clock that moves only when told, so deadline tests never sleep."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 3, 2, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


# Every phone number, OpenID and grievance text a test sends is registered here; the run's log is
# searched for each of them at the end (conftest.pytest_sessionfinish).
SENSITIVE: set[str] = set()
# Digits joined to letters or dashes are ids (UUID segments, hex digests), not phone numbers.
_HAN = re.compile(r"[\u4e00-\u9fff]")
_PHONE = re.compile(r"(?<![0-9A-Za-z-])\+?\d{11,15}(?![0-9A-Za-z-])")


def sensitive(value: str) -> str:
    """Register a value that must never reach a log line, and return it."""
    SENSITIVE.add(value)
    return value


WORKER_PHONE = sensitive("+8613912345678")
OTHER_WORKER_PHONE = sensitive("+8613587654321")
ENGLISH_WORKER_PHONE = sensitive("+447911123456")  # a valid UK mobile number


def find_leaks(log_text: str) -> list[str]:
    """Log lines that hold a registered sensitive value or anything shaped like a phone number."""
    # Short plain words ("STATUS", "help") are keywords a worker may send, not private text.
    needles = {s for s in SENSITIVE if len(s) >= 8 or (len(s) >= 3 and _HAN.search(s))}
    # Phone numbers also leak in other formats: compare on digits too.
    digit_needles = {re.sub(r"\D", "", s) for s in needles if _PHONE.fullmatch(s)}
    leaks = []
    for line in log_text.splitlines():
        digits = re.sub(r"\D", "", line)
        if any(n in line for n in needles) or any(d in digits for d in digit_needles) or _PHONE.search(line):
            leaks.append(line)
    return leaks
