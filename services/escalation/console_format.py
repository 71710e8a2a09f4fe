"""How the NGO console writes times: in the configured zone, with the time left (pure).

Escalation keeps no registry, so it does not know a factory's own zone; the console writes every
time in ``GRIEVANCE_CONSOLE_TIMEZONE`` (China Standard Time, Asia/Shanghai, unless set), names the
zone on the page, and counts the time left to the minute, rounded down, so it never promises more
time than there is. The arithmetic is the committee console's too (:mod:`shared.console_time`).
"""

from __future__ import annotations

from shared.console_time import DEFAULT_ZONE, Texts, local_time, span, time_left, zone, zone_label

__all__ = ["DEFAULT_ZONE", "Texts", "local_time", "span", "time_left", "zone", "zone_label"]
