"""How the NGO console writes times: local wall-clock times and the time left before a deadline (pure).

Escalation keeps no registry, so it does not know a factory's own zone; the console writes every
time in ``GRIEVANCE_CONSOLE_TIMEZONE`` (China Standard Time, Asia/Shanghai, unless set), names the
zone on the page, and counts the time left to the minute, rounded down, so it never promises more
time than there is.
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


def local_time(value: datetime | None, place: ZoneInfo) -> str:
    """``2026-03-02 16:00`` in the zone; empty for no time."""
    return "" if value is None else value.astimezone(place).strftime("%Y-%m-%d %H:%M")


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


def time_left(due: datetime | None, done: Any, now: datetime, t: Texts) -> tuple[str, bool]:
    """What the deadline says now, and whether it is missed: done, the time left, or how late."""
    if done or due is None:
        return t("time.met") if done else "", False
    if due <= now:
        return t("time.overdue", span=span(now - due, t)), True
    return t("time.left", span=span(due - now, t)), False
