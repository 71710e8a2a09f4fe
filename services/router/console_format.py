"""How the console writes times: local wall-clock times and the time left before a deadline (pure).

Committee members read times in the factory's own zone. The registry does not record a zone for a
factory yet, so every time is shown in China Standard Time (Asia/Shanghai), the zone of the first
deployment, and the page says so. The time left is counted from the deadline the committee sees
(rounded down like every time that follows from when the worker wrote, ``docs/router.md``), so it
never promises more time than there is.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

ZONE_NAME = "Asia/Shanghai"
ZONE = ZoneInfo(ZONE_NAME)
ZONE_LABEL = {"zh": "北京", "en": "China Standard (UTC+8)"}

Texts = Callable[..., str]


def local_time(value: datetime | str | None) -> str:
    """``2026-03-02 16:00`` in the console's zone; empty for no time."""
    if value is None:
        return ""
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    return at.astimezone(ZONE).strftime("%Y-%m-%d %H:%M")


def span(delta: timedelta, t: Texts) -> str:
    """A duration in at most two units, rounded down: ``2 天 3 小时``, ``45 min``."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = []
    if days:
        parts.append(t("time.days", n=days))
    if hours and len(parts) < 2:
        parts.append(t("time.hours", n=hours))
    if not days and (minutes or not parts):
        parts.append(t("time.minutes", n=minutes))
    return " ".join(parts)


def time_left(due: datetime | str, done: Any, now: datetime, t: Texts) -> tuple[str, bool]:
    """What the deadline says now, and whether it is missed: done, the time left, or how late."""
    if done:
        return t("time.met"), False
    at = datetime.fromisoformat(due) if isinstance(due, str) else due
    if at <= now:
        return t("time.overdue", span=span(now - at, t)), True
    return t("time.left", span=span(at - now, t)), False
