"""Splitting long outbound texts into SMS-sized pieces."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from services.intake.segments import SMS_BODY_LIMIT, split_message, units


def test_up_to_1600_characters_is_one_message() -> None:
    text = "x" * 1600
    assert split_message(text) == [text]
    assert split_message("  hello  ") == ["hello"]


def test_long_english_breaks_after_sentences_and_numbers_the_parts() -> None:
    sentence = "Your case was reviewed by the committee and a reply follows. "
    parts = split_message(sentence * 40)
    assert len(parts) == 2
    assert [re.search(r"\((\d)/(\d)\)$", p).groups() for p in parts] == [("1", "2"), ("2", "2")]  # type: ignore[union-attr]
    assert parts[0].removesuffix(" (1/2)").endswith("follows.")
    assert all(units(p) <= SMS_BODY_LIMIT for p in parts)


def test_words_are_not_cut() -> None:
    words = "overtime " * 400
    for part in split_message(words):
        body = re.sub(r" \(\d+/\d+\)$", "", part)
        assert all(word == "overtime" for word in body.split(" "))


def test_chinese_is_cut_between_characters_preferring_sentence_ends() -> None:
    text = "工厂已经答复了您的投诉。" * 300  # 3600 characters
    parts = split_message(text)
    assert len(parts) == 3
    bodies = [re.sub(r" \(\d+/\d+\)$", "", p) for p in parts]
    assert "".join(bodies) == text
    assert all(body.endswith("。") for body in bodies)


def test_emoji_count_twice() -> None:
    parts = split_message("🙂" * 1000)
    assert len(parts) == 2
    assert all(units(p) <= SMS_BODY_LIMIT for p in parts)


@settings(max_examples=50, deadline=None)
@given(st.text(min_size=1, max_size=5000).filter(lambda t: t.strip()))
def test_pieces_fit_and_keep_every_visible_character(text: str) -> None:
    parts = split_message(text)
    assert all(units(p) <= SMS_BODY_LIMIT for p in parts)
    if len(parts) > 1:
        bodies = [re.sub(r" \(\d+/\d+\)$", "", p) for p in parts]
        assert sum(len("".join(b.split())) for b in bodies) == len("".join(text.split()))
