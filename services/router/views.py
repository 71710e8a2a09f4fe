"""What leaves the router about a case: allow-listed views (pure).

Every field of an answer is named here. A field that is not named never leaves the router, which is
how the sealed contact, the reporter key, the PIN hash, the gateway number and other committees'
recusals stay inside.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from services.router.case import Case
from services.router.progress import StatusFacts, progress

# The order of the fields is the order of the answers' keys.
CASE_FIELDS = (
    "reference",
    "status",
    "category",
    "severity",
    "factory_id",
    "committee_id",
    "channel",
    "language",
    "anonymous",
    "received_at",
    "created_at",
    "ack_due_at",
    "resolve_due_at",
    "acknowledged_at",
    "resolved_at",
    "closure",
)
TIMELINE_FIELDS = ("at", "action", "actor_role")
MESSAGE_FIELDS = ("id", "direction", "text", "at", "purpose")
STATUS_FIELDS = ("reference", "status", "ack_due_at", "resolve_due_at")


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _pick(source: object, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: _iso(getattr(source, name)) for name in names}


def summary_view(case: Case) -> dict[str, Any]:
    return _pick(case, CASE_FIELDS)


def case_view(case: Case, delivery: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The committee's view of its own case: text, timeline and messages, never the contact.

    ``delivery`` maps a committee message's id to what intake knows of its delivery; a message
    intake has not picked up yet is ``pending``.
    """
    delivery = delivery or {}
    view = summary_view(case)
    view["text"] = case.text
    view["resolution"] = case.resolution
    view["timeline"] = [_pick(entry, TIMELINE_FIELDS) for entry in case.timeline]
    messages = []
    for message in case.messages:
        item = _pick(message, MESSAGE_FIELDS)
        if message.direction == "committee":
            item["delivery_status"] = delivery.get(message.id, "pending")
        messages.append(item)
    view["messages"] = messages
    return view


def status_view(case: StatusFacts, now: datetime) -> dict[str, Any]:
    """What a worker sees on the public status page: status, deadlines, and whether the NGO holds or
    follows the case and which deadline passed unmet (:mod:`services.router.progress`)."""
    view = _pick(case, STATUS_FIELDS)
    where = progress(case, now)
    view["with_independent_organisation"] = where.with_ngo
    view["overdue"] = where.overdue
    return view
