"""How the committee console writes times: in the factory's zone, with the time left (pure).

Committee members read times in the factory's own zone: the registry's ``timezone`` of the factory,
else China Standard Time (Asia/Shanghai), the zone of the first deployment; the page names the zone.
The time left is counted from the deadline the committee sees (rounded down like every time that
follows from when the worker wrote, ``docs/router.md``), so it never promises more time than there is.
The arithmetic is the NGO console's too (:mod:`shared.console_time`).
"""

from __future__ import annotations

from shared.console_time import DEFAULT_ZONE, Texts, local_time, span, time_left, zone, zone_label

__all__ = ["DEFAULT_ZONE", "Texts", "local_time", "span", "time_left", "zone", "zone_label"]
