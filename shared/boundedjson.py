"""JSON from strangers, parsed with bounds (pure).

The standard library's parser trusts its input in ways an open endpoint cannot: it recurses once per
level of nesting (30 000 levels in 60 KB exhaust the stack: ``RecursionError``), converts integers
of any length (past 4 300 digits ``int()`` refuses: ``ValueError``), turns ``1e400`` into infinity,
accepts ``NaN`` and ``Infinity`` (which are not JSON), keeps the last of two equal keys (a second
parser in the path may keep the first), and decodes ``\\ud800`` into a lone surrogate that no UTF-8
encoder, MongoDB driver or answer can write out. :func:`loads` refuses each of these with
:class:`Rejected`, whose message is a plain sentence for the client, in English and (``zh``) in
Chinese for a worker who reads it; the edge turns it into a 400.

The common case costs almost nothing extra: the nesting is only scanned when the text holds more
opening brackets than the bound allows, and strings are only walked when the text holds a ``\\u``
escape (a NUL or a surrogate can arrive no other way in text that decoded as UTF-8 and held no NUL).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_DEPTH = 32  # the deepest body of any API is three levels
MAX_INT_DIGITS = 32  # far past any count or page; far below int()'s 4 300
# A string (an unterminated one runs to the end, so no quote is scanned twice) or a bracket.
_TOKENS = re.compile(r'"(?:[^"\\]+|\\.)*"?|[\[\]{}]', re.DOTALL)
_SURROGATE = re.compile("[\ud800-\udfff]")
NUL_ZH = "内容中有空字符（NUL）；请删掉它再发送。"


class Rejected(ValueError):
    """The text is not JSON this service accepts; the message says why, without echoing the input.

    ``field`` names where a string that is not text was found (a lone surrogate), as a dotted path
    like pydantic's (``text``, ``factories.0``; ``body`` for a key): the edge answers that as the
    field's error, like any other invalid value. Everything else is a fault of the whole body.
    ``zh`` says the same to a worker who reads Chinese; ``shape`` marks a body that is not JSON as
    expected at all, for the edge to show what a body of its endpoint looks like.
    """

    def __init__(self, message: str, field: str | None = None, *, zh: str = "", shape: bool = False) -> None:
        super().__init__(message)
        self.field, self.zh, self.shape = field, zh or message, shape


def loads(text: str, *, max_depth: int = MAX_DEPTH) -> Any:
    """The JSON value of ``text``, or :class:`Rejected`."""
    if text.count("[") + text.count("{") > max_depth:
        _check_depth(text, max_depth)
    try:
        value = _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        where = f"第 {exc.pos + 1} 个字符处有误" if text.strip() else "内容是空的"
        raise Rejected(
            f"malformed JSON at position {exc.pos}", zh=f"请求内容不是有效的 JSON（{where}）", shape=True
        ) from None
    except RecursionError:  # the depth check makes this unreachable; it stays a 400 regardless
        raise _too_deep(max_depth) from None
    if "\\u" in text:
        _check_strings(value, ())
    return value


def _check_depth(text: str, max_depth: int) -> None:
    """Count brackets outside strings, in one pass over strings and brackets (linear in the text)."""
    depth = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > max_depth:
                raise _too_deep(max_depth)
        elif token in ("]", "}"):
            depth -= 1


def _too_deep(max_depth: int) -> Rejected:
    return Rejected(
        f"the JSON is nested more than {max_depth} levels deep",
        zh=f"JSON 的层次太多（最多 {max_depth} 层）",
        shape=True,
    )


def _int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        raise Rejected(
            f"a number in the JSON has more than {MAX_INT_DIGITS} digits",
            zh=f"JSON 中有一个数字超过 {MAX_INT_DIGITS} 位；请写较短的数字，例如 12。",
        )
    return int(digits)


def _float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise Rejected(
            "a number in the JSON is too large", zh="JSON 中有一个数字太大；请写较小的数字，例如 12.5。"
        )
    return value


def _constant(name: str) -> Any:
    raise Rejected(
        f"{name} is not a JSON value", zh=f"{name} 不是 JSON 的值；请写一个数字，例如 12.5，或者不填。"
    )


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) != len(pairs):
        raise Rejected(
            "a key is repeated in a JSON object",
            zh="JSON 中有一个字段写了两次；每个字段只写一次。",
        )
    return value


# Built once: json.loads with hooks would build a decoder and its scanner for every body.
_DECODER = json.JSONDecoder(
    parse_int=_int, parse_float=_float, parse_constant=_constant, object_pairs_hook=_object
)


def _check_strings(value: Any, path: tuple[str, ...]) -> None:
    """JSON escapes smuggle a NUL (\\u0000) or half a surrogate pair (\\ud800) past the text checks."""
    if isinstance(value, str):
        if "\x00" in value:
            raise Rejected("the body holds a NUL character", zh=NUL_ZH)
        if _SURROGATE.search(value):
            where = ".".join(path) or "body"
            raise Rejected(f"{where} holds half of a surrogate pair (\\ud800-\\udfff alone)", field=where)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_strings(key, ("body",))  # a key is not a field: the body is at fault
            _check_strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_strings(item, (*path, str(index)))
