"""Escalation's record of one case (:class:`CaseRecord`, one ``case_records`` document) and how an
event changes it.

The record holds the facts as they arrived, the deadlines they set and what was escalated. Pure: a
record in, a new record out, nothing stored here (:mod:`services.escalation.store` does that).
The record keeps the facts: the assignment, every update applied so far (the timeline) and the ids
of the events applied; it derives everything else from them with :func:`policy.record_state`. So an event
applied twice changes nothing, an update that arrives before its assignment waits in the timeline,
and the derived fields are the same whatever the arrival order. The timeline itself is kept in the
order things happened (:meth:`policy.Entry.order`), not the order the events arrived in: it is what
the NGO reads, and events of one case routinely arrive out of order or race each other.

Times enter a record truncated to milliseconds, as MongoDB keeps them, so that a record read back
from the store equals the record that was written and sorts the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from services.escalation import policy
from shared.contracts import (
    CaseAssigned,
    CaseUpdated,
    Category,
    Channel,
    EscalationReason,
    NamedMember,
    Severity,
)
from shared.sla import SlaTable
from shared.store import to_ms


@dataclass(frozen=True)
class ReplyTo:
    """Where the worker's notice goes; only the notice needs it, no answer of the API ever shows it."""

    channel: Channel
    sealed_contact: str | None = None
    gateway_number: str | None = None


@dataclass(frozen=True)
class CaseState:
    """The derived state of an assigned case, as queries, statistics and the NGO's detail view read it."""

    status: str
    committee_id: str | None
    category: Category
    severity: Severity
    ack_due_at: datetime
    resolve_due_at: datetime
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None
    confirmed_at: datetime | None = None
    disputed_at: datetime | None = None
    closed_at: datetime | None = None

    @classmethod
    def of(cls, state: policy.RecordState) -> CaseState:
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
        )


@dataclass(frozen=True)
class CaseRecord:
    """Escalation's record of one case: the facts as they arrived, and what they add up to
    (``state``, ``pending``: the deadlines and what they call for).

    ``escalated`` lists every reason escalated so far, the immediate ones (added here) and the
    overdue ones (added by the sweeper); a reason is listed once and never removed. ``version``
    moves with every write of the stored record, so a writer replaces only the version it read.
    """

    case_id: str
    reference: str
    assignment: policy.Assignment | None = None
    timeline: tuple[policy.Entry, ...] = ()
    applied: tuple[str, ...] = ()
    escalated: tuple[EscalationReason, ...] = ()
    version: int = 0
    updated_at: datetime | None = None
    language: str | None = None
    text: str | None = None
    reply_to: ReplyTo | None = None
    # Derived from the facts (None until the case is assigned), and the deadlines still watched.
    state: CaseState | None = None
    pending: policy.Pending = field(default_factory=policy.Pending)

    @property
    def assigned(self) -> bool:
        return self.assignment is not None

    @property
    def factory_id(self) -> str | None:
        return self.assignment.factory_id if self.assignment else None

    @property
    def created_at(self) -> datetime | None:
        return self.assignment.created_at if self.assignment else None

    @property
    def messages_stopped(self) -> bool:
        """Whether the worker's last word on messages was STOP (the timeline is in the order things
        happened): escalation then texts them nothing, as the router does not."""
        switches = [e.action for e in self.timeline if e.action in ("messages_stopped", "messages_resumed")]
        return bool(switches) and switches[-1] == "messages_stopped"

    @property
    def conflicts(self) -> tuple[NamedMember, ...]:
        """Every member the router found named, at the assignment and at each recusal, once each."""
        found = self.assignment.conflicts if self.assignment else ()
        for entry in self.timeline:
            found += entry.conflicts
        return tuple(dict.fromkeys(found))

    def merge(self, event: CaseAssigned | CaseUpdated, sla: SlaTable, now: datetime) -> CaseRecord | None:
        """The record after ``event``; ``None`` when the event was applied before."""
        event_id = str(event.id)
        if event_id in self.applied:
            return None
        if isinstance(event, CaseAssigned):
            new = self._assigned(event)
        else:
            new = replace(self, timeline=in_order((*self.timeline, entry_of(event))))
            if event.action == "contact_confirmed" and event.sealed_contact:
                new = new._confirmed(event.sealed_contact)
        if new.reply_to is not None and any(e.action == "contact_withdrawn" for e in new.timeline):
            # The worker withdrew the contact: forgotten, also when case.assigned comes after it.
            new = replace(new, reply_to=replace(new.reply_to, sealed_contact=None))
        return replace(new, applied=(*self.applied, event_id), updated_at=to_ms(now)).derive(sla)

    def derive(self, sla: SlaTable) -> CaseRecord:
        """The derived state, new immediate reasons and pending deadlines, from the facts."""
        if self.assignment is None:
            return self
        state = self.fold(sla)
        new = policy.immediate_reasons(self.assignment, state) - set(self.escalated)
        escalated = (*self.escalated, *sorted(new))
        return replace(
            self,
            state=CaseState.of(state),
            escalated=escalated,
            pending=policy.pending_due(state, escalated),
        )

    def fold(self, sla: SlaTable) -> policy.RecordState:
        """The case's state by the policy, folded again from the facts."""
        if self.assignment is None:
            raise ValueError("the case has no assignment yet")
        return policy.record_state(self.assignment, self.timeline, sla)

    def _assigned(self, event: CaseAssigned) -> CaseRecord:
        assignment = assignment_of(event)
        if self.assignment is not None and not assignment.supersedes(self.assignment):
            return self
        return replace(
            self,
            assignment=assignment,
            reference=event.reference,
            text=event.text,
            language=event.language,
            # A contact confirmed after the case opened may have arrived first (any order): kept.
            reply_to=ReplyTo(
                event.channel,
                event.sealed_contact or (self.reply_to.sealed_contact if self.reply_to else None),
                event.gateway_number,
            ),
        )

    def _confirmed(self, sealed_contact: str) -> CaseRecord:
        """The worker confirmed the web form's number: notices may go to it (only web cases confirm)."""
        held = self.reply_to
        channel = held.channel if held else "web"
        return replace(self, reply_to=ReplyTo(channel, sealed_contact, held.gateway_number if held else None))


