"""Logging, configured once per process, for structlog and stdlib records alike.

Privacy is enforced here and not left to each call site: :func:`redact` drops the values of keys that
hold personal data and scrubs phone numbers, tokens and Chinese text from every string that is left,
including stdlib records from aiohttp or aio-pika and rendered exceptions.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from collections.abc import Mapping, MutableMapping
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, TextIO, cast

import structlog

from shared import logview
from shared.liblogs import LibraryRecords

REDACTED = "[redacted]"

# Keys whose values are personal data or secrets whatever they look like.
SENSITIVE_KEYS = frozenset(
    {
        "authorization",
        "body",
        "contact",
        "from",
        "from_",
        "msisdn",
        "openid",
        "password",
        "phone",
        "pin",
        "resolution",
        "secret",
        "sealed_contact",
        "text",
        "to",
        "token",
    }
)

_CJK_CLASS = r"\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_CJK = re.compile(f"[{_CJK_CLASS}]")
_TOKEN = re.compile(r"gvt_[A-Za-z0-9_-]+|(?i:bearer)\s+\S+")
_PYDANTIC_INPUT = re.compile(r"input_value=.*?(?=, input_type=|\]$|$)", re.DOTALL)
# WeChat: ids of accounts (wxid_...), and OpenIDs/UnionIDs after their name or on their own (28
# characters from "o", with an upper-case letter, unlike any word or event name).
_WECHAT_ID = re.compile(r"(?i:wxid_)[\w-]+")
_WECHAT_NAMED = re.compile(r"(?i)\b((?:open|union)_?id)([\"']?\s*[=:]\s*[\"']?)[\w-]+")
_OPENID = re.compile(r"(?<![\w-])o[\w-]{27}(?![\w-])")
# Digits joined by up to two separators ("139 1234 5678", "138/0013/8000", "1 3 9 ..."). A later group
# that runs into a word ("... 998c00de" of a hex id) is not part of the number.
# Only where seven digits follow, at most two separators apart: fewer make no phone number.
# Separators are ASCII punctuation and every Unicode space, dash and invisible joiner a phone, a word
# processor or a copy from a web page puts between groups: no-break (U+00A0), narrow no-break
# (U+202F), thin and the other U+2000 spaces, ideographic (U+3000), zero-width ones, hyphens and the
# minus sign. An ASCII line pays nothing for them: a character class is one test per character.
_SEPARATOR = r"[ .\-()/_\u00a0\u1680\u2000-\u200d\u2010-\u2015\u202f\u205f\u2060\u2212\u3000\ufeff]"
_NUMBERS = re.compile(rf"\+?(?=\d(?:{_SEPARATOR}{{0,2}}\d){{6}})\d+(?:{_SEPARATOR}{{1,2}}\d+(?![\dA-Za-z]))*")
# What stays although it is made of digits: a date at the start of a number, and a UUID or a hex id
# (event ids, ObjectIds) as the word a number starts in.
_DATE = re.compile(r"(?:1[89]|2\d)\d\d([-/.])(?:0?[1-9]|1[0-2])\1(?:0?[1-9]|[12]\d|3[01])(?!\d)")
_ID = re.compile(
    r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}"
    r"|[0-9a-fA-F]{64}|[0-9a-fA-F]{40}|[0-9a-fA-F]{32}|[0-9a-fA-F]{24}"
)
_GLUE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_-")
_WORD = _GLUE | frozenset("0123456789")

# What the patterns above need to match at all, in ASCII text: seven digits (the shortest phone
# number), a word that starts a token, an echo or a WeChat id, or 28 characters with a digit or an
# upper-case letter (an OpenID). Most strings of most lines ("POST", "/api/v1/cases", ids) have none: bytes-level checks
# in C find that in well under a microsecond, where one regular expression with all the
# alternatives took several (scrub runs on every string of every line).
_DIGITS = b"0123456789"
_WORDS = re.compile(rb"gvt_|bearer|input_value=|wxid_|open_?id|union_?id")
_SCALARS = (bool, int, float, type(None))

_configured = False
_NEVER = logging.CRITICAL + 1  # above every level a library can log at


def _suspect(value: str) -> bool:
    """Whether ``value`` may hold something :func:`scrub` removes (text that is not ASCII always may)."""
    if not value.isascii():
        return True
    raw = value.encode()
    digits = len(raw) - len(raw.translate(None, _DIGITS))
    if digits >= 7 or _WORDS.search(raw.lower()):
        return True
    return len(raw) >= 28 and (digits > 0 or not raw.islower()) and _OPENID.search(value) is not None


def scrub(value: str) -> str:
    """Remove what could identify a worker or open an account from free text."""
    if not _suspect(value):
        return value
    if _CJK.search(value):
        return REDACTED
    # Each pattern runs only where its keyword is: a pattern costs a few microseconds per line.
    lower = value.lower()
    if "gvt_" in value or "bearer" in lower:
        value = _TOKEN.sub(REDACTED, value)
    if "input_value=" in value:
        value = _PYDANTIC_INPUT.sub("input_value=" + REDACTED, value)
    if "wxid_" in lower:
        value = _WECHAT_ID.sub(REDACTED, value)
    if "id" in lower:
        value = _WECHAT_NAMED.sub(rf"\1\2{REDACTED}", value)
    if len(value) >= 28:
        value = _OPENID.sub(_redact_if_openid, value)
    return _NUMBERS.sub(_redact_if_phone, value)


def _redact_if_openid(match: re.Match[str]) -> str:
    # An OpenID is base64-like: an upper-case letter is all but certain (about 1 in 100 has no digit,
    # so a digit is not required), where words and event names are lower case.
    word = match.group()
    if any(ch.isupper() for ch in word):
        return REDACTED
    return word


def _redact_if_phone(match: re.Match[str]) -> str:
    """A phone number, written any way: seven digits or more on their own, eleven or more glued to
    letters (``id13800138000``), nine or more in groups. A decimal number (one dot) is judged by its
    two halves. A date, UUID or hex id is kept, and what follows it judged on its own."""
    number = match.group()
    date = _DATE.match(number)
    if date:
        return date.group() + _NUMBERS.sub(_redact_if_phone, number[date.end() :])
    digits = sum(ch.isdigit() for ch in number)
    if digits < 7:
        return number
    text, start, end = match.string, match.start(), match.end()
    glued_left = start > 0 and text[start - 1] in _GLUE
    glued = glued_left or (end < len(text) and text[end] in _GLUE)
    if glued_left:
        word_start, word_end = _word_around(text, start)
        if _ID.fullmatch(text, word_start, word_end):
            inside = word_end - start
            return number[:inside] + _NUMBERS.sub(_redact_if_phone, number[inside:])
    if number.lstrip("+").isdigit():
        return REDACTED if digits >= (11 if glued else 7) else number
    if number.count(".") == 1 and number.replace(".", "").lstrip("+").isdigit():
        whole, fraction = number.split(".")
        return REDACTED if max(len(whole.lstrip("+")), len(fraction)) >= (11 if glued else 7) else number
    return REDACTED if digits >= 9 else number


def _word_around(text: str, position: int) -> tuple[int, int]:
    """The bounds of the run of letters, digits, ``_`` and ``-`` that holds ``position``."""
    start = end = position
    while start > 0 and text[start - 1] in _WORD:
        start -= 1
    while end < len(text) and text[end] in _WORD:
        end += 1
    return start, end


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, Mapping):
        # Keys of nested data may come from input (a form's field names): they are scrubbed too.
        return {scrub(str(k)): REDACTED if _is_sensitive(str(k)) else _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_clean(v) for v in value]
    return value


@lru_cache(maxsize=1024)
def _is_sensitive(key: str) -> bool:
    # Bounded, and it only holds key names; they are remembered, never written out unscrubbed.
    return key.lower() in SENSITIVE_KEYS


def redact(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: the last line of defence between personal data and the log."""
    for key, value in event_dict.items():  # values are replaced in place; no key is added
        if _is_sensitive(key):
            event_dict[key] = REDACTED
        elif key not in _OWN_KEYS:
            event_dict[key] = _clean(value)
    return event_dict


