"""The case aggregate on its own: transitions, the events they cause, the errors they raise, and
event ids derived exactly as the router has always derived them (no store, no bus)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypedDict

import pytest

from services.router.assign import Assignment, CommitteeInfo
from services.router.case import Case, Outcome, Safety, event_id
from services.router.classify import Classification
from services.router.dialogue import reply_to_sender
from services.router.errors import CaseClosed, Conflict, NotYourCase
from shared.contracts import CaseAssigned, CaseUpdated, GrievanceReceived, MessageOutbound
from shared.ids import reference_for
from shared.sla import SlaTable

SLA = SlaTable()
AT = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
LATER = AT + timedelta(hours=1)
GID = uuid.UUID("6a0f4a2e-8c1b-4f1e-9d7a-3b5c2e1f0a9d")
SPT = "gz-001-spt"
_OLD_REPLY_NAMESPACE = uuid.UUID("0c3f6a8e-2b1d-4f7a-9e55-7d1b2c3a4f60")


class Answer(TypedDict):
    """A worker's answer to a resolution, as ``Case.confirm`` and ``Case.dispute`` take it."""

    grievance_id: str
    text: str
    at: datetime
    now: datetime
    reach_worker: bool


def updates_of(outcome: Outcome) -> list[CaseUpdated]:
    """An outcome's events, each of which is a case update."""
    updates = [e for e in outcome.events if isinstance(e, CaseUpdated)]
    assert len(updates) == len(outcome.events)
    return updates


def test_event_ids_are_derived_as_before() -> None:
    # Golden values from the scheme the published events carry: a change would make every
    # redelivered event look new downstream.
    assert event_id("case-1", "case.assigned") == uuid.UUID("60ae5175-6a65-5358-bc79-17ec3c6eb173")
    assert event_id("case-1", "ack") == uuid.UUID("936fa3d9-89ca-57b5-aed4-459909c5949b")
    assert event_id("case-1", "a1", "case.updated") == uuid.UUID("c1dcd878-2140-5797-b2ff-06833fd63ca7")
    assert event_id("case-1", "a1", "outbound") == uuid.UUID("a8739742-0c1b-545d-9250-60ef6dae0d03")
    assert event_id("case-1", "created") == uuid.UUID("ead03739-54b7-50f3-a776-3ab45392a007")
    assert event_id("case-1", "message", "key-1").hex == "9948fb088b38572ea02bafc7b513e02b"
    # Texts that belong to no case: derived from the message and the purpose.
    gid = uuid.UUID("6a0f4a2e-8c1b-4f1e-9d7a-3b5c2e1f0a9d")
    helped = reply_to_sender(grievance(), "help", "帮助")
    assert helped is not None and helped.id == uuid.uuid5(_OLD_REPLY_NAMESPACE, f"{gid}:help")
    assert reply_to_sender(grievance(contact=None), "help", "帮助") is None


def grievance(text: str = "工资没发", contact: str | None = "sealed-contact") -> GrievanceReceived:
    return GrievanceReceived(
        correlation_id=GID,
        grievance_id=GID,
        reference=reference_for(GID),
        channel="sms",
        provider="twilio",
        received_at=AT,
        text=text,
        language="zh",
        reporter_key="reporter",
        sealed_contact=contact,
    )


def opened(committee: str | None = SPT, contact: str | None = "sealed-contact") -> Case:
    return Case.open(
        grievance(contact=contact),
        reference=reference_for(GID),
        now=AT,
        factory_id="GZ-001",
        factory_via="gateway_number",
        assignment=Assignment(committee, None if committee else "conflict_of_interest"),
        classification=Classification("wages", "high", 3),
        sla=SLA,
    )


def test_a_new_case_and_the_events_rebuilt_from_it() -> None:
    case = opened()
    assert (case.status, case.committee_id, case.version) == ("assigned", SPT, 0)
    assert case.ack_due_at == AT + SLA.high.ack
    assigned, ack = case.creation_events()
    assert isinstance(assigned, CaseAssigned) and assigned.id == event_id(str(GID), "case.assigned")
    assert isinstance(ack, MessageOutbound) and ack.purpose == "ack" and ack.id == event_id(str(GID), "ack")
    assert case.creation_events() == [assigned, ack]  # the same events every time
    assert [e.type for e in case.creation_events(reach_worker=False)] == ["case.assigned"]
    assert [e.type for e in opened(contact=None).creation_events()] == ["case.assigned"]


