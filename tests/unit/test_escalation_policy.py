"""The SLA policy and the record fold: deadlines, immediate reasons, overdue, order independence."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.escalation import policy, records
from services.escalation.records import CaseRecord
from services.escalation.texts import escalation_notice
from shared.contracts import CaseAssigned, CaseUpdated
from shared.sla import Deadlines, DueDates, SlaTable, due_dates
from tests.fakes import present
from tests.service.escalation_support import assigned, state_of, updated

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
SLA = SlaTable()


def fold(*events: CaseAssigned | CaseUpdated) -> CaseRecord:
    """The record the events add up to, in the order given."""
    doc: CaseRecord | None = None
    for event in events:
        doc = records.merge(doc, event, SLA, T0) or doc
    return present(doc, "the record (no event was given)")


@pytest.mark.parametrize(
    ("severity", "ack", "resolve"),
    [
        ("critical", timedelta(hours=2), timedelta(days=3)),
        ("high", timedelta(hours=24), timedelta(days=7)),
        ("normal", timedelta(hours=48), timedelta(days=15)),
    ],
)
def test_default_deadlines_follow_the_design_table(severity: Any, ack: Any, resolve: Any) -> None:
    assert due_dates(SLA, severity, T0) == DueDates(T0 + ack, T0 + resolve)


def test_deadlines_come_from_the_sla_settings() -> None:
    sla = SlaTable(normal=Deadlines(ack=timedelta(seconds=3), resolve=timedelta(seconds=9)))
    assert due_dates(sla, "normal", T0) == DueDates(T0 + timedelta(seconds=3), T0 + timedelta(seconds=9))
    assert due_dates(sla, "critical", T0).ack == T0 + timedelta(hours=2)


def test_a_recategorisation_without_deadlines_counts_from_the_workers_message_as_the_router_does() -> None:
    """The router starts every deadline at the worker's message; the case is created a little later."""
    case = assigned(T0 + timedelta(minutes=5), received_at=T0, severity="normal")
    doc = fold(case, updated(case, "recategorised", T0 + timedelta(hours=1), severity="critical"))
    assert state_of(doc).ack_due_at == due_dates(SLA, "critical", T0).ack == T0 + timedelta(hours=2)


def test_a_fresh_case_is_watched_for_both_deadlines_and_escalates_nothing() -> None:
    case = assigned(T0)
    doc = fold(case)
    assert doc.escalated == ()
    assert doc.pending.ack == case.ack_due_at
    assert doc.pending.resolve == case.resolve_due_at
    state = doc.fold(SLA)
    assert policy.overdue_reasons(state, [], case.ack_due_at - timedelta(seconds=1)) == set()
    assert policy.overdue_reasons(state, [], case.ack_due_at) == {"ack_overdue"}
    assert policy.overdue_reasons(state, [], case.resolve_due_at) == {"ack_overdue", "resolution_overdue"}


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"severity": "critical", "category": "health_safety"}, "critical"),
        (
            {"category": "retaliation", "committee_id": None, "unassigned_reason": "retaliation"},
            "retaliation",
        ),
        ({"committee_id": None, "unassigned_reason": "conflict_of_interest"}, "conflict_of_interest"),
        ({"factory_id": None, "committee_id": None, "unassigned_reason": "unroutable"}, "unroutable"),
    ],
)
def test_immediate_reasons_at_assignment(kwargs: Any, reason: Any) -> None:
    doc = fold(assigned(T0, **kwargs))
    assert doc.escalated == (reason,)


def test_a_case_the_ngo_holds_has_no_committee_deadlines() -> None:
    doc = fold(assigned(T0, committee_id=None, unassigned_reason="unroutable", factory_id=None))
    assert doc.pending.ack is None and doc.pending.resolve is None


def test_a_dispute_escalates() -> None:
    case = assigned(T0)
    doc = fold(
        case,
        updated(case, "resolved", T0 + timedelta(hours=1)),
        updated(case, "disputed", T0 + timedelta(hours=2)),
    )
    assert doc.escalated == ("disputed",)
    # Disputed means not resolved any more: the resolution deadline is watched again.
    assert doc.pending.resolve == case.resolve_due_at


def test_a_recusal_that_leaves_no_committee_is_a_conflict_of_interest() -> None:
    case = assigned(T0)
    doc = fold(
        case, updated(case, "recused", T0 + timedelta(hours=1), committee_id=None, status="unassigned")
    )
    assert doc.escalated == ("conflict_of_interest",)


@pytest.mark.parametrize(
    ("note", "reason"),
    [
        ("unroutable", "unroutable"),
        ("conflict_of_interest", "conflict_of_interest"),
        (None, "conflict_of_interest"),
    ],
)
def test_a_case_the_system_moved_to_the_ngo_escalates_for_the_reason_the_router_gives(
    note: Any, reason: Any
) -> None:
    """A retired committee with no other one for the category: the NGO is told it is unroutable."""
    case = assigned(T0)
    move = updated(
        case,
        "recused",
        T0 + timedelta(hours=1),
        committee_id=None,
        status="unassigned",
        actor_role="system",
        note=note,
    )
    assert fold(case, move).escalated == (reason,)


