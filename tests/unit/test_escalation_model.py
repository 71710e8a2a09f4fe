"""The escalation's own rules: one id per (case, reason), its view of the case, its transitions."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.escalation.escalations import (
    OUTBOX_LEASE,
    EscalationResolved,
    case_view,
    escalation_id,
    events_for,
    open_escalation,
)
from services.escalation.records import CaseRecord, merge
from shared.contracts import CaseAssigned, CaseEscalated, CaseUpdated, MessageOutbound, NamedMember
from shared.privacy import Keys
from shared.sla import SlaTable
from tests.fakes import present
from tests.service.escalation_support import assigned, updated

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
SLA = SlaTable()


def fold(*events: CaseAssigned | CaseUpdated) -> CaseRecord:
    """The record the events add up to, in the order given."""
    record: CaseRecord | None = None
    for event in events:
        record = merge(record, event, SLA, T0) or record
    return present(record, "the record (no event was given)")


def test_an_escalation_is_opened_with_a_lease_and_a_view_of_its_record() -> None:
    case = assigned(T0, severity="critical", category="health_safety")
    record = fold(case)
    now = T0 + timedelta(minutes=1, microseconds=1234)
    escalation = open_escalation(record, "critical", now, SLA)
    assert (
        escalation.id
        == escalation_id(case.case_id, "critical")
        == open_escalation(record, "critical", T0, SLA).id
    )
    # Milliseconds, as the store keeps them.
    assert escalation.created_at == T0 + timedelta(minutes=1, milliseconds=1)
    assert escalation.outbox == "pending" and escalation.outbox_due_at == escalation.created_at + OUTBOX_LEASE
    assert (escalation.factory_id, escalation.text, escalation.case_created_at) == ("GZ-001", case.text, T0)
    assert escalation.case.record_version == record.version and escalation.case.severity == "critical"


def test_a_view_follows_a_newer_record_until_the_escalation_is_resolved() -> None:
    case = assigned(T0, severity="critical", category="health_safety")
    record = fold(case)
    escalation = open_escalation(record, "critical", T0, SLA)
    newer = replace(fold(case, updated(case, "acknowledged", T0 + timedelta(hours=1))), version=1)
    assert not escalation.follows(record) and escalation.follows(newer)
    assert not case_view(newer, T0, SLA).shows_the_same(escalation.case)
    assert case_view(replace(record, version=7), T0, SLA).shows_the_same(escalation.case)
    assert not escalation.resolve("handled", "ngo", T0).follows(newer)


def test_acknowledge_then_resolve_and_the_same_resolution_again() -> None:
    escalation = open_escalation(fold(assigned(T0, severity="critical")), "critical", T0, SLA)
    at = T0 + timedelta(hours=1)
    acknowledged = escalation.acknowledge("ngo-1", at)
    assert (acknowledged.status, acknowledged.acknowledged_at, acknowledged.acknowledged_by) == (
        "acknowledged",
        at,
        "ngo-1",
    )
    assert acknowledged.acknowledge("ngo-2", at + timedelta(hours=1)) is acknowledged
    resolved = acknowledged.resolve("handled", "ngo-2", at + timedelta(hours=2))
    assert (resolved.status, resolved.resolved_by, resolved.acknowledged_at) == ("resolved", "ngo-2", at)
    assert resolved.resolve("handled", "ngo-3", at + timedelta(hours=3)) is resolved
    with pytest.raises(EscalationResolved):
        resolved.resolve("another note", "ngo-3", at)
    with pytest.raises(EscalationResolved):
        resolved.acknowledge("ngo-3", at)


def test_resolving_an_unacknowledged_escalation_acknowledges_it_too() -> None:
    escalation = open_escalation(fold(assigned(T0, severity="critical")), "critical", T0, SLA)
    resolved = escalation.resolve("handled", "ngo-1", T0 + timedelta(hours=1))
    assert resolved.acknowledged_at == resolved.resolved_at == T0 + timedelta(hours=1)
    assert resolved.acknowledged_by is None


def test_only_an_open_unroutable_escalation_is_settled_by_a_reroute() -> None:
    lost = fold(assigned(T0, factory_id=None, committee_id=None, unassigned_reason="unroutable"))
    escalation = open_escalation(lost, "unroutable", T0, SLA)
    settled = escalation.settle_rerouted(T0 + timedelta(minutes=5))
    assert settled is not None and (settled.status, settled.resolved_by) == ("resolved", "system")
    assert settled.acknowledged_at is None
    assert settled.settle_rerouted(T0 + timedelta(minutes=6)) is None
    critical = open_escalation(fold(assigned(T0, severity="critical")), "critical", T0, SLA)
    assert critical.settle_rerouted(T0) is None


def test_the_notice_goes_only_where_the_worker_can_be_reached(keys: Keys) -> None:
    reachable = fold(assigned(T0, keys=keys))
    escalation = open_escalation(reachable, "ack_overdue", T0, SLA)
    escalated, notice = events_for(escalation, reachable)
    assert isinstance(escalated, CaseEscalated) and isinstance(notice, MessageOutbound)
    assert notice.sealed_contact == present(reachable.reply_to).sealed_contact and notice.language == "zh"
    # The same escalation always publishes the same event ids, so a retried publish repeats them.
    assert [e.id for e in events_for(escalation, reachable)] == [escalated.id, notice.id]
    assert [type(e) for e in events_for(escalation, None)] == [CaseEscalated]


@pytest.mark.parametrize("confirmation_first", [False, True])
def test_a_web_contact_confirmed_later_is_where_notices_go_in_either_order(confirmation_first: bool) -> None:
    opened = assigned(T0, phone=None, severity="critical").model_copy(update={"channel": "web"})
    confirmed = updated(
        opened, "contact_confirmed", T0 + timedelta(minutes=5), status="assigned", sealed_contact="sealed"
    )
    events = (confirmed, opened) if confirmation_first else (opened, confirmed)
    assert present(fold(opened).reply_to).sealed_contact is None  # unproven: escalation holds no contact
    record = fold(*events)
    assert present(record.reply_to).sealed_contact == "sealed" and present(record.reply_to).channel == "web"
    # The router's acknowledgement on confirmation said that the monitor follows a critical case;
    # a missed deadline is news, and its notice goes to the confirmed number.
    _, notice = events_for(open_escalation(record, "resolution_overdue", T0, SLA), record)
    assert isinstance(notice, MessageOutbound) and notice.sealed_contact == "sealed"
    # An ordinary update carries no contact and takes none away.
    later = fold(*events, updated(opened, "acknowledged", T0 + timedelta(minutes=9)))
    assert present(later.reply_to).sealed_contact == "sealed"


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"severity": "critical"}, "critical"),
        ({"committee_id": None, "unassigned_reason": "unroutable", "factory_id": None}, "unroutable"),
        ({"committee_id": None, "unassigned_reason": "conflict_of_interest"}, "conflict_of_interest"),
        (
            {"category": "retaliation", "committee_id": None, "unassigned_reason": "retaliation"},
            "retaliation",
        ),
        ({}, "disputed"),
    ],
)
def test_what_the_routers_own_text_told_gets_no_notice(keys: Keys, kwargs: Any, reason: Any) -> None:
    record = fold(assigned(T0, keys=keys, **kwargs))
    assert [type(e) for e in events_for(open_escalation(record, reason, T0, SLA), record)] == [CaseEscalated]


def test_the_members_found_named_show_once_each_whatever_order_their_events_came_in() -> None:
    kept = NamedMember(committee_id="gz-001-spt", member="王芳", role="management", rule="pinyin")
    left = NamedMember(committee_id="gz-001-women", member="刘洋", rule="folded")
    case = assigned(T0, category="harassment_abuse", committee_id="gz-001-women", conflicts=(kept,))
    moved = updated(
        case,
        "recused",
        T0 + timedelta(hours=1),
        status="unassigned",
        actor_role="system",
        committee_id=None,
        note="conflict_of_interest",
        conflicts=(left, kept),
    )
    # A note on any other update is not a record of a name (only a recusal carries one).
    noise = updated(case, "acknowledged", T0 + timedelta(minutes=5), conflicts=(left,))
    orders: list[list[CaseAssigned | CaseUpdated]] = [[case, noise, moved], [moved, noise, case]]
    for events in orders:
        record = fold(*events)
        assert record.conflicts == (kept, left)
        escalation = open_escalation(record, "conflict_of_interest", T0 + timedelta(hours=2), SLA)
        assert escalation.case.conflicts == (kept, left)
    assert fold(case, noise).conflicts == (kept,)


@pytest.mark.parametrize("withdrawal_first", [False, True])
def test_a_withdrawn_contact_is_forgotten_in_either_order(keys: Keys, withdrawal_first: bool) -> None:
    """A WeChat unfollow: escalation forgets its copy of the contact, even when case.assigned comes
    after the withdrawal, and the escalation goes on without a notice to the worker."""
    opened = assigned(T0, keys=keys).model_copy(update={"channel": "wechat"})
    withdrawn = updated(opened, "contact_withdrawn", T0 + timedelta(minutes=5), status="assigned")
    reachable = fold(opened)
    assert present(reachable.reply_to).sealed_contact is not None
    told = events_for(open_escalation(reachable, "ack_overdue", T0, SLA), reachable)
    assert [type(e) for e in told] == [CaseEscalated, MessageOutbound]  # before: the worker is told
    record = fold(*((withdrawn, opened) if withdrawal_first else (opened, withdrawn)))
    assert present(record.reply_to).sealed_contact is None and present(record.reply_to).channel == "wechat"
    assert [type(e) for e in events_for(open_escalation(record, "ack_overdue", T0, SLA), record)] == [
        CaseEscalated
    ]
