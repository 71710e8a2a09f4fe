"""How the consoles write times: local wall-clock times and the time left before a deadline (pure).

Both consoles read times in a named zone (China Standard Time, Asia/Shanghai, unless the page knows
better) and name that zone on the page. The time left is counted to the minute and rounded down, so
a page never promises more time than there is. Each console's ``console_format`` says which zone it
chooses; the arithmetic is the same for both and lives here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "Asia/Shanghai"

Texts = Callable[..., str]


def zone(name: str | None) -> ZoneInfo:
    """The zone of that name; the default one for none, or a name this machine does not know."""
    try:
        return ZoneInfo(name or DEFAULT_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)


def zone_label(place: ZoneInfo, language: str, at: datetime) -> str:
    """How the page names the zone: 北京 / China Standard (UTC+8), else its name and UTC offset."""
    if place.key == DEFAULT_ZONE:
        return "北京" if language == "zh" else "China Standard (UTC+8)"
    offset = at.astimezone(place).strftime("%z")
    return f"{place.key} (UTC{offset[:3]}:{offset[3:]})"


def _moment(value: datetime | str) -> datetime:
    """A time as the store gives it: a datetime, or its ISO text in a document."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def local_time(value: datetime | str | None, place: ZoneInfo | None = None) -> str:
    """``2026-03-02 16:00`` in the zone (the default one unless given); empty for no time."""
    if value is None:
        return ""
    return _moment(value).astimezone(place or ZoneInfo(DEFAULT_ZONE)).strftime("%Y-%m-%d %H:%M")


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


def time_left(due: datetime | str | None, done: Any, now: datetime, t: Texts) -> tuple[str, bool]:
    """What the deadline says now, and whether it is missed: done, the time left, or how late (and
    nothing for a case with no deadline)."""
    if done:
        return t("time.met"), False
    if due is None:
        return "", False
    at = _moment(due)
    if at <= now:
        return t("time.overdue", span=span(now - at, t)), True
    return t("time.left", span=span(at - now, t)), False
