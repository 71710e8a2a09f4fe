"""What the NGO API answers: typed views whose fields are the allow-list.

A view is built field by field from an escalation (and, for the detail, the case's current record),
so nothing reaches an answer that is not named here: never the worker's contact, gateway number or
reporter key, which an escalation does not hold either.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, SerializerFunctionWrapHandler, model_serializer

from services.escalation.escalations import Escalation, TimelineItem
from services.escalation.policy import Entry, MissedDeadline
from services.escalation.records import CaseRecord
from shared.contracts import NamedMember, NameRule


class _View(BaseModel):
    model_config = ConfigDict(frozen=True)

    def body(self) -> dict[str, Any]:
        """The answer's fields (datetimes still datetimes: the API writes them as ISO 8601)."""
        return self.model_dump()


class TimelineView(_View):
    at: datetime
    action: str
    actor_role: str
    status: str

    @classmethod
    def of(cls, item: TimelineItem | Entry) -> TimelineView:
        return cls(at=item.at, action=item.action, actor_role=item.actor_role, status=item.status)


class MissedView(_View):
    deadline: str
    due_at: datetime
    met_at: datetime | None = None

    @model_serializer(mode="wrap")
    def _met_only_when_met(self, handler: SerializerFunctionWrapHandler) -> Any:
        # A deadline missed outright has no ``met_at`` key at all, as it always had.
        data = handler(self)
        if data.get("met_at") is None:
            data.pop("met_at", None)
        return data

    @classmethod
    def of(cls, missed: MissedDeadline) -> MissedView:
        return cls(deadline=missed.deadline, due_at=missed.due_at, met_at=missed.met_at)


class ConflictView(_View):
    """A member the worker's words may name, in a committee the case was kept from or taken from.

    ``rule`` says how the router found them (``folded``: the name written apart, hidden or in
    traditional characters; ``derived-title``: surname and title ...); ``shared`` > 1 means the form
    fits that many members (a shared surname), each treated as named. Never the words themselves.
    """

    committee_id: str
    member: str
    role: str | None
    rule: NameRule
    shared: int

    @classmethod
    def of(cls, named: NamedMember) -> ConflictView:
        return cls(
            committee_id=named.committee_id,
            member=named.member,
            role=named.role,
            rule=named.rule,
            shared=named.shared,
        )


class DeadlinesView(_View):
    ack_due_at: datetime
    resolve_due_at: datetime


class EscalationSummary(_View):
    """One escalation in a list."""

    id: str
    reference: str
    reason: str
    level: str
    status: str
    factory_id: str | None
    committee_id: str | None
    category: str
    severity: str
    case_status: str
    case_created_at: datetime | None
    deadlines: DeadlinesView
    deadlines_missed: list[MissedView]
    created_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None

    @classmethod
    def of(cls, escalation: Escalation) -> EscalationSummary:
        return cls(**_summary_fields(escalation))


class CaseGroup(_View):
    """One case in the grouped list: every escalation of it the query selects, oldest first.

    ``status`` is the most pressing of its escalations' (open before acknowledged before resolved);
    the case fields come from its latest escalation, whose view of the case is the newest.
    """

    reference: str
    factory_id: str | None
    committee_id: str | None
    category: str
    severity: str
    case_status: str
    status: str
    reasons: list[str]
    escalations: list[EscalationSummary]

    @classmethod
    def of(cls, escalations: list[Escalation]) -> CaseGroup:
        latest = max(escalations, key=lambda e: (e.created_at, e.id))
        statuses = {e.status for e in escalations}
        return cls(
            reference=latest.reference,
            factory_id=latest.factory_id,
            committee_id=latest.case.committee_id,
            category=latest.case.category,
            severity=latest.case.severity,
            case_status=latest.case.case_status,
            status=next(s for s in ("open", "acknowledged", "resolved") if s in statuses),
            reasons=[e.reason for e in escalations],
            escalations=[EscalationSummary.of(e) for e in escalations],
        )


class CaseNow(_View):
    """The case as its record has it now (the escalation's own view may be older once resolved)."""

    status: str | None = None
    committee_id: str | None = None
    category: str | None = None
    severity: str | None = None
    ack_due_at: datetime | None = None
    resolve_due_at: datetime | None = None
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None
    confirmed_at: datetime | None = None
    disputed_at: datetime | None = None
    closed_at: datetime | None = None
    timeline: list[TimelineView]

    @classmethod
    def of(cls, record: CaseRecord) -> CaseNow:
        timeline = [TimelineView.of(entry) for entry in record.timeline]
        state = record.state
        if state is None:
            return cls(timeline=timeline)
        return cls(
            status=state.status,
            committee_id=state.committee_id,
            category=state.category,
            severity=state.severity,
            ack_due_at=state.ack_due_at,
            resolve_due_at=state.resolve_due_at,
            acknowledged_at=state.acknowledged_at,
            resolved_at=state.resolved_at,
            confirmed_at=state.confirmed_at,
            disputed_at=state.disputed_at,
            closed_at=state.closed_at,
            timeline=timeline,
        )


class EscalationDetail(EscalationSummary):
    """One escalation with the worker's words, its timeline and, when known, the case as it is now."""

    language: str | None
    text: str | None
    timeline: list[TimelineView]
    resolution_note: str | None
    # Who the router found named, and how: from the case as it is now when its record is at hand.
    conflicts: list[ConflictView]
    case: CaseNow | None = None

    @classmethod
    def of_case(cls, escalation: Escalation, record: CaseRecord | None) -> EscalationDetail:
        conflicts = record.conflicts if record is not None else escalation.case.conflicts
        return cls(
            **_summary_fields(escalation),
            language=escalation.language,
            text=escalation.text,
            timeline=[TimelineView.of(item) for item in escalation.case.timeline],
            conflicts=[ConflictView.of(named) for named in conflicts],
            resolution_note=escalation.resolution_note,
            case=CaseNow.of(record) if record is not None else None,
        )

    def body(self) -> dict[str, Any]:
        # An escalation whose record is not found answers without ``case``, as it always did.
        return self.model_dump(exclude={"case"} if self.case is None else None)


def _summary_fields(escalation: Escalation) -> dict[str, Any]:
    view = escalation.case
    return {
        "id": escalation.id,
        "reference": escalation.reference,
        "reason": escalation.reason,
        "level": escalation.level,
        "status": escalation.status,
        "factory_id": escalation.factory_id,
        "committee_id": view.committee_id,
        "category": view.category,
        "severity": view.severity,
        "case_status": view.case_status,
        "case_created_at": escalation.case_created_at,
        "deadlines": DeadlinesView(
            ack_due_at=view.deadlines.ack_due_at, resolve_due_at=view.deadlines.resolve_due_at
        ),
        "deadlines_missed": [MissedView.of(missed) for missed in view.deadlines_missed],
        "created_at": escalation.created_at,
        "acknowledged_at": escalation.acknowledged_at,
        "resolved_at": escalation.resolved_at,
    }
