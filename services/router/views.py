"""What leaves the router about a case: allow-listed views (pure).

Every field of an answer is named here. A field that is not named never leaves the router, which is
how the sealed contact, the reporter key, the PIN hash, the gateway number and other committees'
recusals stay inside.

A committee is a handful of people inside the factory the worker complains about, with the shift
rosters and the gate logs at hand. What the views show it is cut down to what it needs to handle
the case (``docs/router.md``, metadata for committees): the times that say when the worker did
something (received, every worker message, the system's entries and the deadlines, which are the
received time plus the SLA) are rounded down to the hour, or the day (``Rounding``); the channel and
the language are not shown. The committee's own actions keep their exact times. The NGO's API
(escalation) keeps every detail.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal, NamedTuple

from services.router.case import Case
from services.router.progress import StatusFacts, progress
from shared.contracts import DeliveryReason

Rounding = Literal["hour", "day"]

# The order of the fields is the order of the answers' keys.
CASE_FIELDS = (
    "reference",
    "status",
    "category",
    "severity",
    "factory_id",
    "committee_id",
    "anonymous",
    "received_at",
    "created_at",
    "ack_due_at",
    "resolve_due_at",
    "acknowledged_at",
    "resolved_at",
    "closure",
)
# The case's times that follow from when the worker wrote (the deadlines count from it).
ROUNDED_FIELDS = ("received_at", "created_at", "ack_due_at", "resolve_due_at")
TIMELINE_FIELDS = ("at", "action", "actor_role")
MESSAGE_FIELDS = ("id", "direction", "text", "at", "purpose")
STATUS_FIELDS = ("reference", "status", "ack_due_at", "resolve_due_at")
# Whether a committee message reaches the worker: no contact given, the contact not confirmed yet,
# the worker sent STOP, or reachable.
WorkerContact = Literal["none", "unconfirmed", "opted_out", "reachable"]


class DeliveryStatus(NamedTuple):
    """Where a committee message stands as intake last announced it, and why it did not arrive."""

    state: str
    reason: DeliveryReason | None = None


PENDING = DeliveryStatus("pending")  # intake has not picked the message up yet


def rounded(value: datetime, rounding: Rounding) -> datetime:
    """``value`` rounded down to its hour or its day (UTC): never later than it was."""
    value = value.replace(minute=0, second=0, microsecond=0)
    return value.replace(hour=0) if rounding == "day" else value


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _pick(
    source: object, names: tuple[str, ...], coarse: tuple[str, ...] = (), rounding: Rounding = "hour"
) -> dict[str, Any]:
    picked = {}
    for name in names:
        value = getattr(source, name)
        if name in coarse and isinstance(value, datetime):
            value = rounded(value, rounding)
        picked[name] = _iso(value)
    return picked


def summary_view(case: Case, rounding: Rounding = "hour") -> dict[str, Any]:
    return _pick(case, CASE_FIELDS, ROUNDED_FIELDS, rounding)


def case_view(
    case: Case,
    delivery: Mapping[str, DeliveryStatus] | None = None,
    rounding: Rounding = "hour",
    contact: WorkerContact | None = None,
) -> dict[str, Any]:
    """The committee's view of its own case: text, timeline and messages, never the contact.

    ``delivery`` maps a committee message's id to what intake knows of its delivery; a message
    intake has not picked up yet is ``pending``. Only the state is shown, and why a message did not
    arrive (a reason from a closed set, never the provider's words or the number): when a text
    reached the worker's phone says when the worker had it in hand. ``worker_contact`` says whether
    a message can reach the worker (never the contact itself).
    """
    delivery = delivery or {}
    view = summary_view(case, rounding)
    if contact is not None:
        view["worker_contact"] = contact
    view["text"] = case.text
    view["resolution"] = case.resolution
    view["timeline"] = [
        _pick(entry, TIMELINE_FIELDS, () if entry.actor_role == "committee" else ("at",), rounding)
        for entry in case.timeline
    ]
    messages = []
    for message in case.messages:
        item = _pick(message, MESSAGE_FIELDS, ("at",) if message.direction == "worker" else (), rounding)
        if message.direction != "worker":
            status = delivery.get(message.id, PENDING)
            item["delivery_status"] = status.state
            item["delivery_reason"] = status.reason
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


# What the worker's own case page shows (services.router.case_page): the worker's case, in full
# times, and the thread of their messages and the answers to them.
WORKER_FIELDS = (
    "reference",
    "status",
    "received_at",
    "ack_due_at",
    "resolve_due_at",
    "acknowledged_at",
    "resolved_at",
    "resolution",
    "closure",
)
WORKER_MESSAGE_FIELDS = ("id", "direction", "text", "at", "purpose")


def worker_view(case: Case, now: datetime) -> dict[str, Any]:
    """The worker's view of their own case: where it stands (:mod:`services.router.progress`), the
    deadlines and the whole thread. Never who in the committee wrote, the timeline's notes, the
    category the committee chose, recusals or the conflict records the NGO keeps."""
    view = _pick(case, WORKER_FIELDS)
    where = progress(case, now)
    view["with_independent_organisation"] = where.with_ngo
    view["overdue"] = where.overdue
    view["messages"] = [_pick(message, WORKER_MESSAGE_FIELDS) for message in case.messages]
    return view