def test_acknowledge_once_and_tell_the_worker() -> None:
    case = opened()
    outcome = case.acknowledge(by=SPT, action_id="a1", now=LATER, reach_worker=True)
    after = outcome.case
    assert (after.status, after.acknowledged_at, after.timeline[-1].action) == (
        "acknowledged",
        LATER,
        "acknowledged",
    )
    updated, told = outcome.events
    assert isinstance(updated, CaseUpdated) and updated.id == event_id(str(GID), "a1", "case.updated")
    assert isinstance(told, MessageOutbound) and told.id == event_id(str(GID), "a1", "outbound")
    again = after.acknowledge(by=SPT, action_id="a2", now=LATER, reach_worker=True)
    assert not again.changed and again.events == () and again.case is after
    silent = case.acknowledge(by=SPT, action_id="a1", now=LATER, reach_worker=False)
    assert [e.type for e in silent.events] == ["case.updated"]
    assert case.status == "assigned"  # the aggregate is immutable: outcomes are new cases


def test_a_committee_acts_only_on_the_case_it_holds_and_never_on_a_closed_one() -> None:
    case = opened()
    with pytest.raises(NotYourCase):
        case.acknowledge(by="gz-001-women", action_id="a1", now=LATER, reach_worker=True)
    resolved = case.resolve(by=SPT, action_id="r1", resolution="补发", now=LATER, reach_worker=True).case
    closed = resolved.close_unconfirmed(resolved_before=LATER, now=LATER + timedelta(days=7)).case
    assert (closed.status, closed.closure) == ("closed", "unconfirmed")
    acts: tuple[Callable[[Case], Outcome], ...] = (
        lambda c: c.acknowledge(by=SPT, action_id="a", now=LATER, reach_worker=True),
        lambda c: c.reply(by=SPT, message_id="m", text="x", now=LATER, reach_worker=True),
        lambda c: c.resolve(by=SPT, action_id="r", resolution="x", now=LATER, reach_worker=True),
        lambda c: c.recuse(by=SPT, reason="x", committees=[], open_cases={}, action_id="x", now=LATER),
        lambda c: c.recategorise(
            by=SPT, category="wages", severity="critical", sla=SLA, action_id="x", now=LATER
        ),
    )
    for act in acts:
        with pytest.raises(CaseClosed):
            act(closed)


def test_a_first_reply_acknowledges_and_a_repeated_message_id_adds_nothing() -> None:
    case = opened()
    replied = case.reply(by=SPT, message_id="m1", text="在查", now=LATER, reach_worker=True).case
    assert (replied.status, replied.acknowledged_at) == ("acknowledged", LATER)
    assert replied.messages[-1].outbound_id == str(event_id(str(GID), "m1", "outbound"))
    assert not replied.reply(by=SPT, message_id="m1", text="在查", now=LATER, reach_worker=True).changed
    later = replied.reply(
        by=SPT, message_id="m2", text="明天", now=LATER + timedelta(hours=1), reach_worker=False
    )
    assert later.case.acknowledged_at == LATER and later.case.messages[-1].outbound_id is None


def test_resolve_the_same_again_is_a_no_op_and_another_is_a_conflict() -> None:
    resolved = opened().resolve(by=SPT, action_id="r1", resolution="补发", now=LATER, reach_worker=True).case
    assert not resolved.resolve(
        by=SPT, action_id="r2", resolution="补发", now=LATER, reach_worker=True
    ).changed
    with pytest.raises(Conflict, match="waits for the worker"):
        resolved.resolve(by=SPT, action_id="r3", resolution="别的", now=LATER, reach_worker=True)


def test_the_worker_confirms_or_disputes_only_a_pending_resolution_and_once() -> None:
    case = opened()
    answer: Answer = {"grievance_id": "g2", "text": "是", "at": LATER, "now": LATER, "reach_worker": True}
    assert not case.confirm(**answer).changed  # nothing to confirm
    resolved = case.resolve(by=SPT, action_id="r1", resolution="补发", now=LATER, reach_worker=True).case
    confirmed = resolved.confirm(**answer)
    assert (confirmed.case.status, confirmed.case.closure) == ("closed", "confirmed")
    assert [e.type for e in confirmed.events] == ["case.updated", "message.outbound"]
    assert confirmed.events[0].id == event_id(str(GID), "g2:confirm", "case.updated")
    assert not confirmed.case.confirm(**answer).changed
    disputed = resolved.dispute(**(answer | {"grievance_id": "g3", "text": "否"})).case
    assert (disputed.status, disputed.disputed_at, disputed.messages[-1].purpose) == (
        "reopened",
        LATER,
        "dispute",
    )


