"""What a worker's later message means: the pure decision, as a table (no store, no bus)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from services.router.case import Case
from services.router.decisions import (
    DECISION,
    Confirm,
    ConfirmContact,
    Decision,
    Dispute,
    FollowUp,
    Help,
    NewCase,
    Question,
    Start,
    StatusRequest,
    Stop,
    bound_cases,
    decide,
)
from shared.contracts import CaseStatus
from shared.ids import find_reference
from shared.keywords import parse

AT = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
A, B, C = "AAAAA-22222", "BBBBB-33333", "CCCCC-44444"


def case(reference: str, status: CaseStatus = "assigned", factory_id: str | None = "GZ-001") -> Case:
    """An open case of the worker, newest first in the tables below."""
    return Case(
        case_id=f"case-{reference[0].lower()}",
        grievance_id=f"case-{reference[0].lower()}",
        reference=reference,
        factory_id=factory_id,
        committee_id="gz-001-spt" if factory_id else None,
        unassigned_reason=None if factory_id else "unroutable",
        category="wages",
        severity="high",
        status=status,
        channel="sms",
        language="zh",
        text="工资没发",
        received_at=AT,
        created_at=AT,
        ack_due_at=AT,
        resolve_due_at=AT,
    )


ONE = [case(A)]
TWO = [case(A), case(B)]
RESOLVED_ONE = [case(A, "resolved"), case(B)]
RESOLVED_TWO = [case(A, "resolved"), case(B, "resolved")]
UNROUTABLE = [case(A, "unassigned", factory_id=None)]
UNROUTABLE_AND_ROUTED = [case(A, "unassigned", factory_id=None), case(B)]

# (message, open cases, factory the text names, decision)
TABLE = [
    ("NEW 加班费也没有", ONE, None, NewCase(text="加班费也没有")),
    ("新投诉", ONE, None, Help()),
    ("帮助", ONE, None, Help()),
    ("?", [], None, Help()),
    ("退订", ONE, None, Stop()),
    ("STOP", [], None, Stop()),
    ("开通", ONE, None, Start()),
    ("状态", TWO, None, StatusRequest(case_ids=("case-a", "case-b"))),
    ("状态", [], None, StatusRequest()),
    ("是", RESOLVED_ONE, None, Confirm(case_id="case-a")),
    ("ＮＯ", RESOLVED_ONE, None, Dispute(case_id="case-a")),
    ("是", RESOLVED_TWO, None, Question(references=(A, B))),
    (f"否 {B}", RESOLVED_TWO, None, Dispute(case_id="case-b")),
    (f"是 {C}", RESOLVED_TWO, None, Question(references=(A, B))),  # names no pending case
    ("是", ONE, None, FollowUp(case_id="case-a")),  # nothing pending: an ordinary message
    ("是", [], None, NewCase()),
    ("还有加班费", ONE, None, FollowUp(case_id="case-a")),
    ("还有加班费", TWO, None, Question(references=(A, B))),
    (f"关于 {B.lower().replace('-', '')}：还是没发", TWO, None, FollowUp(case_id="case-b")),
    (f"{C} 还是没发", ONE, None, FollowUp(case_id="case-a")),  # not one of theirs: the one open case
    ("老板不给工资", [], None, NewCase()),
    ("GZ001 老板不给工资", UNROUTABLE, "GZ-001", NewCase(supersedes=("case-a",))),
    ("GZ001 老板不给工资", UNROUTABLE_AND_ROUTED, "GZ-001", FollowUp(case_id="case-b")),
    ("老板不给工资", UNROUTABLE, None, FollowUp(case_id="case-a")),  # no factory named: a follow-up
    ("还有", [case(A), case(B), case(C, "unassigned", None)], "GZ-001", Question(references=(A, B))),
]


@pytest.mark.parametrize(("text", "open_cases", "factory", "expected"), TABLE)
def test_the_decision_for_a_message(
    text: str, open_cases: list[Case], factory: str | None, expected: Decision
) -> None:
    decided = decide(
        parse(text), reference=find_reference(text), open_cases=open_cases, named_factory=factory
    )
    assert decided == expected


def test_status_with_a_reference_answers_for_that_case_even_when_closed() -> None:
    closed = case(C, "closed")
    command = parse(f"STATUS {C}")
    assert decide(command, reference=C, open_cases=TWO, status_case=closed) == StatusRequest(
        case_ids=("case-c",)
    )
    # Not one of the worker's cases: nothing to report, rather than another worker's case.
    assert decide(command, reference=C, open_cases=TWO, status_case=None) == StatusRequest()


def test_status_lists_at_most_five_open_cases() -> None:
    many = [case(f"{letter * 5}-22222") for letter in "ABCDEFG"]
    decided = decide(parse("状态"), reference=None, open_cases=many)
    assert isinstance(decided, StatusRequest) and len(decided.case_ids) == 5


def test_the_factory_matters_only_when_an_open_case_has_none() -> None:
    # A factory named while every open case is routed (or none is open) changes nothing.
    assert decide(None, reference=None, open_cases=ONE, named_factory="GZ-001") == FollowUp(case_id="case-a")
    named = decide(None, reference=None, open_cases=TWO, named_factory="GZ-001")
    assert named == decide(None, reference=None, open_cases=TWO)
    assert decide(None, reference=None, open_cases=[], named_factory="GZ-001") == NewCase()


@pytest.mark.parametrize("decision", [expected for *_, expected in TABLE])
def test_a_decision_reads_back_as_it_was_recorded(decision: Decision) -> None:
    recorded = {"_id": "grievance", "at": AT, **DECISION.dump_python(decision)}
    assert DECISION.validate_python(recorded) == decision


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ({"kind": "new_case", "supersedes": ["case-a"]}, NewCase(supersedes=("case-a",))),
        ({"kind": "new_case", "text": "加班"}, NewCase(text="加班")),
        ({"kind": "status", "case_ids": []}, StatusRequest()),
        ({"kind": "message", "case_id": "case-a"}, FollowUp(case_id="case-a")),
        ({"kind": "question", "references": [A, B]}, Question(references=(A, B))),
        ({"kind": "stop"}, Stop()),
    ],
)
def test_decisions_recorded_before_they_were_typed_still_read(
    stored: dict[str, Any], expected: Decision
) -> None:
    assert DECISION.validate_python({"_id": "g", "at": AT, **stored}) == expected


def test_only_a_proven_sender_continues_the_cases_bound_to_their_identity() -> None:
    sms = case(A).model_copy(update={"reporter_key": "k"})
    confirmed_web = case(B).model_copy(update={"reporter_key": "k", "channel": "web", "contact_proven": True})
    planted = case(C).model_copy(update={"reporter_key": "k", "channel": "web", "contact_proven": False})
    stored_before = case(C).model_copy(update={"reporter_key": "k", "channel": "web"})  # no field: by channel
    everything = [sms, confirmed_web, planted, stored_before]
    assert bound_cases(everything, "k", proven=True) == [sms, confirmed_web]
    assert bound_cases(everything, "k", proven=False) == []
    assert bound_cases(everything, "other", proven=True) == []


def test_a_quoted_reference_picks_its_open_case_whoever_opened_it() -> None:
    theirs = case(C)
    assert decide(None, reference=C, open_cases=TWO, referenced=theirs) == FollowUp(case_id="case-c")
    assert decide(None, reference=C, open_cases=[], referenced=theirs) == FollowUp(case_id="case-c")
    # By its reference alone a case is never confirmed (YES joins as a message) nor reported on.
    assert decide(parse(f"是 {C}"), reference=C, open_cases=[], referenced=theirs) == FollowUp(
        case_id="case-c"
    )
    assert decide(parse(f"STATUS {C}"), reference=C, open_cases=[], referenced=theirs) == StatusRequest()


def test_the_code_alone_confirms_the_contact_it_was_sent_to() -> None:
    assert decide(None, reference=None, open_cases=ONE, confirmable=("case-x",)) == ConfirmContact(
        case_ids=("case-x",)
    )
    assert decide(parse("帮助"), reference=None, open_cases=ONE, confirmable=("case-x",)) == Help()
