"""Durations read as people write them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.durations import human


@pytest.mark.parametrize(
    ("duration", "expected"),
    [
        (timedelta(seconds=10), "10 s"),
        (timedelta(minutes=2), "2 min"),
        (timedelta(seconds=90), "90 s"),
        (timedelta(hours=2), "2 h"),
        (timedelta(hours=24), "24 h"),
        (timedelta(days=2), "48 h"),
        (timedelta(days=3), "3 days"),
        (timedelta(days=15), "15 days"),
        (timedelta(hours=1), "1 h"),
        (timedelta(days=1, minutes=1), "1441 min"),
        (8.4, "8 s"),
        (-3, "0 s"),
        (0, "0 s"),
    ],
)
def test_largest_exact_unit(duration: timedelta | float, expected: str) -> None:
    assert human(duration) == expected
