"""The web form's words: deadlines as a worker reads them, every text in both languages (pure)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.intake.form_texts import TEXTS, duration_words


@pytest.mark.parametrize(
    ("span", "zh", "en"),
    [
        (timedelta(hours=48), "48 小时", "48 hours"),
        (timedelta(hours=1), "1 小时", "1 hour"),
        (timedelta(minutes=90), "90 分钟", "90 minutes"),
        (timedelta(seconds=10), "10 秒", "10 seconds"),
        (timedelta(seconds=61), "61 秒", "61 seconds"),
    ],
)
def test_deadlines_in_words(span: timedelta, zh: str, en: str) -> None:
    assert (duration_words(span, "zh"), duration_words(span, "en")) == (zh, en)


def test_every_text_of_the_form_is_in_both_languages() -> None:
    assert TEXTS.incomplete() == []
