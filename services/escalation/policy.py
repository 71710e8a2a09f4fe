"""The SLA policy: what a case's record says, what is overdue, and what escalates at once.

Pure rules with explicit inputs (design section 8). A record's state is never updated in place: it is folded
again from the assignment and every update applied so far, sorted by when they happened. That makes
the result independent of the order in which events arrive, and an older update can never override a
newer state.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from shared.contracts import (
    ActorRole,
    CaseAction,
    Category,
    EscalationReason,
    NamedMember,
    Severity,
    UnassignedReason,
)
from shared.sla import SlaTable, due_dates

# Why the NGO holds a case every committee left, by the ``note`` a record's recusal entry keeps: the
# update's ``unassigned_reason`` (records written before that field kept the router's note, which
# said the same, or something else for a recusal that found another committee).
LEFT_FOR: dict[str, EscalationReason] = {
    "unroutable": "unroutable",
    "conflict_of_interest": "conflict_of_interest",
    "retaliation": "retaliation",
}

ACK_OVERDUE: EscalationReason = "ack_overdue"
RESOLUTION_OVERDUE: EscalationReason = "resolution_overdue"
# The reasons the sweeper flags, each once its deadline passed unmet (see :class:`Pending`).
SWEPT_REASONS: tuple[EscalationReason, ...] = (ACK_OVERDUE, RESOLUTION_OVERDUE)


@dataclass(frozen=True)
class Assignment:
    """What the router decided when it created the case (contact details are kept elsewhere)."""

    reference: str
    factory_id: str | None
    committee_id: str | None
    unassigned_reason: UnassignedReason | None
    category: Category
    severity: Severity
    ack_due_at: datetime
    resolve_due_at: datetime
    created_at: datetime
    # When the router decided: of two assignments of one case (a replay), the later one holds.
    occurred_at: datetime
    received_at: datetime | None = None
    # The members the grievance may name in the committees it was kept from, and by which rule.
    conflicts: tuple[NamedMember, ...] = ()

    def supersedes(self, other: Assignment) -> bool:
        """Whether this decision replaces ``other``: a case assigned twice keeps the newer decision."""
        return self.occurred_at >= other.occurred_at


@dataclass(frozen=True)
class Entry:
    """One update of a case, as kept in the record's timeline."""

    event_id: str
    at: datetime
    occurred_at: datetime
    action: CaseAction
    actor_role: ActorRole
    status: str
    committee_id: str | None = None
    category: Category | None = None
    severity: Severity | None = None
    ack_due_at: datetime | None = None
    resolve_due_at: datetime | None = None
    # For a recusal that leaves no committee, why the NGO holds it (see LEFT_FOR).
    note: str | None = None
    # With a recusal: the members the worker's messages may name that made the router move the case.
    conflicts: tuple[NamedMember, ...] = ()

    def order(self) -> tuple[datetime, datetime, str]:
        return (self.at, self.occurred_at, self.event_id)


@dataclass
class RecordState:
    """The state of a case as far as deadlines are concerned."""

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
    # Every committee recused itself (or the system moved the case) and the router found no other one.
    recused_out: bool = False
    # Why the NGO then holds it: conflict_of_interest, unless the router's note says otherwise.
    recused_for: EscalationReason = "conflict_of_interest"

    @property
    def finished(self) -> bool:
        return self.resolved_at is not None or self.closed_at is not None


@dataclass(frozen=True)
class Pending:
    """The deadlines the sweeper still watches (``None``: nothing to watch for that reason)."""

    ack: datetime | None = None
    resolve: datetime | None = None

    def due(self, reason: EscalationReason) -> datetime | None:
        """The watched deadline of a swept reason (``None`` for any other reason)."""
        if reason == ACK_OVERDUE:
            return self.ack
        return self.resolve if reason == RESOLUTION_OVERDUE else None


@dataclass(frozen=True)
class MissedDeadline:
    """A deadline that had passed unmet, or was met late (``met_at``), by the time of an escalation."""

    deadline: Literal["acknowledge", "resolve"]
    due_at: datetime
    met_at: datetime | None = None


def deadlines_for(sla: SlaTable, severity: Severity, assignment: Assignment) -> tuple[datetime, datetime]:
    """The deadlines of a case recategorised to ``severity``, counted as the router counts them: from
    the worker's message (cases assigned before that was carried start at their creation)."""
    due = due_dates(sla, severity, assignment.received_at or assignment.created_at)
    return due.ack, due.resolve


