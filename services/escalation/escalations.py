"""An escalation (:class:`Escalation`, one ``escalations`` document): what the NGO acts on.

Pure: the rules for opening one from a case's record, keeping its view of the case current, moving
it from open to acknowledged to resolved, and the two events it publishes. Nothing is stored here.

An escalation's id and the ids of its events are derived from (case, reason), so whoever opens it, a
consumer or one of several sweepers, and however often a publish is retried after a crash, the same
escalation and the same event ids come out. It carries an outbox state, ``pending`` until both
events are confirmed by the broker; its opener holds the outbox for a lease (``outbox_due_at``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from services.escalation import policy
from services.escalation.records import CaseRecord, in_order
from services.escalation.texts import escalation_notice
from shared.contracts import (
    CaseEscalated,
    Category,
    EscalationReason,
    Event,
    MessageOutbound,
    NamedMember,
    Severity,
)
from shared.sla import SlaTable
from shared.store import to_ms

EscalationStatus = Literal["open", "acknowledged", "resolved"]
OutboxState = Literal["pending", "published"]

_NAMESPACE = uuid.UUID("0b6f3f0e-5d1e-4c8e-9a57-3c2e4f1d7a90")
# How long the opener of an escalation has to publish it before a sweeper publishes it instead.
OUTBOX_LEASE = timedelta(seconds=60)
# The states a transition may start from: a transition is stored only while one of them holds.
MAY_FOLLOW: dict[EscalationStatus, tuple[EscalationStatus, ...]] = {
    "acknowledged": ("open",),
    "resolved": ("open", "acknowledged"),
}
REROUTED_NOTE = "rerouted: the worker named the factory and a routed case replaced this one"


class EscalationResolved(Exception):
    """The escalation is resolved already (with another note): it takes no further transition."""


@dataclass(frozen=True)
class CaseDeadlines:
    ack_due_at: datetime
    resolve_due_at: datetime


@dataclass(frozen=True)
class TimelineItem:
    """One update of the case as the NGO sees it: what happened, by whom, when; never its text."""

    at: datetime
    action: str
    actor_role: str
    status: str


@dataclass(frozen=True)
class CaseView:
    """The part of an escalation that shows the case as its record had it, at ``record_version``.

    Kept current while the escalation is open or acknowledged, because the events of a case arrive
    in any order: a dispute may open its escalation before the resolution it disputes has arrived.
    """

    committee_id: str | None
    category: Category
    severity: Severity
    case_status: str
    deadlines: CaseDeadlines
    deadlines_missed: tuple[policy.MissedDeadline, ...] = ()
    timeline: tuple[TimelineItem, ...] = ()
    # The members the worker's words may name, which kept the case from a committee or took it from
    # one, and the rule that found each: for the NGO, whose API alone shows them.
    conflicts: tuple[NamedMember, ...] = ()
    # -1: written before versions were kept, so older than any record.
    record_version: int = -1

    def shows_the_same(self, other: CaseView) -> bool:
        """Whether both views show the case alike, whichever record versions they come from."""
        return replace(self, record_version=other.record_version) == other


@dataclass(frozen=True)
class Escalation:
    """An escalation to the NGO: never the worker's contact or reporter key."""

    id: str
    case_id: str
    reason: EscalationReason
    reference: str
    created_at: datetime
    case: CaseView
    factory_id: str | None = None
    language: str | None = None
    text: str | None = None
    case_created_at: datetime | None = None
    level: Literal["ngo"] = "ngo"
    status: EscalationStatus = "open"
    outbox: OutboxState = "pending"
    outbox_due_at: datetime | None = None
    published_at: datetime | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    resolution_note: str | None = None

    def follows(self, record: CaseRecord) -> bool:
        """Whether this escalation's view is to be brought up to ``record`` (open, and older than it)."""
        return self.status != "resolved" and self.case.record_version < record.version

    def acknowledge(self, by: str, at: datetime) -> Escalation:
        """The escalation acknowledged by ``by``; itself when it already is."""
        if self.status == "resolved":
            raise EscalationResolved(self.id)
        if self.status == "acknowledged":
            return self
        return replace(self, status="acknowledged", acknowledged_at=at, acknowledged_by=by)

    def resolve(self, note: str, by: str, at: datetime) -> Escalation:
        """The escalation resolved with ``note``; itself when it already is, with that very note.

        Resolving counts as acknowledging for an escalation nobody acknowledged before.
        """
        if self.status == "resolved":
            if self.resolution_note == note:
                return self
            raise EscalationResolved(self.id)
        return replace(
            self,
            status="resolved",
            resolved_at=at,
            resolution_note=note,
            resolved_by=by,
            acknowledged_at=self.acknowledged_at or at,
        )

    def settle_rerouted(self, at: datetime) -> Escalation | None:
        """Resolved by the system: an ``unroutable`` case the worker placed was replaced by a routed
        one, so the monitor no longer needs to find the factory. ``None`` when there is nothing to do."""
        if self.reason != "unroutable" or self.status == "resolved":
            return None
        return replace(
            self, status="resolved", resolved_at=at, resolution_note=REROUTED_NOTE, resolved_by="system"
        )


