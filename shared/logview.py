"""The summary view of the log: what a person watching the embedded run cares about, in plain lines.

``make run`` shares its terminal with the banner and its ready-to-paste examples; a JSON line per
HTTP request would scroll them away within seconds. The summary view keeps warnings and errors and
the few events that tell the story of a grievance (a case assigned, an escalation, a message sent to
a worker), each as one short line. Everything it shows has passed the same redaction as the full
log; ``grievance serve all --full-log`` shows every line instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, MutableMapping
from datetime import datetime
from typing import Any

import structlog

Fields = MutableMapping[str, Any]


def _case(fields: Fields) -> str:
    """The case as its committee and the NGO know it, by its reference; a line that carries none
    (an older producer's) shows the start of the internal case id instead."""
    reference = fields.get("reference")
    if reference:
        return str(reference)
    case_id = str(fields.get("case_id") or "")
    return case_id[:8] or "?"


def _case_created(fields: Fields) -> str:
    where = (
        f"assigned to committee {fields['committee_id']}"
        if fields.get("committee_id")
        else f"held for the NGO ({fields.get('unassigned_reason') or 'unassigned'})"
    )
    return f"case {_case(fields)} {where}: {fields.get('category')}, {fields.get('severity')}"


def _escalation(fields: Fields) -> str:
    return f"case {_case(fields)} escalated to the NGO: {fields.get('reason')}"


def _sent(fields: Fields) -> str:
    return f"message to a worker sent ({fields.get('purpose')}, {fields.get('provider')})"


def _undeliverable(fields: Fields) -> str:
    return f"message to a worker not deliverable ({fields.get('purpose')}: {fields.get('reason')})"


def _worker_message(fields: Fields) -> str:
    return f"worker message handled: {fields.get('decision')}"


def _settled(fields: Fields) -> str:
    return f"case {_case(fields)} escalation settled: {fields.get('reason')}"


# The events of the summary, each with the sentence it becomes.
SUMMARY: dict[str, Callable[[Fields], str]] = {
    "case_created": _case_created,
    "escalation_opened": _escalation,
    "escalation_settled": _settled,
    "outbound_sent": _sent,
    "outbound_undeliverable": _undeliverable,
    "worker_message_handled": _worker_message,
    "embedded_run_stopping": lambda _: "stopping",
}
_SHOWN_LEVELS = frozenset({"warning", "error", "critical", "exception"})
_QUIET_KEYS = frozenset(
    {"event", "level", "logger", "timestamp", "request_id", "event_id", "event_type", "correlation_id"}
)


def keep_summary(_: Any, __: str, fields: Fields) -> Fields:
    """structlog processor: drop everything but the summary's events, warnings and errors."""
    if fields.get("event") in SUMMARY or fields.get("level") in _SHOWN_LEVELS:
        return fields
    raise structlog.DropEvent


def render_summary(_: Any, __: str, fields: Fields) -> str:
    """One line: local time, then the event's sentence, or the level, event and its fields."""
    stamp = _local_time(fields.get("timestamp"))
    sentence = SUMMARY.get(str(fields.get("event")))
    if sentence is not None and fields.get("level") not in _SHOWN_LEVELS:
        return f"{stamp}  {sentence(fields)}"
    details = " ".join(f"{k}={v}" for k, v in fields.items() if k not in _QUIET_KEYS and v is not None)
    exception = fields.pop("exception", None)
    line = f"{stamp}  {fields.get('level', 'info')}: {fields.get('event')}  {details}".rstrip()
    return f"{line}\n{exception}" if exception else line


def _local_time(value: Any) -> str:
    try:
        return datetime.fromisoformat(str(value)).astimezone().strftime("%H:%M:%S")
    except ValueError:
        return "--:--:--"


def library_level(view: str, level: int) -> int:
    """Libraries' records (aiohttp's access lines among them) in the summary: warnings and above."""
    return max(level, logging.WARNING) if view == "summary" else level
