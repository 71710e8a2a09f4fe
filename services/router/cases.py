"""The case document, the events it gives rise to, and the views of it (pure).

Event ids are derived (uuid5) from the case id and what the event is about, so an event rebuilt after
a crash or a redelivery carries the same id and downstream consumers drop the duplicate. Views are
built from explicit allow-lists: a field that is not named here never leaves the router, which is how
the sealed contact, the reporter key and the PIN hash stay inside.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from services.router import texts
from services.router.assign import Assignment
from services.router.classify import Classification
from shared.contracts import (
    CaseAction,
    CaseAssigned,
    CaseUpdated,
    Event,
    GrievanceReceived,
    MessageOutbound,
    OutboundPurpose,
    parse_event,
)
from shared.sla import SlaTable, due_dates
from shared.store import to_ms

_NAMESPACE = uuid.UUID("b3c1f0a2-54de-4c3b-8e0f-2d6a9f7c1e55")
INDEPENDENT_REASONS = ("retaliation", "conflict_of_interest")


def event_id(case_id: str, *parts: str) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, "\x1f".join((case_id, *parts)))


def new_case(
    event: GrievanceReceived,
    *,
    reference: str,
    now: datetime,
    factory_id: str | None,
    factory_via: str | None,
    assignment: Assignment,
    classification: Classification,
    sla: SlaTable,
) -> dict[str, Any]:
    case_id = str(event.grievance_id)
    received = to_ms(event.received_at)
    due = due_dates(sla, classification.severity, received)
    reason = "unroutable" if factory_id is None else assignment.unassigned_reason
    committee_id = assignment.committee_id if factory_id is not None else None
    now = to_ms(now)
    doc: dict[str, Any] = {
        "_id": case_id,
        "case_id": case_id,
        "grievance_id": case_id,
        "reference": reference,
        "factory_id": factory_id,
        "factory_via": factory_via,
        "committee_id": committee_id,
        "unassigned_reason": reason,
        "skipped_committees": list(assignment.skipped),
        "recused_by": [],
        "category": classification.category,
        "severity": classification.severity,
        "status": "assigned" if committee_id else "unassigned",
        "channel": event.channel,
        "language": event.language,
        "anonymous": event.anonymous,
        "text": event.text,
        "sealed_contact": event.sealed_contact,
        "gateway_number": event.gateway_number,
        "reporter_key": event.reporter_key,
        "pin_hash": event.pin_hash,
        "received_at": received,
        "created_at": now,
        "ack_due_at": due.ack,
        "resolve_due_at": due.resolve,
        "acknowledged_at": None,
        "resolved_at": None,
        "resolution": None,
        "closure": None,
        "timeline": [
            {
                "id": str(event_id(case_id, "created")),
                "at": now,
                "action": "assigned" if committee_id else "unassigned",
                "actor_role": "system",
                "committee_id": committee_id,
                "note": reason,
            }
        ],
        "messages": [
            {"id": case_id, "direction": "worker", "text": event.text, "at": received, "purpose": "grievance"}
        ],
        "outbox": [],
    }
    if reference != event.reference:
        doc["original_reference"] = event.reference
    return doc


def outbound(
    case: dict[str, Any], purpose: OutboundPurpose, text: str, id_parts: tuple[str, ...], at: datetime
) -> MessageOutbound | None:
    """A text for the case's worker, or None when there is no contact to reach."""
    if not case.get("sealed_contact"):
        return None
    return MessageOutbound(
        id=event_id(case["_id"], *id_parts),
        occurred_at=at,
        correlation_id=uuid.UUID(case["grievance_id"]),
        channel=case["channel"],
        sealed_contact=case["sealed_contact"],
        text=text,
        language=case["language"],
        reference=case["reference"],
        case_id=case["_id"],
        purpose=purpose,
        gateway_number=case.get("gateway_number"),
    )


def creation_events(case: dict[str, Any], *, reach_worker: bool = True) -> list[Event]:
    """CaseAssigned and the worker's acknowledgement, rebuilt identically from the stored case."""
    events: list[Event] = [
        CaseAssigned(
            id=event_id(case["_id"], "case.assigned"),
            occurred_at=case["created_at"],
            correlation_id=uuid.UUID(case["grievance_id"]),
            case_id=case["_id"],
            reference=case["reference"],
            factory_id=case["factory_id"],
            committee_id=case["committee_id"],
            unassigned_reason=case["unassigned_reason"],
            category=case["category"],
            severity=case["severity"],
            ack_due_at=case["ack_due_at"],
            resolve_due_at=case["resolve_due_at"],
            received_at=case["received_at"],
            channel=case["channel"],
            language=case["language"],
            text=case["text"],
            sealed_contact=case["sealed_contact"],
            gateway_number=case["gateway_number"],
            created_at=case["created_at"],
        )
    ]
    if case["unassigned_reason"] == "unroutable" and case["factory_id"] is None:
        text = texts.ask_factory_code(case["language"], case["reference"])
    else:
        independent = case["unassigned_reason"] in INDEPENDENT_REASONS
        text = texts.ack(
            case["language"], case["reference"], case["ack_due_at"], case["resolve_due_at"], independent
        )
    message = outbound(case, "ack", text, ("ack",), case["created_at"])
    if message is not None and reach_worker:
        events.append(message)
    return events


def case_updated(
    case: dict[str, Any],
    action: CaseAction,
    actor: str,
    action_id: str,
    at: datetime,
    note: str | None = None,
) -> CaseUpdated:
    """The CaseUpdated for an action, from the case as it is after the action."""
    return CaseUpdated(
        id=event_id(case["_id"], action_id, "case.updated"),
        occurred_at=at,
        correlation_id=uuid.UUID(case["grievance_id"]),
        case_id=case["_id"],
        reference=case["reference"],
        action=action,
        actor_role=actor,
        at=at,
        status=case["status"],
        committee_id=case.get("committee_id"),
        category=case["category"],
        severity=case["severity"],
        ack_due_at=case["ack_due_at"],
        resolve_due_at=case["resolve_due_at"],
        note=note,
    )


def outbox_entry(event: Event) -> dict[str, Any]:
    return {"id": str(event.id), "type": event.type, "body": event.to_json().decode("utf-8")}


def outbox_event(entry: dict[str, Any]) -> Event:
    return parse_event(entry["body"].encode("utf-8"), entry["type"])


# -- views ----------------------------------------------------------------------------------------------

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


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def summary_view(case: dict[str, Any]) -> dict[str, Any]:
    return {name: _iso(case.get(name)) for name in CASE_FIELDS}


def case_view(case: dict[str, Any], delivery: dict[str, str] | None = None) -> dict[str, Any]:
    """The committee's view of its own case: text, timeline and messages, never the contact."""
    delivery = delivery or {}
    view = summary_view(case)
    view["text"] = case["text"]
    view["resolution"] = case.get("resolution")
    view["timeline"] = [
        {n: _iso(entry.get(n)) for n in TIMELINE_FIELDS} for entry in case.get("timeline", [])
    ]
    messages = []
    for message in case.get("messages", []):
        item = {n: _iso(message.get(n)) for n in MESSAGE_FIELDS}
        if message.get("direction") == "committee":
            item["delivery_status"] = delivery.get(
                message["id"], "sent" if message.get("sent") else "pending"
            )
        messages.append(item)
    view["messages"] = messages
    return view


def status_view(case: dict[str, Any]) -> dict[str, Any]:
    """What a worker sees on the public status page: status and deadlines only."""
    return {name: _iso(case.get(name)) for name in ("reference", "status", "ack_due_at", "resolve_due_at")}
