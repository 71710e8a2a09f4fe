"""The case aggregate: one grievance's state and every transition it allows (pure, no I/O).

Each method checks one action against the state and returns an :class:`Outcome`: the case as it is
after the action and the events the action causes (``case.updated``, and a ``message.outbound`` when
the worker is to be told). A repeated action (the same message id, an acknowledgement already given)
returns the case unchanged and no events; a refused one raises a domain error from
:mod:`services.router.errors`. Nothing here reads a clock, draws an id or touches the store: the
caller passes ``now`` and the action id, and :mod:`services.router.case_store` writes the outcome.

Event ids are derived (uuid5) from the case id and the action id (:func:`event_id`), so an action
replayed after a crash, or a redelivery, produces the very events it produced the first time and
downstream consumers drop the duplicate. The namespace is part of the contract with the events
already published: changing it would make every redelivered event look new.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict

from services.router import texts
from services.router.assign import Assignment, CommitteeInfo, FactoryVia, choose_committee
from services.router.classify import Classification
from services.router.errors import CaseClosed, Conflict, NotYourCase
from services.router.lexicon import BASE_SEVERITY
from services.router.names import named_members, recorded
from shared.contracts import (
    ActorRole,
    CaseAction,
    CaseAssigned,
    CaseStatus,
    CaseUpdated,
    Category,
    Channel,
    Closure,
    Event,
    GrievanceReceived,
    Language,
    MessageOutbound,
    NamedMember,
    OutboundPurpose,
    Severity,
    UnassignedReason,
    gravest,
)
from shared.sla import SlaTable, due_dates
from shared.store import to_ms

OPEN_STATUSES: tuple[CaseStatus, ...] = ("assigned", "unassigned", "acknowledged", "resolved", "reopened")
# The statuses that count towards a committee's load when the router picks the least busy one.
COMMITTEE_OPEN: tuple[CaseStatus, ...] = ("assigned", "acknowledged", "resolved", "reopened")
# Overdue means a deadline passed with its step still to do: the acknowledgement of an assigned
# case, the resolution of one the committee holds and has not proposed a resolution for.
ACK_PENDING: tuple[CaseStatus, ...] = ("assigned",)
RESOLUTION_PENDING: tuple[CaseStatus, ...] = ("assigned", "acknowledged", "reopened")
# Unassigned for these reasons, the case is for an independent organisation, not the factory.
INDEPENDENT_REASONS = ("retaliation", "conflict_of_interest")
_NAMESPACE = uuid.UUID("b3c1f0a2-54de-4c3b-8e0f-2d6a9f7c1e55")
MessagePurpose = Literal[
    "grievance",
    "message",
    "confirm",
    "dispute",
    "committee_reply",
    "resolution_check",
    "ngo_message",
    "ngo_outcome",
]
# What the timeline records: the published actions, and the router's own steps.
TimelineAction = CaseAction | Literal["assigned", "unassigned"]
# Why the system takes a case from its committee: the registry retired the committee, or a member
# the worker's messages may name joined it.
MoveCause = Literal["committee_retired", "conflict_of_interest"]


def event_id(case_id: str, *parts: str) -> uuid.UUID:
    """The id of an event about a case: the case id and the parts, joined by a unit separator."""
    return uuid.uuid5(_NAMESPACE, "\x1f".join((case_id, *parts)))


class _Part(BaseModel):
    # Stored documents may carry fields older versions wrote; reading them must not fail.
    model_config = ConfigDict(frozen=True, extra="ignore")


class TimelineEntry(_Part):
    id: str
    at: AwareDatetime
    action: TimelineAction
    actor_role: ActorRole
    committee_id: str | None = None
    note: str | None = None


class Message(_Part):
    """One message of the thread; ``outbound_id`` ties a committee message to intake's delivery."""

    id: str
    direction: Literal["worker", "committee", "ngo"]
    text: str
    at: AwareDatetime
    purpose: MessagePurpose
    outbound_id: str | None = None


class Recusal(_Part):
    committee_id: str
    reason: str


@dataclass(frozen=True)
class Safety:
    """What a worker's follow-up is checked against, as a new grievance would be (gathered by the caller).

    ``classification`` is the follow-up's own; ``committees`` the factory's active committees and
    ``open_cases`` their loads, for a case that must leave a committee one of whose members it names.
    """

    classification: Classification
    committees: Sequence[CommitteeInfo] = ()
    open_cases: Mapping[str, int] | None = None
    sla: SlaTable | None = None


@dataclass(frozen=True)
class Outcome:
    """What an action did: the case after it and the events to publish; ``changed`` False for a no-op."""

    case: Case
    events: tuple[Event, ...] = ()
    changed: bool = True

    @classmethod
    def unchanged(cls, case: Case) -> Outcome:
        return cls(case, (), changed=False)


