"""What the router tells the committee holding a case after each update (pure)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from services.router.notices import notice_for
from shared.contracts import CaseUpdated
from tests.fakes import FakeClock
from tests.service.escalation_support import assigned, updated

NOW = FakeClock().now
CASE = assigned(NOW)


def update(action: str, status: str, **extra: Any) -> CaseUpdated:
    return updated(
        CASE,
        action,
        NOW + timedelta(hours=1),
        status=status,
        category="wages",
        ack_due_at=CASE.ack_due_at,
        resolve_due_at=CASE.resolve_due_at,
        committee_id="gz-001-spt",
        **extra,
    )


@pytest.mark.parametrize(
    ("action", "status", "expected"),
    [
        ("worker_replied", "assigned", ("worker_message", CASE.ack_due_at)),
        ("worker_replied", "acknowledged", ("worker_message", CASE.resolve_due_at)),
        ("worker_replied", "reopened", ("worker_message", CASE.resolve_due_at)),
        ("worker_replied", "closed", None),
        ("transferred", "assigned", ("case_assigned", CASE.ack_due_at)),
        ("recused", "assigned", ("case_assigned", CASE.ack_due_at)),
        ("replied", "acknowledged", None),
        ("acknowledged", "acknowledged", None),
        ("recategorised", "assigned", None),
    ],
)
def test_the_committee_is_told_of_workers_messages_and_cases_handed_to_it(
    action: Any, status: Any, expected: Any
) -> None:
    assert notice_for(update(action, status)) == expected


def test_a_case_without_a_committee_tells_no_committee() -> None:
    event = updated(
        CASE,
        "worker_replied",
        NOW,
        status="unassigned",
        committee_id=None,
        category="wages",
        ack_due_at=CASE.ack_due_at,
        resolve_due_at=CASE.resolve_due_at,
    )
    assert notice_for(event) is None