def record_state(assignment: Assignment, entries: Iterable[Entry], sla: SlaTable) -> RecordState:
    """Replay the updates in the order they happened on top of the assignment."""
    state = RecordState(
        status="assigned" if assignment.committee_id else "unassigned",
        committee_id=assignment.committee_id,
        category=assignment.category,
        severity=assignment.severity,
        ack_due_at=assignment.ack_due_at,
        resolve_due_at=assignment.resolve_due_at,
    )
    for entry in sorted(entries, key=Entry.order):
        _apply(state, entry, assignment, sla)
    return state


def _apply(state: RecordState, entry: Entry, assignment: Assignment, sla: SlaTable) -> None:
    state.status = entry.status or state.status
    action = entry.action
    # A committee that replies or resolves has seen the case, whether or not it pressed "acknowledge".
    if action in ("acknowledged", "replied", "resolved") and state.acknowledged_at is None:
        state.acknowledged_at = entry.at
    if action == "resolved":
        state.resolved_at = entry.at
    elif action == "confirmed":
        state.confirmed_at = entry.at
    elif action == "disputed":
        state.disputed_at = entry.at
        state.resolved_at = state.confirmed_at = None
    elif action == "reopened":
        state.resolved_at = state.confirmed_at = state.closed_at = None
    elif action == "closed":
        state.closed_at = entry.at
    elif action == "recategorised":
        state.category = entry.category or state.category
        state.severity = entry.severity or state.severity
        if entry.ack_due_at and entry.resolve_due_at:
            state.ack_due_at, state.resolve_due_at = entry.ack_due_at, entry.resolve_due_at
        else:
            state.ack_due_at, state.resolve_due_at = deadlines_for(sla, state.severity, assignment)
        if entry.category == "retaliation":
            # The router takes a case recategorised as retaliation from the factory's committee: no
            # committee deadline is watched any more (the NGO holds it, reason retaliation).
            state.committee_id = entry.committee_id
    elif action == "transferred":
        # The NGO handed the case to a committee: it holds the case from now on.
        state.committee_id = entry.committee_id
        state.recused_out = False
    elif action == "recused":
        state.committee_id = entry.committee_id
        state.recused_out = entry.committee_id is None
        if state.recused_out:
            # A committee retired with no other one for the category: unroutable, say, not a conflict.
            state.recused_for = LEFT_FOR.get(entry.note or "", "conflict_of_interest")


def immediate_reasons(assignment: Assignment, state: RecordState) -> set[EscalationReason]:
    """The escalations a case calls for the moment it is in this state, without any deadline."""
    reasons: set[EscalationReason] = set()
    # The router's reason for not assigning a committee (UnassignedReason) goes to the NGO at once.
    if assignment.unassigned_reason is not None:
        reasons.add(assignment.unassigned_reason)
    # Retaliation bypasses the factory whatever the router did with it.
    if state.category == "retaliation" or assignment.category == "retaliation":
        reasons.add("retaliation")
    if state.severity == "critical" and not state.finished:
        reasons.add("critical")
    if state.disputed_at is not None:
        reasons.add("disputed")
    if state.recused_out:
        reasons.add(state.recused_for)
    return reasons


def pending_due(state: RecordState, escalated: Iterable[EscalationReason]) -> Pending:
    """The deadlines the sweeper still watches.

    Only a case a committee holds has committee deadlines; a case the NGO already holds because no
    committee may handle it has none. A reason escalated once is never watched again.
    """
    done = set(escalated)
    held = state.committee_id is not None and state.closed_at is None
    ack = state.ack_due_at if held and state.acknowledged_at is None and ACK_OVERDUE not in done else None
    resolve = (
        state.resolve_due_at
        if held and state.resolved_at is None and RESOLUTION_OVERDUE not in done
        else None
    )
    return Pending(ack=ack, resolve=resolve)


def overdue_reasons(
    state: RecordState, escalated: Iterable[EscalationReason], now: datetime
) -> set[EscalationReason]:
    """The deadline escalations due at ``now`` (the sweeper checks its index hits against this)."""
    pending = pending_due(state, escalated)
    return {reason for reason in SWEPT_REASONS if (due := pending.due(reason)) and due <= now}


def missed_deadlines(state: RecordState, now: datetime) -> list[MissedDeadline]:
    """Which deadlines had passed unmet at ``now``, for the NGO's snapshot."""
    missed: list[MissedDeadline] = []
    if state.acknowledged_at is None and state.ack_due_at <= now:
        missed.append(MissedDeadline("acknowledge", state.ack_due_at))
    elif state.acknowledged_at is not None and state.acknowledged_at > state.ack_due_at:
        missed.append(MissedDeadline("acknowledge", state.ack_due_at, met_at=state.acknowledged_at))
    if state.resolved_at is None and state.resolve_due_at <= now:
        missed.append(MissedDeadline("resolve", state.resolve_due_at))
    return missed