def test_recusal_hands_on_to_an_eligible_committee_or_leaves_the_case_to_the_ngo() -> None:
    committees = [CommitteeInfo(SPT, "GZ-001", ("all",)), CommitteeInfo("gz-001-wages", "GZ-001", ("wages",))]
    moved = opened().recuse(
        by=SPT, reason="亲戚", committees=committees, open_cases={}, action_id="x1", now=LATER
    )
    assert (moved.case.committee_id, moved.case.recused_by) == ("gz-001-wages", (SPT,))
    assert not moved.case.recuse(
        by=SPT, reason="again", committees=committees, open_cases={}, action_id="x2", now=LATER
    ).changed
    left = moved.case.recuse(
        by="gz-001-wages", reason="也是", committees=committees, open_cases={}, action_id="x3", now=LATER
    )
    assert (left.case.status, left.case.committee_id, left.case.unassigned_reason) == (
        "unassigned",
        None,
        "conflict_of_interest",
    )
    assert (updates_of(left)[0].unassigned_reason, updates_of(left)[0].note) == ("conflict_of_interest",) * 2
    assert updates_of(moved)[0].unassigned_reason is None  # another committee holds it


def test_recategorise_moves_the_deadlines_and_retaliation_leaves_the_committee() -> None:
    case = opened()
    child = case.recategorise(
        by=SPT, category="child_labour", severity=None, sla=SLA, action_id="c1", now=LATER
    )
    assert (child.case.severity, child.case.ack_due_at) == ("critical", AT + SLA.critical.ack)  # from receipt
    [updated] = child.events
    assert isinstance(updated, CaseUpdated) and (updated.action, updated.severity) == (
        "recategorised",
        "critical",
    )
    same = child.case.recategorise(
        by=SPT, category="child_labour", severity="critical", sla=SLA, action_id="c2", now=LATER
    )
    assert not same.changed
    moved = case.recategorise(
        by=SPT, category="retaliation", severity=None, sla=SLA, action_id="c3", now=LATER
    )
    assert (moved.case.status, moved.case.committee_id, moved.case.unassigned_reason) == (
        "unassigned",
        None,
        "retaliation",
    )
    assert updates_of(moved)[0].note == "retaliation" and updates_of(moved)[0].committee_id is None


def test_an_unroutable_case_closes_as_rerouted_once() -> None:
    unroutable = Case.open(
        grievance(),
        reference=reference_for(GID),
        now=AT,
        factory_id=None,
        factory_via=None,
        assignment=Assignment(None, "unroutable"),
        classification=Classification("wages", "high", 3),
        sla=SLA,
    )
    closed = unroutable.close_rerouted(replaced_by="new-case", now=LATER)
    assert (closed.case.closure, updates_of(closed)[0].closure, updates_of(closed)[0].note) == (
        "rerouted",
    ) * 3
    assert not closed.case.close_rerouted(replaced_by="new-case", now=LATER).changed
    assert not opened().close_rerouted(replaced_by="new-case", now=LATER).changed  # a routed case stays


COMMITTEES = (
    CommitteeInfo(SPT, "GZ-001", ("all",), ("王芳", "王主任", "张伟")),
    CommitteeInfo("gz-001-women", "GZ-001", ("harassment_abuse",), ("陈静",)),
)


def follow_up(case: Case, text: str, found: Classification) -> tuple[Case, list[str]]:
    safety = Safety(found, COMMITTEES, {}, SLA)
    outcome = case.worker_message(grievance_id="g2", text=text, at=LATER, now=LATER, safety=safety)
    again = outcome.case.worker_message(grievance_id="g2", text=text, at=LATER, now=LATER, safety=safety)
    assert not again.changed and again.events == ()  # a redelivered follow-up changes nothing
    updates = [e for e in outcome.events if isinstance(e, CaseUpdated)]
    assert len(updates) == len(outcome.events)  # the checks tell the worker nothing
    return outcome.case, [f"{e.action}:{e.note}:{e.committee_id}" for e in updates]


