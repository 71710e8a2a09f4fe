"""How an event changes a ``case_clocks`` document (pure: documents in, documents out).

The document keeps the assignment, every update applied so far (the timeline) and the ids of the
events applied, and derives everything else from them with :func:`policy.fold`. So an event applied
twice changes nothing, an update that arrives before its assignment waits in the timeline, and the
derived fields are the same whatever the arrival order. The timeline itself is kept in the order
things happened (:meth:`policy.Entry.order`), not the order the events arrived in: it is what the NGO
reads, and events of one case routinely arrive out of order or race each other.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from services.escalation import policy
from services.escalation.policy import Assignment, ClockState, Entry
from shared.contracts import CaseAssigned, CaseUpdated
from shared.sla import SlaTable
from shared.store import to_ms

Doc = dict[str, Any]
_ASSIGNMENT_FIELDS = tuple(f.name for f in dataclasses.fields(Assignment))
_ENTRY_FIELDS = tuple(f.name for f in dataclasses.fields(Entry))
# Derived fields written at the top level, where queries and statistics find them.
STATE_FIELDS = (
    "status",
    "committee_id",
    "category",
    "severity",
    "ack_due_at",
    "resolve_due_at",
    "acknowledged_at",
    "resolved_at",
    "confirmed_at",
    "disputed_at",
    "closed_at",
)


def merge(doc: Doc | None, event: CaseAssigned | CaseUpdated, sla: SlaTable, now: datetime) -> Doc | None:
    """The clock document after ``event``; ``None`` when the event was applied before."""
    event_id = str(event.id)
    if doc is not None and event_id in doc.get("applied", []):
        return None
    new: Doc = _skeleton(event.case_id, event.reference) if doc is None else _copy(doc)
    if isinstance(event, CaseAssigned):
        _merge_assignment(new, event)
    else:
        new["timeline"] = in_order([*new["timeline"], dataclasses.asdict(entry_of(event))])
    new["applied"].append(event_id)
    new["updated_at"] = now
    return derive(new, sla)


def derive(doc: Doc, sla: SlaTable) -> Doc:
    """Fill the derived fields (state, new immediate reasons, pending deadlines) from the facts."""
    assignment = assignment_of(doc)
    if assignment is None:
        return doc
    state = state_of(doc, sla)
    for name in STATE_FIELDS:
        doc[name] = getattr(state, name)
    doc["factory_id"] = assignment.factory_id
    doc["created_at"] = assignment.created_at
    escalated = list(doc["escalated"])
    escalated += sorted(policy.immediate_reasons(assignment, state) - set(escalated))
    doc["escalated"] = escalated
    for name, due in policy.pending_due(state, escalated).items():
        if due is None:
            doc.pop(name, None)
        else:
            doc[name] = due
    return doc


def assignment_of(doc: Doc) -> Assignment | None:
    raw = doc.get("assignment")
    return Assignment(**{k: raw[k] for k in _ASSIGNMENT_FIELDS if k in raw}) if raw else None


def entries_of(doc: Doc) -> list[Entry]:
    return [_entry(raw) for raw in doc.get("timeline", [])]


def in_order(timeline: list[Doc]) -> list[Doc]:
    """Timeline entries sorted by when they happened; the event id breaks ties, so the order is total."""
    return sorted(timeline, key=lambda raw: _entry(raw).order())


def _entry(raw: Doc) -> Entry:
    fields: Doc = {k: raw.get(k) for k in _ENTRY_FIELDS}
    return Entry(**fields)


def state_of(doc: Doc, sla: SlaTable) -> ClockState:
    assignment = assignment_of(doc)
    if assignment is None:
        raise ValueError("the case has no assignment yet")
    return policy.fold(assignment, entries_of(doc), sla)


def entry_of(event: CaseUpdated) -> Entry:
    # Times as the store keeps them (milliseconds), so the order sorted here is the order read back.
    return Entry(
        event_id=str(event.id),
        at=to_ms(event.at),
        occurred_at=to_ms(event.occurred_at),
        action=event.action,
        actor_role=event.actor_role,
        status=event.status,
        committee_id=event.committee_id,
        category=event.category,
        severity=event.severity,
        ack_due_at=event.ack_due_at,
        resolve_due_at=event.resolve_due_at,
    )


def _merge_assignment(doc: Doc, event: CaseAssigned) -> None:
    current = doc.get("assignment")
    # A case assigned twice (a replay by the router) keeps the newer decision.
    if current and current["occurred_at"] > event.occurred_at:
        return
    doc["assignment"] = {
        "reference": event.reference,
        "factory_id": event.factory_id,
        "committee_id": event.committee_id,
        "unassigned_reason": event.unassigned_reason,
        "category": event.category,
        "severity": event.severity,
        "ack_due_at": event.ack_due_at,
        "resolve_due_at": event.resolve_due_at,
        "created_at": event.created_at,
        "received_at": event.received_at,
        "occurred_at": event.occurred_at,
    }
    doc["assigned"] = True
    doc["reference"] = event.reference
    doc["text"] = event.text
    doc["language"] = event.language
    # Only the notice to the worker needs these; no API ever returns them.
    doc["reply_to"] = {
        "channel": event.channel,
        "sealed_contact": event.sealed_contact,
        "gateway_number": event.gateway_number,
    }


def _skeleton(case_id: str, reference: str) -> Doc:
    return {
        "case_id": case_id,
        "reference": reference,
        "assigned": False,
        "assignment": None,
        "timeline": [],
        "applied": [],
        "escalated": [],
        "version": 0,
    }


def _copy(doc: Doc) -> Doc:
    new = {k: v for k, v in doc.items() if k != "_id"}
    for name in ("timeline", "applied", "escalated"):
        new[name] = list(doc.get(name, []))
    return new
