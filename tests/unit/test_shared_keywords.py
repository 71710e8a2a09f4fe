"""The worker keywords, both languages, case- and width-insensitive."""

from __future__ import annotations

from typing import Any

import pytest

from shared.keywords import Command, parse

REF = "ABCDE-FGHJK"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("STATUS", Command("status")),
        ("status", Command("status")),
        ("ＳＴＡＴＵＳ", Command("status")),
        ("状态", Command("status")),
        ("状态 abcde-fghjk", Command("status", REF)),
        ("Status: ABCDEFGHJK", Command("status", REF)),
        ("YES", Command("yes")),
        ("yes!", Command("yes")),
        ("是", Command("yes")),
        ("是。", Command("yes")),
        ("NO", Command("no")),
        ("ｎｏ", Command("no")),
        ("否", Command("no")),
        ("否 ABCDE-FGHJK", Command("no", REF)),
        ("STOP", Command("stop")),
        ("退订", Command("stop")),
        ("TD", Command("stop")),
        ("START", Command("start")),
        ("开通", Command("start")),
        ("HELP", Command("help")),
        ("帮助", Command("help")),
        ("？", Command("help")),
        ("新投诉 工资没发", Command("new", text="工资没发")),
        ("NEW: wages unpaid", Command("new", text="wages unpaid")),
        ("ｎｅｗ 宿舍没有热水", Command("new", text="宿舍没有热水")),
    ],
)
def test_keywords(text: Any, expected: Any) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "是的，我们每天加班很多",
        "No, the exit is still locked",
        "newspaper stand is blocking the exit",
        "stopped paying us",
        "ABCDE-FGHJK",
        "状态很差",
        "帮助我们",
    ],
)
def test_ordinary_messages_are_not_keywords(text: str) -> None:
    assert parse(text) is None