def merge(
    record: CaseRecord | None, event: CaseAssigned | CaseUpdated, sla: SlaTable, now: datetime
) -> CaseRecord | None:
    """The record after ``event``, starting one for a case not seen yet; ``None`` when applied before."""
    if record is None:
        record = CaseRecord(case_id=event.case_id, reference=event.reference)
    return record.merge(event, sla, now)


def in_order(timeline: tuple[policy.Entry, ...]) -> tuple[policy.Entry, ...]:
    """Timeline entries sorted by when they happened; the event id breaks ties, so the order is total."""
    return tuple(sorted(timeline, key=policy.Entry.order))


def assignment_of(event: CaseAssigned) -> policy.Assignment:
    return policy.Assignment(
        reference=event.reference,
        factory_id=event.factory_id,
        committee_id=event.committee_id,
        unassigned_reason=event.unassigned_reason,
        category=event.category,
        severity=event.severity,
        ack_due_at=to_ms(event.ack_due_at),
        resolve_due_at=to_ms(event.resolve_due_at),
        created_at=to_ms(event.created_at),
        occurred_at=to_ms(event.occurred_at),
        received_at=to_ms(event.received_at) if event.received_at else None,
        conflicts=event.conflicts,
    )


def entry_of(event: CaseUpdated) -> policy.Entry:
    return policy.Entry(
        event_id=str(event.id),
        at=to_ms(event.at),
        occurred_at=to_ms(event.occurred_at),
        action=event.action,
        actor_role=event.actor_role,
        status=event.status,
        committee_id=event.committee_id,
        category=event.category,
        severity=event.severity,
        ack_due_at=to_ms(event.ack_due_at) if event.ack_due_at else None,
        resolve_due_at=to_ms(event.resolve_due_at) if event.resolve_due_at else None,
        # Kept in the record's timeline under ``note``, where records have always kept it.
        note=event.unassigned_reason if event.action == "recused" else None,
        conflicts=event.conflicts if event.action == "recused" else (),
    )
