"""Dead letters explained, for both buses: why each is there, what it holds, whether a replay would take.

A consumer's rejection is recorded with the message (reason, error, an id the ``event_rejected``
log line carries too): on RabbitMQ in the ``x-grievance-*`` headers of the copy the bus puts in the
``.dead`` twin (:mod:`shared.amqp_dead`), in the in-memory bus beside the message. A message that
RabbitMQ dead-lettered itself (the delivery limit) keeps RabbitMQ's ``x-death`` instead.

An operator needs the shape of a dead letter, never what a worker wrote. :func:`describe` shows a
body's structure, types and sizes, with the values of text, contacts, sealed contacts, reporter
keys, PIN hashes and tokens replaced, every other value scrubbed by the log's own rules
(:func:`shared.log.scrub`), and a string that may be someone's words (it has a space, or more than
64 characters) shown only by its size: nothing leaves here that a log line could not hold.

:func:`refusal` says whether a replay would now be accepted: the body parses as a known event of
the current contracts, and its type is one the queue is bound for. A replay refuses (unless forced)
what would only come back to ``.dead``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.contracts import InvalidEvent, parse_event
from shared.handlers import not_for
from shared.log import SENSITIVE_KEYS, scrub
from shared.messaging import QUEUES, DeadLetter

REASON = "x-grievance-reason"
ERROR = "x-grievance-error"
LETTER_ID = "x-grievance-dead-letter-id"
QUEUE = "x-grievance-queue"
AT = "x-grievance-dead-lettered-at"

# Beyond the log's keys: values that identify a worker or open something, whatever they look like.
# ``code``: a message's one-time code (message.outbound), a secret like its text.
_HIDDEN_KEYS = SENSITIVE_KEYS | {"reporter_key", "pin_hash", "note", "gateway_number", "code"}
_HIDDEN_PARTS = ("text", "contact", "phone", "token", "secret", "password", "key", "pin")
# Ids, codes, types, references and times are short and have no spaces; anything else may be
# someone's words, so only its size is shown.
_SHORT = 64
_ITEMS = 20  # list items shown before the rest is counted
_DEPTH = 8


@dataclass(frozen=True)
class Inspection:
    """What ``grievance dlq show`` prints: the dead letter, its body described, and whether a replay
    would be taken (``refusal`` None) or why not."""

    letter: DeadLetter
    body: Any
    refusal: str | None


def inspect(queue: str, letter: DeadLetter, body: bytes) -> Inspection:
    return Inspection(letter, describe(body), refusal(queue, body, letter.type))


def letter_id(own: str | None, message_id: str | None, body: bytes) -> str:
    """The id a dead letter is listed under: the consumer's, else the message id, else a digest."""
    return own or message_id or "sha-" + hashlib.sha256(body).hexdigest()[:12]


def from_headers(
    headers: Mapping[str, Any] | None,
    *,
    message_id: str | None,
    type_name: str | None,
    correlation_id: str | None,
    body: bytes,
) -> DeadLetter:
    """A RabbitMQ dead letter as listed: our headers when a consumer rejected it, else ``x-death``."""
    headers = headers or {}
    own = _text(headers.get(LETTER_ID))
    reason, at = _text(headers.get(REASON)), _text(headers.get(AT))
    if reason is None:
        reason, at = _death(headers.get("x-death"))
    return DeadLetter(
        id=letter_id(own, message_id, body),
        message_id=message_id,
        type=type_name or None,
        size=len(body),
        reason=reason,
        error=_text(headers.get(ERROR)),
        correlation_id=correlation_id,
        dead_lettered_at=at,
    )


def refusal(queue: str, body: bytes, type_name: str | None) -> str | None:
    """Why the queue's consumer would reject this body again; None when a replay would be taken."""
    try:
        event = parse_event(body, type_name or None)
    except InvalidEvent as exc:
        return str(exc)
    if event.routing_key() not in QUEUES[queue]:
        return not_for(event.type, queue)
    return None


def describe(body: bytes) -> Any:
    """The body's structure, types and sizes, with nothing a log line could not hold."""
    try:
        decoded = body.decode("utf-8")
    except UnicodeDecodeError:
        return f"<not UTF-8: {len(body)} bytes>"
    try:
        value = json.loads(decoded)
    except ValueError:
        return f"<not JSON: {len(body)} bytes>"
    return _describe(value, None, 0)


def _describe(value: Any, key: str | None, depth: int) -> Any:
    if key is not None and _hidden(key) and value is not None:
        return f"<redacted: {_shape(value)}>"
    if isinstance(value, dict):
        if depth >= _DEPTH:
            return f"<object: {len(value)} keys>"
        return {scrub(str(k)): _describe(v, str(k), depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        if depth >= _DEPTH:
            return f"<list: {len(value)} items>"
        shown = [_describe(v, None, depth + 1) for v in value[:_ITEMS]]
        return shown + ([f"<{len(value) - _ITEMS} more>"] if len(value) > _ITEMS else [])
    if isinstance(value, str):
        if scrub(value) != value:
            return f"<redacted: {_shape(value)}>"
        words = len(value) > _SHORT or any(ch.isspace() for ch in value)
        return f"<{_shape(value)}>" if words else value
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return value if scrub(str(value)) == str(value) else f"<redacted: {_shape(value)}>"
    return f"<{type(value).__name__}>"


def _hidden(key: str) -> bool:
    lowered = key.lower()
    return lowered in _HIDDEN_KEYS or any(part in lowered for part in _HIDDEN_PARTS)


def _shape(value: Any) -> str:
    if isinstance(value, str):
        return f"string, {len(value)} characters"
    if isinstance(value, dict):
        return f"object, {len(value)} keys"
    if isinstance(value, list):
        return f"list, {len(value)} items"
    return type(value).__name__


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _death(deaths: Any) -> tuple[str | None, str | None]:
    if isinstance(deaths, list) and deaths and isinstance(deaths[0], dict):
        return _text(deaths[0].get("reason")), _text(deaths[0].get("time"))
    return None, None