def test_a_follow_up_naming_the_holders_member_leaves_it_for_the_ngo_in_the_same_write() -> None:
    case, actions = follow_up(opened(), "王主任知道", Classification("wages", "high", 3))
    assert (case.committee_id, case.status, case.unassigned_reason) == (
        None,
        "unassigned",
        "conflict_of_interest",
    )
    assert SPT in case.skipped_committees and case.messages[-1].text == "王主任知道"
    assert actions == ["worker_replied:None:None", "recused:conflict_of_interest:None"]


def test_retaliation_and_graver_follow_ups_regrade_the_case() -> None:
    case, actions = follow_up(opened(), "投诉之后被扣工资", Classification("retaliation", "high", 10))
    assert (case.category, case.committee_id, case.unassigned_reason) == ("retaliation", None, "retaliation")
    assert actions == ["worker_replied:None:None", "recategorised:retaliation:None"]
    safety = Safety(Classification("retaliation", "high", 10), COMMITTEES, {}, SLA)
    again = case.worker_message(grievance_id="g3", text="又被扣了", at=LATER, now=LATER, safety=safety)
    assert [e.action for e in updates_of(again)] == [
        "worker_replied"
    ]  # with the NGO already: nothing to move
    case, actions = follow_up(opened(), "安全出口被锁", Classification("health_safety", "critical", 15))
    assert (case.category, case.severity, case.committee_id) == ("wages", "critical", SPT)
    assert case.ack_due_at == AT + SLA.critical.ack
    assert actions == ["worker_replied:None:gz-001-spt", f"recategorised:severity:{SPT}"]
    case, actions = follow_up(opened(), "食堂不好吃", Classification("other", "normal", 1))
    assert case.severity == "high" and actions == ["worker_replied:None:gz-001-spt"]


def test_an_unproven_contact_gets_only_its_confirmation_request_until_confirmed() -> None:
    web = grievance().model_copy(update={"channel": "web", "provider": "web", "contact_proven": False})
    case = Case.open(
        web,
        reference=reference_for(GID),
        now=AT,
        factory_id="GZ-001",
        factory_via="factory_code",
        assignment=Assignment(SPT),
        classification=Classification("wages", "high", 3),
        sla=SLA,
        proven=False,
        unverified_key="apart",
    )
    assert (case.reporter_key, case.claimed_reporter_key, case.awaits_confirmation) == (
        "apart",
        "reporter",
        True,
    )
    assert not case.bound_to("reporter") and not case.bound_to("apart")
    assigned, request = case.creation_events(confirmation="code 123456")
    assert isinstance(assigned, CaseAssigned) and assigned.sealed_contact is None
    assert isinstance(request, MessageOutbound) and request.reference is None
    assert [e.type for e in case.creation_events()] == ["case.assigned"]
    acked = case.acknowledge(by=SPT, action_id="a1", now=LATER, reach_worker=True)
    assert [e.type for e in acked.events] == ["case.updated"]  # nothing texted
    confirmed = case.confirm_contact(reporter_key="reporter", action_id="c", now=LATER).case
    assert confirmed.bound_to("reporter") and confirmed.timeline[-1].action == "contact_confirmed"
    assert not confirmed.confirm_contact(reporter_key="reporter", action_id="c2", now=LATER).changed
    told = confirmed.acknowledge(by=SPT, action_id="a1", now=LATER, reach_worker=True)
    assert [e.type for e in told.events] == ["case.updated", "message.outbound"]


def test_a_withdrawn_contact_leaves_an_open_or_closed_case_de_identified_once() -> None:
    case = opened()
    resolved = case.resolve(by=SPT, action_id="r1", resolution="补发", now=LATER, reach_worker=True).case
    closed = resolved.close_unconfirmed(resolved_before=LATER, now=LATER + timedelta(days=7)).case
    for before in (case, closed):
        outcome = before.withdraw_contact(action_id="w1", now=LATER)
        after = outcome.case
        assert (after.sealed_contact, after.reporter_key, after.claimed_reporter_key) == (None, None, None)
        assert (after.status, after.text, after.messages) == (before.status, before.text, before.messages)
        assert after.timeline[-1].action == "contact_withdrawn" and after.timeline[-1].actor_role == "worker"
        [updated] = outcome.events
        assert isinstance(updated, CaseUpdated) and updated.action == "contact_withdrawn"
        assert updated.sealed_contact is None and updated.id == event_id(str(GID), "w1", "case.updated")
        assert not after.bound_to("reporter")
        # Redelivered, or withdrawn again by a later unfollow: nothing more happens.
        assert not after.withdraw_contact(action_id="w1", now=LATER).changed
        assert not after.withdraw_contact(action_id="w2", now=LATER).changed
        # Nothing the committee does reaches the worker now.
        if after.status != "closed":
            reply = after.reply(by=SPT, message_id="m1", text="我们会处理", now=LATER, reach_worker=True)
            assert not any(isinstance(e, MessageOutbound) for e in reply.events)


