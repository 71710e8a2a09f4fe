"""Durations as people write them: "10 s", "2 min", "48 h", "3 days" (pure).

Settings take ISO 8601 (``PT48H``, ``P3D``), plain seconds (``30``) or the same words (``48 h``,
``2 days``, ``90 min``, ``10s``), so what a message shows can be written back into a setting;
messages to people show the largest unit that states the duration exactly, so two days of
acknowledgement deadline reads "48 h" rather than "172800 s", and a demo's wait reads "8 s".
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

_UNITS = ((86400, "day", "days"), (3600, "h", "h"), (60, "min", "min"), (1, "s", "s"))


def human(duration: timedelta | float) -> str:
    """A non-negative duration, rounded to whole seconds, in the largest unit that fits exactly.

    Whole days become days only from three days up: "48 h" is how deadlines of two days are said.
    """
    seconds = round(duration.total_seconds() if isinstance(duration, timedelta) else duration)
    seconds = max(seconds, 0)
    for size, one, many in _UNITS:
        if seconds >= size and seconds % size == 0 and (size != 86400 or seconds >= 3 * 86400):
            count = seconds // size
            return f"{count} {one if count == 1 else many}"
    return f"{seconds} s"


_WRITTEN = re.compile(
    r"^\s*(\d+(?:\.\d+)?)\s*(s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|w|weeks?)\s*$",
    re.IGNORECASE,
)
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse(value: Any) -> Any:
    """``48 h``, ``2 days``, ``90min`` or plain seconds as a timedelta; anything else unchanged, for
    pydantic to read (ISO 8601, ``HH:MM:SS``) or to refuse."""
    if isinstance(value, str):
        text = value.strip()
        if text.replace(".", "", 1).isdigit():
            return timedelta(seconds=float(text))
        match = _WRITTEN.match(text)
        if match:
            unit = match.group(2).lower()
            unit = "m" if unit.startswith("m") else unit[0]
            return timedelta(seconds=float(match.group(1)) * _SECONDS[unit])
    return value