# Written by the pipeline itself (TimeStamper, add_log_level, add_logger_name), never by a caller.
_OWN_KEYS = frozenset({"timestamp", "level", "logger"})


def configure_logging(
    level: str = "INFO",
    fmt: str | None = None,
    also_to: Path | None = None,
    view: Literal["full", "summary"] = "full",
) -> None:
    """Route structlog and stdlib logging through one redacting pipeline (idempotent).

    structlog's own lines are rendered and written directly, without a stdlib ``LogRecord`` or
    handler in between, and calls below the level cost next to nothing: a line per request is on
    intake's hot path. Records from libraries (aiohttp, aio-pika) take the stdlib route and meet the
    same processors. ``also_to`` copies every line to a file as well (the test run checks it for
    personal data). ``view="summary"`` keeps only what a person watching cares about, as plain
    lines (:mod:`shared.logview`).
    """
    global _configured
    if _configured:
        return
    _configured = True
    fmt = fmt or ("console" if sys.stderr.isatty() else "json")
    renderer: Any = (
        logview.render_summary
        if view == "summary"
        else structlog.processors.JSONRenderer(ensure_ascii=False)
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        raise ValueError(f"unknown log level {level!r}")
    streams: list[TextIO] = [sys.stderr]
    if also_to is not None:
        streams.append(also_to.open("a", encoding="utf-8"))
    lines = cast(TextIO, _Tee(streams))  # a text file as far as its two writers are concerned
    # Every line, structlog's and stdlib's, passes redact() right before it is rendered.
    final = [
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        redact,
        renderer,
    ]
    summary = [logview.keep_summary] if view == "summary" else []
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.stdlib.add_logger_name,
            *summary,
            *final,
        ],
        logger_factory=lambda *args: _NamedWriteLogger(args[0] if args else "root", lines),
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.ExtraAdder(),
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
        ],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *final],
    )
    handler = logging.StreamHandler(lines)
    handler.setFormatter(formatter)
    handler.addFilter(LibraryRecords())  # message bodies and raw request bytes never reach a line
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logview.library_level(view, numeric))
    # aio-pika narrates every frame at INFO; its warnings are what an operator needs.
    for noisy in ("aio_pika", "aiormq", "pymongo"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # The driver's command log holds whole command and reply documents (a grievance's text, a key in
    # a duplicate-key error), at DEBUG and in failure messages: it is off at every level. pymongo
    # asks the logger before it builds a message, so this also costs nothing.
    logging.getLogger("pymongo.command").setLevel(_NEVER)


class _Tee:
    """The pipeline's one output, as a text file: what is written goes to every stream, flushed.

    structlog's :class:`structlog.WriteLogger` and the stdlib's :class:`logging.StreamHandler` each
    write a whole line per call, so one lock here keeps lines whole across both.
    """

    def __init__(self, streams: list[TextIO]) -> None:
        self.streams = streams
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        with self._lock:
            for stream in self.streams:
                stream.write(text)
                stream.flush()
        return len(text)

    def flush(self) -> None:
        """Every write is flushed already."""


class _NamedWriteLogger(structlog.WriteLogger):
    """structlog's stock file logger, with the name ``get_logger(__name__)`` gave it.

    :func:`structlog.stdlib.add_logger_name` reads ``name`` from the logger; the stock factories
    drop the argument, and the stdlib's factory would put a ``LogRecord`` on every line.
    """

    def __init__(self, name: str, file: TextIO) -> None:
        super().__init__(file)
        self.name = name