# -- the monitoring NGO's actions -------------------------------------------------------------------

NGO_COMMITTEES = [
    CommitteeInfo(SPT, "GZ-001", ("all",), ("王芳",)),
    CommitteeInfo("gz-001-women", "GZ-001", ("harassment_abuse",)),
    CommitteeInfo("gz-001-wages", "GZ-001", ("wages",)),
]


def test_an_ngo_message_is_kept_once_and_relayed_marked_as_the_monitors() -> None:
    case = opened(committee=None)
    outcome = case.ngo_message(action_id="r1", text="我们在跟进", now=LATER, reach_worker=True)
    updated, relayed = outcome.events
    assert (
        isinstance(updated, CaseUpdated) and updated.action == "ngo_messaged" and updated.actor_role == "ngo"
    )
    assert isinstance(relayed, MessageOutbound) and relayed.purpose == "ngo_message"
    assert relayed.text == f"[{case.reference}] 独立监督机构：我们在跟进"
    message = outcome.case.messages[-1]
    assert (message.direction, message.text, message.outbound_id) == ("ngo", "我们在跟进", str(relayed.id))
    assert outcome.case.status == "unassigned"  # a message takes no decision on the case
    assert not outcome.case.ngo_message(
        action_id="r1", text="我们在跟进", now=LATER, reach_worker=True
    ).changed
    # A worker who sent STOP: kept in the thread, nothing sent.
    quiet = case.ngo_message(action_id="r2", text="x", now=LATER, reach_worker=False)
    assert [e.type for e in quiet.events] == ["case.updated"] and quiet.case.messages[-1].outbound_id is None


def test_a_transfer_goes_only_to_a_committee_the_rules_allow() -> None:
    case = opened(committee=None)
    moved = case.transfer(to="gz-001-wages", committees=NGO_COMMITTEES, action_id="t1", now=LATER)
    assert (moved.case.committee_id, moved.case.status, moved.case.unassigned_reason) == (
        "gz-001-wages",
        "assigned",
        None,
    )
    [updated] = moved.events
    assert isinstance(updated, CaseUpdated) and updated.action == "transferred"
    assert updated.committee_id == "gz-001-wages" and updated.unassigned_reason is None
    assert not moved.case.transfer(
        to="gz-001-wages", committees=NGO_COMMITTEES, action_id="t1", now=LATER
    ).changed
    for committee, why in (
        ("gz-001-women", "category"),
        ("dg-002-wages", "no active committee"),
    ):
        with pytest.raises(Conflict, match=why):
            case.transfer(to=committee, committees=NGO_COMMITTEES, action_id="t2", now=LATER)
    named = Case.open(
        grievance(text="王芳扣了我的工资"),
        reference=reference_for(GID),
        now=AT,
        factory_id="GZ-001",
        factory_via="gateway_number",
        assignment=Assignment(None, "conflict_of_interest"),
        classification=Classification("wages", "high", 3),
        sla=SLA,
    )
    with pytest.raises(Conflict, match="name"):
        named.transfer(to=SPT, committees=NGO_COMMITTEES, action_id="t3", now=LATER)


def test_an_ngo_close_tells_the_worker_the_outcome_and_ends_the_case() -> None:
    case = opened(committee=None)
    closed = case.close_by_ngo(action_id="c1", outcome="已补发", now=LATER, reach_worker=True)
    updated, told = closed.events
    assert isinstance(updated, CaseUpdated) and (updated.action, updated.closure) == ("closed", "ngo_outcome")
    assert isinstance(told, MessageOutbound) and told.purpose == "ngo_outcome" and "已补发" in told.text
    assert (closed.case.status, closed.case.resolution, closed.case.closed_at) == ("closed", "已补发", LATER)
    assert not closed.case.close_by_ngo(action_id="c2", outcome="y", now=LATER, reach_worker=True).changed
    with pytest.raises(CaseClosed):
        closed.case.ngo_message(action_id="m", text="x", now=LATER, reach_worker=True)
    with pytest.raises(CaseClosed):
        closed.case.transfer(to="gz-001-wages", committees=NGO_COMMITTEES, action_id="t", now=LATER)
