"""Hostile input for the fuzz tests of every service: bodies and query strings no client should send.

Each strategy yields bytes (a body) or a raw query string, so what reaches the server is exactly what
was generated: no client library re-encodes it. The bodies aim at the parsers, not the models: JSON
nested past any stack, integers past ``int()``'s limit, floats past ``float``'s range, ``NaN``,
lone surrogates (escaped, and as raw bytes), repeated and very long keys, bodies over the limit.
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from shared.web import MAX_BODY

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Random text kept off phone-number shapes, so the privacy oracle over the log stays meaningful.
texts = st.text(st.characters(blacklist_categories=["Nd", "Cs"], blacklist_characters="\x00"), max_size=20)

deep = st.builds(
    lambda depth, opener: opener[0] * depth + "1" + opener[1] * depth,
    st.sampled_from([33, 200, 1_000, 30_000]),
    st.sampled_from([("[", "]"), ('{"a":', "}")]),
)
huge_int = st.builds(
    lambda n, sign: sign + "9" * n, st.sampled_from([33, 400, 4_301, 20_000]), st.sampled_from(["", "-"])
)
huge_float = st.sampled_from(
    ["1e400", "-1e999", "1" * 5_000 + ".5", "0." + "0" * 5_000 + "1e-400", "1E+99999"]
)
non_finite = st.sampled_from(["NaN", "Infinity", "-Infinity"])
surrogate = st.sampled_from(['"\\ud800"', '"\\udfff tail"', '"a\\udc00b"', '"\\ud83d"'])
hostile_value = st.one_of(deep, huge_int, huge_float, non_finite, surrogate)


def hostile_json(fields: list[str]) -> st.SearchStrategy[bytes]:
    """A JSON object (or not quite one) whose only fault is one of the parser's blind spots."""
    field = st.sampled_from(fields or ["x"])
    in_field = st.builds(lambda f, v: f'{{"{f}": {v}}}', field, hostile_value)
    whole = hostile_value
    duplicated = st.builds(lambda f: f'{{"{f}": "a", "{f}": "b"}}', field)
    long_key = st.builds(lambda n: json.dumps({"k" * n: 1}), st.sampled_from([1_000, 60_000]))
    surrogate_key = st.builds(lambda v: f'{{"\\udc80": {json.dumps(v)}}}', texts)
    text = st.one_of(in_field, whole, duplicated, long_key, surrogate_key).map(str.encode)
    raw_surrogate = st.builds(lambda f: f'{{"{f}": "'.encode() + b"\xed\xa0\x80" + b'"}', field)
    oversized = st.builds(lambda f: f'{{"{f}": "'.encode() + b"a" * (MAX_BODY + 1) + b'"}', field)
    return st.one_of(text, raw_surrogate, oversized)


CONTENT_TYPES = st.sampled_from(
    [
        "application/json",
        "application/json; charset=latin-1",
        "application/x-www-form-urlencoded",
        "text/plain",
        "multipart/form-data; boundary=x",
        "application/yaml",
        "",
        "application/json, text/plain",
        "☃/☃",
    ]
)
any_body = st.one_of(st.binary(max_size=200), hostile_json(["text", "note", "role", "limit"]))

_ODD_PARTS = [
    "a=1&a=2",
    "%ff=1",
    "x=%ff%fe",
    "x=%ed%a0%80",
    "x=%00",
    "=",
    "&&&",
    "x",
    "x[]=1",
    "page=" + "9" * 4_301,
    "page=-1",
    "page=1e400",
    "page=NaN",
    "since=0001-01-01T00:00:00%2B01:00",
    "since=9999-12-31T23:59:59-23:59",
    "since=" + "9" * 4_301,
    "status=%24gt",
    "factory[$ne]=x",
    "pin=" + "1" * 2_000,
    "limit=0",
    "limit=99999999999999999999",
    "x=" + "y" * 6_000,
]


def odd_query(names: list[str]) -> st.SearchStrategy[str]:
    """A raw query string: repeated, undecodable, NUL-bearing, overlong or overflowing parameters."""
    named = st.builds(
        lambda name, value: f"{name}={value}",
        st.sampled_from(names or ["x"]),
        st.sampled_from(["", "%ff", "%00", "%ed%a0%80", "9" * 4_301, "1e400", "-1", "x" * 300, "%E5%B7%A5"]),
    )
    parts = st.lists(st.one_of(st.sampled_from(_ODD_PARTS), named), min_size=1, max_size=4).map("&".join)
    # Past aiohttp's 8 190-byte request line its parser answers 400 itself (test_*_edge covers it).
    return parts.filter(lambda query: len(query) < 7_000)