def escalation_id(case_id: str, reason: str) -> str:
    """32 hex digits, derived from the case and the reason, so every opener computes the same id."""
    return uuid.uuid5(_NAMESPACE, f"{case_id}\x1f{reason}").hex


def open_escalation(record: CaseRecord, reason: EscalationReason, now: datetime, sla: SlaTable) -> Escalation:
    """A new escalation of the record's case: what the NGO needs to act, held by its opener for a lease."""
    now = to_ms(now)
    return Escalation(
        id=escalation_id(record.case_id, reason),
        case_id=record.case_id,
        reason=reason,
        reference=record.reference,
        created_at=now,
        case=case_view(record, now, sla),
        factory_id=record.factory_id,
        language=record.language,
        text=record.text,
        case_created_at=record.created_at,
        outbox_due_at=now + OUTBOX_LEASE,
    )


def case_view(record: CaseRecord, escalated_at: datetime, sla: SlaTable) -> CaseView:
    """The case as ``record`` has it. The deadlines missed are those missed by the time of the
    escalation, judged by everything now known."""
    state = record.fold(sla)
    return CaseView(
        committee_id=state.committee_id,
        category=state.category,
        severity=state.severity,
        case_status=state.status,
        deadlines=CaseDeadlines(state.ack_due_at, state.resolve_due_at),
        deadlines_missed=tuple(policy.missed_deadlines(state, escalated_at)),
        timeline=tuple(
            TimelineItem(e.at, e.action, e.actor_role, e.status) for e in in_order(record.timeline)
        ),
        conflicts=record.conflicts,
        record_version=record.version,
    )


def events_for(escalation: Escalation, record: CaseRecord | None) -> list[Event]:
    """``case.escalated`` and, when the worker can be reached (a contact, and no STOP as their last
    word), the notice in their language."""
    correlation = _correlation(escalation.case_id)
    events: list[Event] = [
        CaseEscalated(
            id=uuid.uuid5(_NAMESPACE, f"{escalation.id}\x1fcase.escalated"),
            occurred_at=escalation.created_at,
            correlation_id=correlation,
            case_id=escalation.case_id,
            reference=escalation.reference,
            escalation_id=escalation.id,
            reason=escalation.reason,
            factory_id=escalation.factory_id,
            at=escalation.created_at,
        )
    ]
    reply_to = record.reply_to if record else None
    told = told_by_router(escalation.reason, record)
    stopped = record is not None and record.messages_stopped
    if reply_to is not None and reply_to.sealed_contact and not told and not stopped:
        language = "zh" if escalation.language == "zh" else "en"
        events.append(
            MessageOutbound(
                id=uuid.uuid5(_NAMESPACE, f"{escalation.id}\x1fescalation_notice"),
                occurred_at=escalation.created_at,
                correlation_id=correlation,
                channel=reply_to.channel,
                sealed_contact=reply_to.sealed_contact,
                gateway_number=reply_to.gateway_number,
                text=escalation_notice(language, escalation.reference, escalation.reason),
                language=language,
                reference=escalation.reference,
                case_id=escalation.case_id,
                purpose="escalation_notice",
            )
        )
    return events


def told_by_router(reason: EscalationReason, record: CaseRecord | None) -> bool:
    """Whether the router's own text to the worker already says that the NGO has the case, and why.

    The router's acknowledgement of a new case names the independent organisation when the case is
    unassigned (unroutable, conflict of interest, retaliation) and when it is critical, and its answer
    to a disputed resolution says the case went to the NGO. A second text at the same moment would
    only repeat it (one inbound message, one text). What the router does not tell, escalation does:
    missed deadlines, and retaliation, severity or a conflict found later (recategorised, recused).
    """
    if reason == "disputed":
        return True
    assignment = record.assignment if record else None
    if assignment is None:
        return False
    if reason == assignment.unassigned_reason:
        return True
    if reason == "retaliation":
        return assignment.category == "retaliation"
    return reason == "critical" and assignment.severity == "critical"


def _correlation(case_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(case_id)
    except ValueError:
        return uuid.uuid5(_NAMESPACE, case_id)