class Case(_Part):
    case_id: str
    grievance_id: str
    reference: str
    original_reference: str | None = None  # the reference the worker was given, after a collision
    factory_id: str | None
    factory_via: FactoryVia | None = None
    committee_id: str | None
    unassigned_reason: UnassignedReason | None = None
    skipped_committees: tuple[str, ...] = ()
    recused_by: tuple[str, ...] = ()
    recusals: tuple[Recusal, ...] = ()
    # Every member the worker's messages may name in a committee the case was kept from or left, and
    # the rule that found them: carried to the NGO by the events, never shown to a committee.
    conflicts: tuple[NamedMember, ...] = ()
    category: Category
    severity: Severity
    status: CaseStatus
    channel: Channel
    language: Language
    anonymous: bool = True
    text: str
    sealed_contact: str | None = None
    # Whether the channel proved the contact (None: a case stored before the field, read by channel).
    # An unproven contact is never texted but for its confirmation request, and binds no message.
    contact_proven: bool | None = None
    gateway_number: str | None = None
    # For an unproven contact, a key derived apart (privacy.unverified_reporter_key), so that no
    # sender's key equals it; ``claimed_reporter_key`` is the key the contact gets once confirmed.
    reporter_key: str | None = None
    claimed_reporter_key: str | None = None
    pin_hash: str | None = None
    received_at: AwareDatetime
    created_at: AwareDatetime
    ack_due_at: AwareDatetime
    resolve_due_at: AwareDatetime
    acknowledged_at: AwareDatetime | None = None
    resolved_at: AwareDatetime | None = None
    resolution: str | None = None
    closure: Closure | None = None
    closed_at: AwareDatetime | None = None
    disputed_at: AwareDatetime | None = None
    timeline: tuple[TimelineEntry, ...] = ()
    messages: tuple[Message, ...] = ()
    # How many writes the stored case has seen (0: written before versions were kept); the store
    # writes a change only at the version it read.
    version: int = 0

    # -- creation ---------------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        event: GrievanceReceived,
        *,
        reference: str,
        now: datetime,
        factory_id: str | None,
        factory_via: FactoryVia | None,
        assignment: Assignment,
        classification: Classification,
        sla: SlaTable,
        proven: bool = True,
        unverified_key: str | None = None,
    ) -> Case:
        """The new case for a grievance, routed as ``assignment`` says (or unroutable without a factory).

        A contact the channel did not prove is kept under ``unverified_key`` instead of the event's
        reporter key (which becomes the ``claimed_reporter_key``, taken on once confirmed).
        """
        case_id = str(event.grievance_id)
        received, now = to_ms(event.received_at), to_ms(now)
        due = due_dates(sla, classification.severity, received)
        reason = "unroutable" if factory_id is None else assignment.unassigned_reason
        committee_id = assignment.committee_id if factory_id is not None else None
        return cls(
            case_id=case_id,
            grievance_id=case_id,
            reference=reference,
            original_reference=event.reference if reference != event.reference else None,
            factory_id=factory_id,
            factory_via=factory_via,
            committee_id=committee_id,
            unassigned_reason=reason,
            skipped_committees=assignment.skipped,
            conflicts=assignment.conflicts if factory_id is not None else (),
            category=classification.category,
            severity=classification.severity,
            status="assigned" if committee_id else "unassigned",
            channel=event.channel,
            language=event.language,
            anonymous=event.anonymous,
            text=event.text,
            sealed_contact=event.sealed_contact,
            contact_proven=proven,
            gateway_number=event.gateway_number,
            reporter_key=event.reporter_key if proven else unverified_key,
            claimed_reporter_key=None if proven else event.reporter_key,
            pin_hash=event.pin_hash,
            received_at=received,
            created_at=now,
            ack_due_at=due.ack,
            resolve_due_at=due.resolve,
            timeline=(
                TimelineEntry(
                    id=str(event_id(case_id, "created")),
                    at=now,
                    action="assigned" if committee_id else "unassigned",
                    actor_role="system",
                    committee_id=committee_id,
                    note=reason,
                ),
            ),
            messages=(
                Message(id=case_id, direction="worker", text=event.text, at=received, purpose="grievance"),
            ),
        )

    @property
    def proven(self) -> bool:
        """Whether the case's contact is proven (a case stored before the field: by its channel)."""
        if self.contact_proven is not None:
            return self.contact_proven
        return self.channel != "web"

    def overdue(self, now: datetime) -> bool:
        """Whether a deadline passed with its step still to do (the inbox's "overdue" filter)."""
        return (self.status in ACK_PENDING and self.ack_due_at <= now) or (
            self.status in RESOLUTION_PENDING and self.resolve_due_at <= now
        )

    @property
    def awaits_confirmation(self) -> bool:
        """A contact is given but not proven: only the confirmation request may go to it."""
        return bool(self.sealed_contact) and not self.proven

    def bound_to(self, reporter_key: str) -> bool:
        """Whether a proven sender with this key continues the case without quoting its reference."""
        return self.proven and self.reporter_key == reporter_key

    def creation_events(
        self,
        *,
        reach_worker: bool = True,
        confirmation: str | None = None,
        confirmation_code: str | None = None,
        zone: str = texts.DEFAULT_ZONE,
    ) -> list[Event]:
        """``case.assigned`` and the worker's acknowledgement, rebuilt identically from the stored case.

        An unproven contact gets no acknowledgement; ``confirmation`` is the text of its confirmation
        request, when this case is the one that sends it (at most one per contact and day), and
        ``confirmation_code`` its six digits (a Chinese SMS sends them in a template of its own). The
        contact does not travel in ``case.assigned`` then, so escalation never texts it either.
        ``zone`` is the factory's time zone, in which the deadlines are told.
        """
        if self.awaits_confirmation:
            events: list[Event] = [self._assigned_event()]
            if confirmation and reach_worker:
                request = self._message("contact_confirmation", confirmation, ("confirm",), self.created_at)
                # The request names no case: whoever planted one learns nothing from its delivery.
                named = {"reference": None, "code": confirmation_code}
                events += [request.model_copy(update=named)] if request is not None else []
            return events
        events = [self._assigned_event()]
        message = self._to_worker("ack", self._acknowledgement(zone), ("ack",), self.created_at)
        if message is not None and reach_worker:
            events.append(message)
        return events

    def _acknowledgement(self, zone: str) -> str:
        """The one text that tells the worker who holds the case and by when it is answered."""
        if self.unassigned_reason == "unroutable" and self.factory_id is None:
            # One text: the question for the factory, and that the monitor holds the case meanwhile
            # (escalation sends no notice of its own for what this text says).
            return texts.ask_factory_code(self.language, self.reference)
        holder: texts.Holder = "committee"
        if self.committee_id is None:
            holder = "independent"
        elif self.severity == "critical":
            holder = "both"
        return texts.ack(self.language, self.reference, self.ack_due_at, self.resolve_due_at, holder, zone)

    def _assigned_event(self) -> CaseAssigned:
        return CaseAssigned(
            id=event_id(self.case_id, "case.assigned"),
            occurred_at=self.created_at,
            correlation_id=uuid.UUID(self.grievance_id),
            case_id=self.case_id,
            reference=self.reference,
            factory_id=self.factory_id,
            committee_id=self.committee_id,
            unassigned_reason=self.unassigned_reason,
            category=self.category,
            severity=self.severity,
            ack_due_at=self.ack_due_at,
            resolve_due_at=self.resolve_due_at,
            received_at=self.received_at,
            channel=self.channel,
            language=self.language,
            text=self.text,
            sealed_contact=self.sealed_contact if self.proven else None,
            gateway_number=self.gateway_number,
            created_at=self.created_at,
            conflicts=self.conflicts,
        )

    # -- committee actions ------------------------------------------------------------------------

    def acknowledge(self, *, by: str, action_id: str, now: datetime, reach_worker: bool) -> Outcome:
        """Acknowledge once; a second acknowledgement changes nothing."""
        self._held_by(by)
        if self.status == "closed":
            raise CaseClosed
        if self.acknowledged_at is not None:
            return Outcome.unchanged(self)
        after = self._record(
            action_id, "acknowledged", now, status=self._acknowledged_status(), acknowledged_at=now
        )
        notice = texts.acknowledged(self.language, self.reference)
        return after._outcome("acknowledged", action_id, now, worker=("status", notice, reach_worker))

    def reply(self, *, by: str, message_id: str, text: str, now: datetime, reach_worker: bool) -> Outcome:
        """Add a committee message for the worker; the same message id adds it once.

        Answering the worker shows the committee has the case: a first reply also acknowledges it
        (escalation's clocks count it the same way).
        """
        self._held_by(by)
        if any(m.id == message_id for m in self.messages):
            return Outcome.unchanged(self)
        if self.status == "closed":
            raise CaseClosed
        acknowledging: dict[str, Any] = {"status": self._acknowledged_status(), "acknowledged_at": now}
        message = self._committee_message(message_id, text, "committee_reply", now, reach_worker)
        after = self._record(
            message_id,
            "replied",
            now,
            messages=(*self.messages, message),
            **(acknowledging if self.acknowledged_at is None else {}),
        )
        relayed = texts.committee_reply(self.language, self.reference, text)
        return after._outcome("replied", message_id, now, worker=("committee_reply", relayed, reach_worker))

    def resolve(
        self, *, by: str, action_id: str, resolution: str, now: datetime, reach_worker: bool
    ) -> Outcome:
        """Propose a resolution and ask the worker to confirm it; the same resolution again is a no-op."""
        self._held_by(by)
        if self.status == "closed":
            raise CaseClosed
        if self.status == "resolved":
            if self.resolution == resolution:
                return Outcome.unchanged(self)
            raise Conflict("the case is resolved and waits for the worker's answer")
        message = self._committee_message(action_id, resolution, "resolution_check", now, reach_worker)
        after = self._record(
            action_id,
            "resolved",
            now,
            status="resolved",
            resolution=resolution,
            resolved_at=now,
            messages=(*self.messages, message),
        )
        check = texts.resolution_check(self.language, self.reference, resolution)
        return after._outcome("resolved", action_id, now, worker=("resolution_check", check, reach_worker))

    def recuse(
        self,
        *,
        by: str,
        reason: str,
        committees: Sequence[CommitteeInfo],
        open_cases: Mapping[str, int],
        action_id: str,
        now: datetime,
    ) -> Outcome:
        """Hand the case to another eligible committee of the factory, or leave it to the NGO."""
        if by in self.recused_by:
            return Outcome.unchanged(self)
        self._held_by(by)
        if self.status == "closed":
            raise CaseClosed
        excluded = [*self.recused_by, by]
        choice = choose_committee(self.category, self.text, committees, open_cases, excluded)
        reason_left = None if choice.committee_id else "conflict_of_interest"
        found = choice.conflicts
        after = self._record(
            action_id,
            "recused",
            now,
            note=reason_left,
            committee_id=choice.committee_id,
            status="assigned" if choice.committee_id else "unassigned",
            unassigned_reason=reason_left,
            acknowledged_at=None,
            recused_by=(*self.recused_by, by),
            recusals=(*self.recusals, Recusal(committee_id=by, reason=reason)),
            conflicts=_union(self.conflicts, found),
        )
        return after._outcome("recused", action_id, now, note=reason_left, conflicts=found)

    # -- the monitoring NGO's actions (services.router.ngo) -----------------------------------------

    def ngo_message(self, *, action_id: str, text: str, now: datetime, reach_worker: bool) -> Outcome:
        """A message of the NGO for the worker, in the thread and relayed like a committee reply.

        The same request (``action_id``) adds it once; a closed case takes no message.
        """
        if any(m.id == action_id for m in self.messages):
            return Outcome.unchanged(self)
        if self.status == "closed":
            raise CaseClosed
        message = self._committee_message(action_id, text, "ngo_message", now, reach_worker)
        after = self._record(
            action_id,
            "ngo_messaged",
            now,
            actor="ngo",
            messages=(*self.messages, message.model_copy(update={"direction": "ngo"})),
        )
        relayed = texts.ngo_message(self.language, self.reference, text)
        return after._outcome(
            "ngo_messaged", action_id, now, actor="ngo", worker=("ngo_message", relayed, reach_worker)
        )

    def transfer(
        self, *, to: str, committees: Sequence[CommitteeInfo], action_id: str, now: datetime
    ) -> Outcome:
        """The NGO hands the case to committee ``to`` of the case's factory.

        ``committees`` are the factory's active committees. The committee must be one of them,
        handle the case's category and have no member any of the worker's messages may name (the
        rules of :mod:`services.router.names`, as for an assignment); else :class:`Conflict` says
        which rule refused it. The committee acknowledges afresh; the deadlines stay the worker's.
        """
        if self._done(action_id):
            return Outcome.unchanged(self)
        if self.status == "closed":
            raise CaseClosed
        target = next((c for c in committees if c.id == to), None)
        if target is None:
            raise Conflict("no active committee of the case's factory has this id")
        if not target.handles(self.category):
            raise Conflict("the committee does not handle the case's category")
        if named_members(self.worker_text(), {target.id: target.people()}):
            raise Conflict("the worker's messages may name a member of the committee")
        if self.committee_id == to:
            return Outcome.unchanged(self)
        reopened = self.status in ("unassigned", "reopened")
        after = self._record(
            action_id,
            "transferred",
            now,
            actor="ngo",
            committee_id=to,
            status="assigned" if reopened or self.status == "acknowledged" else self.status,
            unassigned_reason=None,
            acknowledged_at=None,
        )
        return after._outcome("transferred", action_id, now, actor="ngo")

    def close_by_ngo(self, *, action_id: str, outcome: str, now: datetime, reach_worker: bool) -> Outcome:
        """The NGO closes the case with ``outcome``; the worker is told it, in their language."""
        if self._done(action_id) or self.status == "closed":
            return Outcome.unchanged(self)
        message = self._committee_message(action_id, outcome, "ngo_outcome", now, reach_worker)
        after = self._record(
            action_id,
            "closed",
            now,
            actor="ngo",
            note="ngo_outcome",
            status="closed",
            closure="ngo_outcome",
            closed_at=now,
            resolution=outcome,
            messages=(*self.messages, message.model_copy(update={"direction": "ngo"})),
        )
        told = texts.ngo_outcome(self.language, self.reference, outcome)
        return after._outcome(
            "closed",
            action_id,
            now,
            actor="ngo",
            note="ngo_outcome",
            worker=("ngo_outcome", told, reach_worker),
        )

    def move_away(
        self,
        *,
        from_committee: str,
        cause: MoveCause,
        committees: Sequence[CommitteeInfo],
        open_cases: Mapping[str, int],
        now: datetime,
    ) -> Outcome:
        """Take the case from a committee that may no longer hold it, as a recusal by the system.

        The next committee is chosen by the assignment rules among the factory's other active
        committees (``committees``), none of whose members any of the worker's messages may name;
        without one the NGO holds it: ``conflict_of_interest`` when a member is named, else the
        reason the rules give (``unroutable``: no other committee handles the category). The event
        is a ``recused`` update whose note is that reason, which escalation turns into an
        escalation. A case the committee no longer holds, or a closed one, is left as it is, so a
        second pass changes nothing; the action id follows the case's version, so the same move
        replayed from the same read produces the same events.
        """
        if self.committee_id != from_committee or self.status == "closed":
            return Outcome.unchanged(self)
        excluded = (*self.recused_by, from_committee)
        choice = choose_committee(self.category, self.worker_text(), committees, open_cases, excluded)
        found = choice.conflicts
        if cause == "conflict_of_interest":
            found = _named_in(self.worker_text(), committees, (from_committee, *choice.skipped))
        left: UnassignedReason | None = None
        if choice.committee_id is None:
            left = "conflict_of_interest" if cause == "conflict_of_interest" else choice.unassigned_reason
        passed = (*choice.skipped, *((from_committee,) if cause == "conflict_of_interest" else ()))
        action_id = f"{cause}:{from_committee}:{self.version}"
        after = self._record(
            action_id,
            "recused",
            now,
            actor="system",
            note=cause,
            committee_id=choice.committee_id,
            status="assigned" if choice.committee_id else "unassigned",
            unassigned_reason=left,
            acknowledged_at=None,
            skipped_committees=tuple(dict.fromkeys((*self.skipped_committees, *passed))),
            conflicts=_union(self.conflicts, found),
        )
        return after._outcome("recused", action_id, now, actor="system", note=left or cause, conflicts=found)

    def worker_text(self) -> str:
        """Everything the worker wrote on the case, for the conflict-of-interest rules."""
        return "\n".join(m.text for m in self.messages if m.direction == "worker")

    def recategorise(
        self,
        *,
        by: str,
        category: Category,
        severity: Severity | None,
        sla: SlaTable,
        action_id: str,
        now: datetime,
    ) -> Outcome:
        """Correct the category (and severity, by default the category's own) and the deadlines.

        Deadlines count from the worker's message, as at creation. Retaliation is never for the
        factory's committee, the factory being the party accused: the case leaves the committee and
        goes to the NGO (``unassigned``/``retaliation``), as a new grievance of that category would.
        The worker is not told; the committee's answer to them is what matters to the worker.
        """
        self._held_by(by)
        if self.status == "closed":
            raise CaseClosed
        severity = severity or BASE_SEVERITY[category]
        if (category, severity) == (self.category, self.severity):
            return Outcome.unchanged(self)
        due = due_dates(sla, severity, self.received_at)
        moved: dict[str, Any] = {}
        if category == "retaliation":
            moved = {"committee_id": None, "status": "unassigned", "unassigned_reason": "retaliation"}
        note = "retaliation" if moved else None
        after = self._record(
            action_id,
            "recategorised",
            now,
            note=note,
            category=category,
            severity=severity,
            ack_due_at=due.ack,
            resolve_due_at=due.resolve,
            **moved,
        )
        return after._outcome("recategorised", action_id, now, note=note)

    # -- the worker's answers ---------------------------------------------------------------------

    def worker_message(
        self, *, grievance_id: str, text: str, at: datetime, now: datetime, safety: Safety | None = None
    ) -> Outcome:
        """A follow-up from the worker, added to the thread once (the grievance id is the message id).

        With ``safety``, the follow-up passes the checks of a new grievance in the same write, so the
        committee never holds the case with the message in it when it must not: retaliation takes the
        case to the NGO (``recategorised``, note ``retaliation``); a member of the holding committee
        named takes it to another committee of the factory that is not named, else to the NGO
        (``recused`` by the system, note ``conflict_of_interest``); a graver severity than the case's
        raises it and its deadlines (``recategorised``), so a critical follow-up escalates at once.
        """
        action_id = f"{grievance_id}:message"
        if self._done(action_id) or any(m.id == grievance_id for m in self.messages):
            return Outcome.unchanged(self)
        message = Message(id=grievance_id, direction="worker", text=text, at=at, purpose="message")
        after = self._record(
            action_id, "worker_replied", now, actor="worker", messages=(*self.messages, message)
        )
        checked: list[Event] = []
        if safety is not None and self.status != "closed":
            after, checked = after._checked(grievance_id, text, safety, now)
        # Built from the case after the checks: escalation folds events of one instant in any order.
        replied = after._updated("worker_replied", "worker", action_id, now, None)
        return Outcome(after, (replied, *checked))

    def _checked(
        self, grievance_id: str, text: str, safety: Safety, now: datetime
    ) -> tuple[Case, list[Event]]:
        """The case after the safety checks of one follow-up, and the events of what they changed."""
        found = safety.classification
        case, events = self, list[Event]()
        if found.category != "retaliation" and case.committee_id is not None:
            holder = {c.id: c.people() for c in safety.committees if c.id == case.committee_id}
            if named_members(text, holder):
                case, moved = case._moved_for_conflict(grievance_id, safety, now)
                events.append(moved)
        category: Category = "retaliation" if found.category == "retaliation" else case.category
        severity = gravest(case.severity, found.severity)
        if category == "retaliation":
            severity = gravest(severity, BASE_SEVERITY["retaliation"])
        with_ngo = case.committee_id is None and (case.factory_id is None or case.category == "retaliation")
        if (category, severity) != (case.category, case.severity) or (
            category == "retaliation" and not with_ngo
        ):
            case, changed = case._regraded(grievance_id, category, severity, safety.sla, now)
            events.append(changed)
        return case, events

    def _moved_for_conflict(self, grievance_id: str, safety: Safety, now: datetime) -> tuple[Case, Event]:
        """To a committee of the factory none of whose members the worker's messages name, or the NGO.

        The members named in the holder and in the committees passed over for the next one go to the
        NGO on the ``recused`` update.
        """
        holder = self.committee_id
        assert holder is not None
        everything = "\n".join(m.text for m in self.messages if m.direction == "worker")
        excluded = [*self.skipped_committees, *self.recused_by, holder]
        choice = choose_committee(
            self.category, everything, safety.committees, safety.open_cases or {}, excluded
        )
        # The holder read with the committees passed over, so a form that fits members of both counts all.
        found = _named_in(everything, safety.committees, (holder, *choice.skipped))
        reason = None if choice.committee_id else "conflict_of_interest"
        action_id = f"{grievance_id}:conflict"
        after = self._record(
            action_id,
            "recused",
            now,
            actor="system",
            note=reason or "reassigned",
            committee_id=choice.committee_id,
            status="assigned" if choice.committee_id else "unassigned",
            unassigned_reason=reason,
            acknowledged_at=None,
            skipped_committees=(*self.skipped_committees, holder, *choice.skipped),
            conflicts=_union(self.conflicts, found),
        )
        return after, after._updated("recused", "system", action_id, now, reason or "reassigned", found)

    def _regraded(
        self, grievance_id: str, category: Category, severity: Severity, sla: SlaTable | None, now: datetime
    ) -> tuple[Case, Event]:
        """The category (retaliation: to the NGO) and severity a follow-up calls for, deadlines anew."""
        due = due_dates(sla, severity, self.received_at) if sla is not None else None
        moved: dict[str, Any] = {}
        if category == "retaliation" and (self.committee_id is not None or self.factory_id is not None):
            moved = {"committee_id": None, "status": "unassigned", "unassigned_reason": "retaliation"}
        note = "retaliation" if category == "retaliation" else "severity"
        action_id = f"{grievance_id}:regraded"
        after = self._record(
            action_id,
            "recategorised",
            now,
            actor="system",
            note=note,
            category=category,
            severity=severity,
            **({"ack_due_at": due.ack, "resolve_due_at": due.resolve} if due else {}),
            **moved,
        )
        return after, after._updated("recategorised", "system", action_id, now, note)

    def confirm_contact(
        self,
        *,
        reporter_key: str,
        action_id: str,
        now: datetime,
        reach_worker: bool = True,
        zone: str = texts.DEFAULT_ZONE,
    ) -> Outcome:
        """The worker proved they hold the contact: from now on it is texted and binds their messages.

        ``case.updated`` ``contact_confirmed`` carries the sealed contact, the first event that does,
        so escalation's notices may go to it from now on. The worker now gets the acknowledgement
        withheld at creation: who holds the case (the monitor, for a critical one) and by when, the
        text that escalation does not repeat.
        """
        if not self.awaits_confirmation or self._done(action_id):
            return Outcome.unchanged(self)
        after = self._record(
            action_id,
            "contact_confirmed",
            now,
            actor="worker",
            contact_proven=True,
            reporter_key=reporter_key,
            claimed_reporter_key=None,
        )
        updated = after._updated("contact_confirmed", "worker", action_id, now, None)
        events: list[Event] = [updated.model_copy(update={"sealed_contact": self.sealed_contact})]
        ack = after._to_worker("ack", after._acknowledgement(zone), ("ack", "confirmed"), now)
        if ack is not None and reach_worker:
            events.append(ack)
        return Outcome(after, tuple(events))

    def withdraw_contact(self, *, action_id: str, now: datetime) -> Outcome:
        """The worker withdrew the contact (a WeChat unfollow): the case forgets it and stays.

        The sealed contact and both reporter keys go, so nothing reaches the worker any more and no
        later message binds to the case without its reference. ``case.updated``
        ``contact_withdrawn`` tells escalation to forget its copy too.
        """
        if self._done(action_id) or not (
            self.sealed_contact or self.reporter_key or self.claimed_reporter_key
        ):
            return Outcome.unchanged(self)
        after = self._record(
            action_id,
            "contact_withdrawn",
            now,
            actor="worker",
            sealed_contact=None,
            reporter_key=None,
            claimed_reporter_key=None,
        )
        return Outcome(after, (after._updated("contact_withdrawn", "worker", action_id, now, None),))

    def messages_switched(self, *, stopped: bool, action_id: str, now: datetime) -> Outcome:
        """The worker sent STOP (``stopped``) or START: recorded, and told to escalation.

        The router's own texts already follow the opt-out record (:class:`WorkerStore`); the update
        lets escalation refuse an NGO message that would not reach the worker, and say so at once.
        """
        action: CaseAction = "messages_stopped" if stopped else "messages_resumed"
        switches = [e.action for e in self.timeline if e.action in ("messages_stopped", "messages_resumed")]
        # A second STOP (退订, then STOP) says nothing new; nor does a redelivered one.
        if self._done(action_id) or (switches[-1] if switches else "messages_resumed") == action:
            return Outcome.unchanged(self)
        after = self._record(action_id, action, now, actor="worker")
        return Outcome(after, (after._updated(action, "worker", action_id, now, None),))

    def confirm(
        self, *, grievance_id: str, text: str, at: datetime, now: datetime, reach_worker: bool
    ) -> Outcome:
        """The worker accepts the resolution: the case closes (``confirmed``)."""
        return self._answer(
            "confirmed",
            grievance_id,
            text,
            at,
            now,
            reach_worker,
            status="closed",
            closure="confirmed",
            closed_at=at,
        )

    def dispute(
        self, *, grievance_id: str, text: str, at: datetime, now: datetime, reach_worker: bool
    ) -> Outcome:
        """The worker rejects the resolution: the case reopens (escalation escalates it)."""
        return self._answer(
            "disputed", grievance_id, text, at, now, reach_worker, status="reopened", disputed_at=at
        )

    # -- closing by the system ---------------------------------------------------------------------

    def close_unconfirmed(self, *, resolved_before: datetime, now: datetime) -> Outcome:
        """Close a resolution the worker left unanswered since before ``resolved_before``.

        The action id is derived from the moment of the resolution, so replicas closing the same
        case at once produce one closure, and a case resolved again later is not closed early.
        """
        if self.status != "resolved" or self.resolved_at is None or self.resolved_at > resolved_before:
            return Outcome.unchanged(self)
        action_id = f"autoclose:{self.resolved_at.isoformat()}"
        return self._close("unconfirmed", action_id, now, note="resolved_unconfirmed")

    def close_rerouted(self, *, replaced_by: str, now: datetime) -> Outcome:
        """Close an unroutable case that a routed case of the same worker replaced (``rerouted``)."""
        if self.status != "unassigned" or self.factory_id is not None:
            return Outcome.unchanged(self)
        return self._close("rerouted", f"{replaced_by}:rerouted", now, note="rerouted")

    # -- helpers ----------------------------------------------------------------------------------

    def _held_by(self, committee_id: str) -> None:
        if self.committee_id != committee_id:
            raise NotYourCase

    def _done(self, action_id: str) -> bool:
        return any(entry.id == action_id for entry in self.timeline)

    def _acknowledged_status(self) -> CaseStatus:
        return "acknowledged" if self.status == "assigned" else self.status

    def _answer(
        self,
        action: Literal["confirmed", "disputed"],
        grievance_id: str,
        text: str,
        at: datetime,
        now: datetime,
        reach_worker: bool,
        **changes: Any,
    ) -> Outcome:
        kind: Literal["confirm", "dispute"] = "confirm" if action == "confirmed" else "dispute"
        action_id = f"{grievance_id}:{kind}"
        if self._done(action_id) or self.status != "resolved":
            return Outcome.unchanged(self)
        message = Message(id=grievance_id, direction="worker", text=text, at=at, purpose=kind)
        after = self._record(
            action_id, action, now, actor="worker", messages=(*self.messages, message), **changes
        )
        told = (texts.confirmed if kind == "confirm" else texts.disputed)(self.language, self.reference)
        return after._outcome(action, action_id, now, actor="worker", worker=("status", told, reach_worker))

    def _close(self, closure: Closure, action_id: str, now: datetime, *, note: str) -> Outcome:
        if self._done(action_id):
            return Outcome.unchanged(self)
        after = self._record(
            action_id,
            "closed",
            now,
            actor="system",
            note=note,
            status="closed",
            closure=closure,
            closed_at=now,
        )
        return after._outcome("closed", action_id, now, actor="system", note=note)

    def _committee_message(
        self, message_id: str, text: str, purpose: MessagePurpose, now: datetime, reach_worker: bool
    ) -> Message:
        outbound_id = str(event_id(self.case_id, message_id, "outbound")) if reach_worker else None
        return Message(
            id=message_id, direction="committee", text=text, at=now, purpose=purpose, outbound_id=outbound_id
        )

    def _record(
        self,
        action_id: str,
        action: TimelineAction,
        now: datetime,
        *,
        actor: ActorRole = "committee",
        note: str | None = None,
        **changes: Any,
    ) -> Case:
        """The case with ``changes`` applied and the action appended to the timeline."""
        entry = TimelineEntry(id=action_id, at=now, action=action, actor_role=actor, note=note)
        return self.model_copy(update={**changes, "timeline": (*self.timeline, entry)})

    def _outcome(
        self,
        action: CaseAction,
        action_id: str,
        now: datetime,
        *,
        actor: ActorRole = "committee",
        note: str | None = None,
        worker: tuple[OutboundPurpose, str, bool] | None = None,
        conflicts: tuple[NamedMember, ...] = (),
    ) -> Outcome:
        """The outcome of an action on the case as it is now (``self`` is the case after it)."""
        events: list[Event] = [self._updated(action, actor, action_id, now, note, conflicts)]
        if worker is not None and worker[2]:
            purpose, text, _ = worker
            told = self._to_worker(purpose, text, (action_id, "outbound"), now)
            if told is not None:
                events.append(told)
        return Outcome(self, tuple(events))

    def _updated(
        self,
        action: CaseAction,
        actor: ActorRole,
        action_id: str,
        at: datetime,
        note: str | None,
        conflicts: tuple[NamedMember, ...] = (),
    ) -> CaseUpdated:
        return CaseUpdated(
            id=event_id(self.case_id, action_id, "case.updated"),
            occurred_at=at,
            correlation_id=uuid.UUID(self.grievance_id),
            case_id=self.case_id,
            reference=self.reference,
            action=action,
            actor_role=actor,
            at=at,
            status=self.status,
            committee_id=self.committee_id,
            unassigned_reason=self.unassigned_reason if self.committee_id is None else None,
            closure=self.closure if action == "closed" else None,
            category=self.category,
            severity=self.severity,
            ack_due_at=self.ack_due_at,
            resolve_due_at=self.resolve_due_at,
            note=note,
            conflicts=conflicts,
        )

    def sign_in_code(self, code: str, request_id: str, at: datetime) -> MessageOutbound | None:
        """The worker page's one-time code, for the case's proven contact only (None without one).

        Its id is drawn per request (``request_id``), never derived from the code: an id is no
        secret, and six digits are quickly tried against a derived one.
        """
        told = self._to_worker("sign_in_code", texts.sign_in_code(self.language, code), (request_id,), at)
        return told.model_copy(update={"code": code}) if told is not None else None

    def _to_worker(
        self, purpose: OutboundPurpose, text: str, id_parts: tuple[str, ...], at: datetime
    ) -> MessageOutbound | None:
        """A text for the case's worker, or None when there is no contact to reach or it is unproven."""
        if not self.proven:
            return None
        return self._message(purpose, text, id_parts, at)

    def _message(
        self, purpose: OutboundPurpose, text: str, id_parts: tuple[str, ...], at: datetime
    ) -> MessageOutbound | None:
        if not self.sealed_contact:
            return None
        return MessageOutbound(
            id=event_id(self.case_id, *id_parts),
            occurred_at=at,
            correlation_id=uuid.UUID(self.grievance_id),
            channel=self.channel,
            sealed_contact=self.sealed_contact,
            text=text,
            language=self.language,
            reference=self.reference,
            case_id=self.case_id,
            purpose=purpose,
            gateway_number=self.gateway_number,
        )


def _union(*groups: tuple[NamedMember, ...]) -> tuple[NamedMember, ...]:
    """The members of every group, once each, in the order first recorded."""
    return tuple(dict.fromkeys(m for group in groups for m in group))


def _named_in(text: str, committees: Sequence[CommitteeInfo], ids: Sequence[str]) -> tuple[NamedMember, ...]:
    """The members of these committees the text may name, read together (``shared`` counts across them)."""
    return recorded(named_members(text, {c.id: c.people() for c in committees if c.id in ids}))
