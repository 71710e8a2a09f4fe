"""The console's times: China Standard Time on the wall clock, and the time left in at most two units."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.router.console_format import local_time, span, time_left, zone, zone_label
from services.router.console_texts import TEXTS

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def zh(key: str, **values: object) -> str:
    return TEXTS.text("zh", key, **values)


def en(key: str, **values: object) -> str:
    return TEXTS.text("en", key, **values)


def test_times_are_shown_in_china_standard_time() -> None:
    assert local_time(NOW) == "2026-03-02 16:00"
    assert local_time("2026-03-02T20:30:00+00:00") == "2026-03-03 04:30"
    assert local_time(None) == ""


def test_a_span_has_at_most_two_units_rounded_down() -> None:
    assert span(timedelta(days=2, hours=3, minutes=59), zh) == "2 天 3 小时"
    assert span(timedelta(hours=5, minutes=7), en) == "5 h 7 min"
    assert span(timedelta(days=1, minutes=30), en) == "1 d"
    assert span(timedelta(seconds=59), en) == "0 min"


def test_the_time_left_says_done_left_or_late() -> None:
    assert time_left(NOW + timedelta(hours=2), False, NOW, en) == ("2 h left", False)
    assert time_left(NOW - timedelta(days=1, hours=1), False, NOW, zh) == ("已超时 1 天 1 小时", True)
    assert time_left(NOW - timedelta(days=1), True, NOW, en) == ("done", False)


def test_the_factorys_zone_is_used_and_named() -> None:
    hanoi = zone("Asia/Ho_Chi_Minh")
    assert local_time(NOW, hanoi) == "2026-03-02 15:00"
    assert zone_label(hanoi, "zh", NOW) == "Asia/Ho_Chi_Minh (UTC+07:00)"
    assert zone_label(zone(None), "zh", NOW) == "北京"
    assert zone("Not/AZone").key == "Asia/Shanghai"