def test_a_system_move_to_another_committee_escalates_nothing() -> None:
    case = assigned(T0)
    move = updated(
        case,
        "recused",
        T0 + timedelta(hours=1),
        committee_id="gz-001-spt",
        status="assigned",
        actor_role="system",
        note="committee_retired",
    )
    doc = fold(case, move)
    assert doc.escalated == () and state_of(doc).committee_id == "gz-001-spt"


def test_a_resolved_critical_case_that_arrives_late_does_not_escalate_as_critical() -> None:
    case = assigned(T0, severity="critical", category="health_safety")
    doc = fold(updated(case, "resolved", T0 + timedelta(minutes=30)), case)
    assert "critical" not in doc.escalated


def test_acknowledgement_and_resolution_stop_the_watch() -> None:
    case = assigned(T0)
    doc = fold(case, updated(case, "acknowledged", T0 + timedelta(hours=1)))
    assert doc.pending.ack is None and doc.pending.resolve == case.resolve_due_at
    doc = fold(
        case,
        updated(case, "acknowledged", T0 + timedelta(hours=1)),
        updated(case, "resolved", T0 + timedelta(days=1)),
    )
    assert doc.pending.ack is None and doc.pending.resolve is None
    assert state_of(doc).resolved_at == T0 + timedelta(days=1)


def test_recategorisation_moves_the_deadlines_to_the_new_severity() -> None:
    case = assigned(T0, severity="normal")
    later = T0 + timedelta(hours=1)
    # Without deadlines in the event, they follow the SLA of the new severity from the case's creation.
    doc = fold(case, updated(case, "recategorised", later, category="health_safety", severity="high"))
    assert state_of(doc).severity == "high"
    assert doc.pending.ack == T0 + timedelta(hours=24)
    assert doc.pending.resolve == T0 + timedelta(days=7)
    # Deadlines the router sends win.
    ack, resolve = T0 + timedelta(hours=3), T0 + timedelta(days=2)
    doc = fold(
        case, updated(case, "recategorised", later, severity="high", ack_due_at=ack, resolve_due_at=resolve)
    )
    assert (doc.pending.ack, doc.pending.resolve) == (ack, resolve)
    # Recategorised to critical while still open: escalated at once.
    doc = fold(case, updated(case, "recategorised", later, category="health_safety", severity="critical"))
    assert doc.escalated == ("critical",)


def test_a_case_recategorised_as_retaliation_is_no_longer_the_committees_to_acknowledge() -> None:
    """The router takes it from the factory's committee; the NGO holds it, with no committee deadline
    left to miss (an ack_overdue escalated a day later before)."""
    case = assigned(T0, severity="normal")
    doc = fold(
        case,
        updated(
            case, "recategorised", T0 + timedelta(hours=1), status="unassigned",
            category="retaliation", severity="high", committee_id=None,
        ),
    )  # fmt: skip
    assert state_of(doc).committee_id is None
    assert (doc.pending.ack, doc.pending.resolve) == (None, None)
    assert "retaliation" in doc.escalated
    assert "ack_overdue" not in policy.overdue_reasons(doc.fold(SLA), doc.escalated, T0 + timedelta(days=3))


def test_the_fold_does_not_depend_on_arrival_order() -> None:
    case = assigned(T0)
    events = [
        updated(case, "acknowledged", T0 + timedelta(hours=1)),
        updated(case, "replied", T0 + timedelta(hours=2)),
        updated(case, "resolved", T0 + timedelta(days=1)),
        updated(case, "disputed", T0 + timedelta(days=2)),
        updated(case, "reopened", T0 + timedelta(days=2, hours=1)),
    ]
    results = set()
    story: list[CaseAssigned | CaseUpdated] = [case, *events]
    for order in itertools.permutations(story):
        doc = fold(*order)
        results.add(
            (
                state_of(doc).status,
                state_of(doc).acknowledged_at,
                state_of(doc).resolved_at,
                doc.escalated,
                doc.pending.ack,
                doc.pending.resolve,
            )
        )
    assert results == {("reopened", T0 + timedelta(hours=1), None, ("disputed",), None, case.resolve_due_at)}


def test_an_older_update_never_overrides_a_newer_state() -> None:
    case = assigned(T0)
    resolved = updated(case, "resolved", T0 + timedelta(days=1))
    acked = updated(case, "acknowledged", T0 + timedelta(hours=1))
    doc = fold(case, resolved, acked)
    assert state_of(doc).status == "resolved" and state_of(doc).acknowledged_at == T0 + timedelta(hours=1)


def test_the_same_event_twice_changes_nothing() -> None:
    case = assigned(T0)
    ack = updated(case, "acknowledged", T0 + timedelta(hours=1))
    doc = fold(case, ack)
    assert records.merge(doc, ack, SLA, T0) is None
    assert records.merge(doc, case, SLA, T0) is None


def test_missed_deadlines_for_the_snapshot() -> None:
    case = assigned(T0)
    state = fold(case).fold(SLA)
    missed = policy.missed_deadlines(state, case.resolve_due_at)
    assert [m.deadline for m in missed] == ["acknowledge", "resolve"]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_notice_names_the_reference_and_the_monitor(language: str) -> None:
    text = escalation_notice(language, "ABCDE-FGHJK", "ack_overdue")
    assert "ABCDE-FGHJK" in text
    if language == "zh":
        assert "独立监督机构" in text
    else:
        assert text.startswith("An independent monitor now follows case ABCDE-FGHJK.")
