"""The one folded form of a worker's text: table tests for every way of writing the same words."""

from __future__ import annotations

from typing import Any

import pytest

from shared.textfold import compact, fold, spaced, strip_invisible, strip_marks, to_simplified


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("ＧＺ００１", "gz001"),  # full-width letters and digits
        ("WAGES", "wages"),
        ("Straße", "strasse"),  # case folding, not lower-casing
        ("報復", "报复"),
        ("投訴之後被扣工資", "投诉之后被扣工资"),
        ("扣押身份證", "扣押身份证"),
        ("老闆", "老板"),
        ("工资没发", "工资没发"),  # simplified text is left as it is
        ("re\u00adtaliation", "retaliation"),  # soft hyphen
        ("\ufeff报复", "报复"),  # byte-order mark
        ("报\u200b复", "报复"),  # zero-width space
        ("报\u200c\u200d复", "报复"),  # zero-width non-joiner and joiner
        ("报\u2060复", "报复"),  # word joiner
        ("报\u202e复", "报复"),  # a bidirectional override
        ("报\ufe0f复", "报复"),  # a variation selector
        ("报\u034f复", "报复"),  # the combining grapheme joiner
        ("报\u3164复", "报复"),  # the Hangul filler, which looks like a space
        ("报\x00复", "报复"),  # a control character
    ],
)
def test_fold(raw: Any, folded: Any) -> None:
    assert fold(raw) == folded


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ｗａｇｅｓ\u3000ｕｎｐａｉｄ", "wages unpaid"),  # full-width space
        ("wages\n\nunpaid", "wages unpaid"),
        ("  wages \u00a0\t unpaid ", "wages unpaid"),  # no-break space, tab
        ("wages\u2003unpaid", "wages unpaid"),  # em space
    ],
)
def test_spaced_collapses_every_kind_of_whitespace(raw: Any, expected: Any) -> None:
    assert spaced(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "王芳",
        "王 芳",
        "王\u3000芳",
        "王·芳",
        "王・芳",
        "王•芳",
        "王‧芳",
        "王\n芳",
        "王\r\n芳",
        "王-芳",
        "王，芳",
        "王\u200b芳",
        "王\u00ad芳",
    ],
)
def test_compact_keeps_only_letters_and_digits(raw: str) -> None:
    assert compact(raw) == "王芳"


def test_compact_keeps_digits_and_latin_letters() -> None:
    assert compact("GZ-001 工资 1000元") == "gz001工资1000元"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("wáng fāng", "wang fang"), ("Lǚ Nà", "Lu Na"), ("Zhāng", "Zhang"), ("plain", "plain")],
)
def test_strip_marks(raw: Any, expected: Any) -> None:
    assert strip_marks(raw) == expected


def test_to_simplified_leaves_ascii_alone_and_strip_invisible_keeps_whitespace() -> None:
    assert to_simplified("Boss Wang") == "Boss Wang"
    assert strip_invisible("a\u200bb\nc\td") == "ab\nc\td"
