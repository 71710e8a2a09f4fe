"""The fast form parser gives what the standard library's strict ``parse_qsl`` gives, error for error."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from shared.forms import parse_form


def reference(text: str) -> list[tuple[str, str]] | type[Exception]:
    try:
        return parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text), errors="strict")
    except ValueError as exc:
        return type(exc)


def ours(text: str) -> list[tuple[str, str]] | type[Exception]:
    try:
        return parse_form(text)
    except ValueError as exc:
        return type(exc)


# Bodies arrive as UTF-8 text: no surrogates. The alphabet favours what makes forms interesting.
FORM_CHARS = st.one_of(
    st.sampled_from(list("%&=+abcAF09 ")),
    st.sampled_from(["%E5", "%B7", "%A5", "%e5%b7%a5", "%ff", "%2", "%G0", "%25", "%00", "%26", "%3D"]),
    st.characters(blacklist_categories=["Cs"]),
)
forms = st.lists(FORM_CHARS, max_size=40).map("".join)


@settings(max_examples=3000)
@given(forms)
@example("")
@example("a")
@example("a=1&&b=2")
@example("a=1&")
@example("=")
@example("a=%E5%B7")
@example("a=%E5a%B7%A5")
@example("a=%E5工")
@example("a=工%A5")
@example("a=%%E5%B7%A5%")
@example("a=b=c")
def test_matches_strict_parse_qsl(text: str) -> None:
    assert ours(text) == reference(text)


@given(st.lists(st.tuples(st.text(), st.text()), max_size=8))
def test_round_trips_what_urlencode_writes(fields: list[tuple[str, str]]) -> None:
    text = urlencode(fields)
    assert parse_form(text) == fields
    assert parse_form(text) == reference(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Body=%E5%B7%A5%E5%8E%82+fire%21", [("Body", "工厂 fire!")]),
        ("a=1&a=2&b=", [("a", "1"), ("a", "2"), ("b", "")]),
        ("a=%2B+%25", [("a", "+ %")]),
        ("a=100%", [("a", "100%")]),
    ],
)
def test_decodes_escapes_plus_and_repeats(text: str, expected: list[tuple[str, str]]) -> None:
    assert parse_form(text) == expected


@pytest.mark.parametrize("text", ["a", "a=1&&b=2", "a=1&", "a=%ff", "a=%E5%B7", "%C3=1"])
def test_refuses_what_strict_parsing_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_form(text)
