"""How a :class:`CaseRecord` and an :class:`Escalation` are laid out as MongoDB documents.

Only :mod:`services.escalation.store` uses this. The layout is the one the service has always
written, so documents stored by earlier versions load (a field added since takes its default), and
the fields other readers rely on stay where they were: a record's derived state (status, committee,
category, severity, deadlines and their times, factory and creation time) at the top level for
queries and statistics; ``ack_pending_due`` / ``resolve_pending_due`` present only while a deadline
is watched, since the sweeper's sparse indexes hold exactly the documents that have them; an
escalation's view of its case at the top level, as ``refresh`` sets it. pydantic checks every
document read, so a malformed one fails where it is read instead of deep inside a rule.

Datetimes come back from the driver timezone-aware (UTC) and in milliseconds; the models truncate
times to milliseconds as they enter, so what is read back equals what was written.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from pydantic import TypeAdapter

from services.escalation.escalations import CaseView, Escalation
from services.escalation.policy import ACK_OVERDUE, RESOLUTION_OVERDUE
from services.escalation.records import CaseRecord, CaseState
from shared.contracts import EscalationReason

Document = dict[str, Any]

# The record field that holds each swept reason's pending deadline (each has a sparse index).
PENDING_FIELDS: dict[EscalationReason, str] = {
    ACK_OVERDUE: "ack_pending_due",
    RESOLUTION_OVERDUE: "resolve_pending_due",
}
# Where an escalation keeps the version of the record its view comes from (``CaseView.record_version``):
# the name it was first stored under, when the record was called the case's clock. Every escalation
# stored carries it and the refresh filters on it, so it stays rather than be rewritten everywhere.
VERSION_FIELD = "clock_version"
STATE_FIELDS = tuple(f.name for f in dataclasses.fields(CaseState))
VIEW_FIELDS = tuple(f.name for f in dataclasses.fields(CaseView))
# Written once they have a value (never cleared again), absent before.
_ASSIGNED_ONLY = ("text", "language", "reply_to")
_DECISION_FIELDS = (
    "status",
    "acknowledged_at",
    "acknowledged_by",
    "resolved_at",
    "resolved_by",
    "resolution_note",
)
_LATER_FIELDS = ("outbox_due_at", "published_at", *_DECISION_FIELDS[1:])

_RECORD = TypeAdapter(CaseRecord)
_STATE = TypeAdapter(CaseState)
_ESCALATION = TypeAdapter(Escalation)
_VIEW = TypeAdapter(CaseView)


def record_document(record: CaseRecord) -> Document:
    doc: Document = _RECORD.dump_python(record, exclude={"state", "pending"})
    doc["assigned"] = record.assigned
    for entry in doc["timeline"]:
        if entry["note"] is None:
            del entry["note"]  # kept only where it says something: a recusal's reason
        if not entry["conflicts"]:
            del entry["conflicts"]  # kept only where a recusal found a member named
    if doc["assignment"] is not None and not doc["assignment"]["conflicts"]:
        del doc["assignment"]["conflicts"]
    for name in _ASSIGNED_ONLY:
        if doc[name] is None:
            del doc[name]
    if record.state is not None:
        doc.update(_STATE.dump_python(record.state))
        doc["factory_id"], doc["created_at"] = record.factory_id, record.created_at
    for reason, name in PENDING_FIELDS.items():
        if (due := record.pending.due(reason)) is not None:
            doc[name] = due
    return doc


def record_from(doc: Mapping[str, Any]) -> CaseRecord:
    state = (
        {k: doc[k] for k in STATE_FIELDS if k in doc} if doc.get("assignment") and "status" in doc else None
    )
    pending = {
        "ack": doc.get(PENDING_FIELDS[ACK_OVERDUE]),
        "resolve": doc.get(PENDING_FIELDS[RESOLUTION_OVERDUE]),
    }
    return _RECORD.validate_python({**doc, "state": state, "pending": pending})


def escalation_document(escalation: Escalation) -> Document:
    doc: Document = {"_id": escalation.id, **_ESCALATION.dump_python(escalation, exclude={"id", "case"})}
    for name in _LATER_FIELDS:
        if doc[name] is None:
            del doc[name]
    return {**doc, **view_fields(escalation.case)}


def escalation_from(doc: Mapping[str, Any]) -> Escalation:
    view = {k: doc[k] for k in VIEW_FIELDS if k in doc}
    if VERSION_FIELD in doc:
        view["record_version"] = doc[VERSION_FIELD]
    return _ESCALATION.validate_python({**doc, "id": doc["_id"], "case": view})


def view_fields(view: CaseView) -> Document:
    """The escalation's top-level fields that show its case; a deadline met late alone has ``met_at``."""
    fields: Document = _VIEW.dump_python(view)
    fields[VERSION_FIELD] = fields.pop("record_version")
    fields["deadlines_missed"] = [
        {k: v for k, v in missed.items() if k != "met_at" or v is not None}
        for missed in fields["deadlines_missed"]
    ]
    return fields


def decision_fields(escalation: Escalation) -> Document:
    """The fields a transition (acknowledge, resolve) writes: its status and who did what, when."""
    return {name: value for name in _DECISION_FIELDS if (value := getattr(escalation, name)) is not None}
