"""Libraries' log records, made safe before the pipeline renders them.

The scrubber (:func:`shared.log.scrub`) finds phone numbers, tokens and Chinese text in a line; it
cannot know that a ``%r`` of a message holds a grievance in English, or that a request line holds a
status page's PIN. Two kinds of record carry such things, and both are rewritten here, at any level:

- aiormq formats messages and frames with ``%r`` (``"Unhandled message %r returning"`` at ERROR for a
  returned mandatory publish; ``"Sending %r"`` at DEBUG), and their reprs hold the body's bytes, so a
  whole event: any argument whose repr holds bytes becomes its type and length, never its content.
- aiohttp logs a request it cannot parse (``"Error handling request from %s"``) at ERROR with the
  parser's exception, whose message quotes the offending bytes: the request line with its query
  string, a header, a piece of a chunked body. The record keeps the client's address, the error's
  name and status, and an error becomes a warning (a client's malformed request is no fault of the
  service).

pymongo's command log, which holds whole command documents, is switched off in :mod:`shared.log`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from aiohttp.http_exceptions import HttpProcessingError

_PLAIN = (str, int, float, bool, type(None))
_BYTES_LITERAL = re.compile(r"""(?<![\w'"])b(?:'|")""")


class LibraryRecords(logging.Filter):
    """A handler filter: every stdlib record passes it, so child loggers (``aiormq.channel``) too."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], HttpProcessingError):
            _malformed_request(record, record.exc_info[1])
        if not isinstance(record.msg, str):
            record.msg = withheld(record.msg)
        if isinstance(record.args, Mapping):
            record.args = {key: withheld(value) for key, value in record.args.items()}
        elif record.args:
            record.args = tuple(withheld(arg) for arg in record.args)
        return True


def withheld(value: Any) -> Any:
    """``value`` itself, or a summary of it when its repr would show bytes (a body, a frame)."""
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        return f"<{len(value)} bytes withheld>"
    body = getattr(value, "body", None)
    if isinstance(body, bytes | bytearray | memoryview):
        return f"<{type(value).__name__}: {len(body)} bytes of body withheld>"
    try:
        shown = repr(value)
    except Exception:  # a repr that fails is not worth the record
        return f"<{type(value).__name__}>"
    if _BYTES_LITERAL.search(shown):
        return f"<{type(value).__name__}: bytes withheld>"
    return value


def _malformed_request(record: logging.LogRecord, error: HttpProcessingError) -> None:
    remote = record.args[0] if isinstance(record.args, tuple) and record.args else "an unknown client"
    record.msg = "malformed request from %s: %s (%s)"
    record.args = (remote, type(error).__name__, error.code)
    record.exc_info = None
    record.exc_text = None
    if record.levelno > logging.WARNING:
        record.levelno, record.levelname = logging.WARNING, logging.getLevelName(logging.WARNING)
