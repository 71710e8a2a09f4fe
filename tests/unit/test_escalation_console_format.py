"""The NGO console's times: the configured zone, and the time left rounded down, never more than there is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.escalation.console_format import local_time, time_left, zone, zone_label
from services.escalation.console_texts import TEXTS

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def english(key: str, **values: object) -> str:
    return TEXTS.text("en", key, **values)


def test_times_are_written_in_the_zone_and_the_zone_is_named() -> None:
    assert local_time(NOW, zone(None)) == "2026-03-02 16:00"
    assert local_time(None, zone(None)) == ""
    assert zone("Not/AZone").key == "Asia/Shanghai"
    assert zone_label(zone(None), "zh", NOW) == "北京"
    assert zone_label(zone("Asia/Dhaka"), "en", NOW) == "Asia/Dhaka (UTC+06:00)"
    assert local_time(NOW, zone("Asia/Dhaka")) == "2026-03-02 14:00"


def test_the_time_left_is_rounded_down_and_a_missed_deadline_says_how_late() -> None:
    assert time_left(NOW + timedelta(days=1, hours=2, minutes=59), False, NOW, english) == (
        "1 d 2 h left",
        False,
    )
    assert time_left(NOW + timedelta(seconds=119), False, NOW, english) == ("1 min left", False)
    assert time_left(NOW - timedelta(hours=3), False, NOW, english) == ("overdue by 3 h", True)
    assert time_left(NOW - timedelta(hours=3), NOW, NOW, english) == ("done", False)
    assert time_left(None, False, NOW, english) == ("", False)
