"""The bounded JSON parser: each blind spot of ``json.loads`` refused in plain words, the rest as before."""

from __future__ import annotations

import json
import time

import pytest

from shared.boundedjson import MAX_DEPTH, Rejected, loads


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[" * 30_000 + "]" * 30_000, "nested more than 32 levels"),
        ('{"a":' * 20_000 + "1" + "}" * 20_000, "nested more than 32 levels"),
        ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "nested more than 32 levels"),
        ('{"a": ' + "9" * 4_301 + "}", "more than 32 digits"),
        ("-" + "9" * 33, "more than 32 digits"),
        ('{"a": 1e400}', "too large"),
        ("[" + "1" * 5_000 + ".5]", "too large"),
        ("[NaN]", "NaN is not a JSON value"),
        ('{"a": -Infinity}', "-Infinity is not a JSON value"),
        ('{"a": 1, "a": 2}', "a key is repeated"),
        ('{"a": "\\ud800"}', "half of a surrogate pair"),
        ('{"\\udfff": 1}', "half of a surrogate pair"),
        ('["x\\u0000y"]', "NUL"),
        ('{"a": ', "malformed JSON at position 6"),
    ],
)
def test_what_json_loads_trusts_is_refused(text: str, reason: str) -> None:
    with pytest.raises(Rejected, match=reason):
        loads(text)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('{"text": "a\\ud800"}', "text"),
        ('{"factories": ["GZ-001", "\\udc00"]}', "factories.1"),
        ('{"\\ud800": 1}', "body"),
    ],
)
def test_a_lone_surrogate_is_the_fault_of_the_field_that_holds_it(text: str, field: str) -> None:
    with pytest.raises(Rejected) as raised:
        loads(text)
    assert raised.value.field == field


@pytest.mark.parametrize(
    "value",
    [
        {"factory_code": "GZ-001", "text": "门锁了 [{", "anonymous": True, "language": "zh"},
        {"a": "\\u not an escape", "b": "😀", "c": [1.5, -2, None, "]]]]"]},
        json.loads("[" * MAX_DEPTH + "]" * MAX_DEPTH),
        {"page": 10**31, "negative": -(10**31)},
    ],
)
def test_everything_else_parses_as_json_loads_does(value: object) -> None:
    assert loads(json.dumps(value)) == value
    assert loads(json.dumps(value, ensure_ascii=False)) == value


@pytest.mark.parametrize(
    "text",
    ['\\"' * 30_000 + "[" * 40, '["' + "a" * 60_000 + "[" * 40, '["\\\\' + "a\\\\" * 20_000 + "[" * 40],
)
def test_the_depth_scan_is_linear_even_on_unterminated_strings(text: str) -> None:
    started = time.perf_counter()
    with pytest.raises(Rejected):
        loads(text)
    assert time.perf_counter() - started < 10  # quadratic would take minutes
