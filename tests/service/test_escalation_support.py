"""Builders for the router's events as the escalation service receives them (imported by its tests)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from shared.contracts import CaseAssigned, CaseUpdated
from shared.ids import reference_for
from shared.privacy import Keys, seal
from shared.settings import SlaTable
from tests.fakes import WORKER_PHONE, sensitive

LOCKED_EXIT_TEXT = sensitive("晚上安全出口被锁，工厂着火怎么办")
WAGES_TEXT = sensitive("My wages for March were not paid at all")


def assigned(
    now: datetime,
    *,
    keys: Keys | None = None,
    phone: str | None = WORKER_PHONE,
    severity: str = "normal",
    category: str = "wages",
    language: str = "zh",
    text: str = WAGES_TEXT,
    factory_id: str | None = "GZ-001",
    committee_id: str | None = "gz-001-spt",
    unassigned_reason: str | None = None,
    sla: SlaTable | None = None,
    grievance_id: uuid.UUID | None = None,
    **extra: Any,
) -> CaseAssigned:
    """A ``case.assigned`` with deadlines from ``sla`` (the default table) counted from ``now``."""
    gid = grievance_id or uuid.uuid4()
    deadlines = (sla or SlaTable()).for_severity(severity)  # type: ignore[arg-type]
    return CaseAssigned(
        correlation_id=gid,
        occurred_at=now,
        case_id=str(gid),
        reference=reference_for(gid),
        factory_id=factory_id,
        committee_id=committee_id,
        unassigned_reason=unassigned_reason,
        category=category,
        severity=severity,
        ack_due_at=now + deadlines.ack,
        resolve_due_at=now + deadlines.resolve,
        channel="sms",
        language=language,
        text=text,
        sealed_contact=seal(keys, phone) if keys and phone else None,
        gateway_number="+8610690000001" if keys and phone else None,
        created_at=now,
        **extra,
    )


def updated(
    case: CaseAssigned, action: str, at: datetime, *, status: str | None = None, **extra: Any
) -> CaseUpdated:
    """A ``case.updated`` for ``case``; ``status`` defaults to the action's past participle."""
    actor = "worker" if action in ("worker_replied", "confirmed", "disputed") else "committee"
    return CaseUpdated(
        correlation_id=case.correlation_id,
        occurred_at=at + timedelta(milliseconds=5),
        case_id=case.case_id,
        reference=case.reference,
        action=action,
        actor_role=extra.pop("actor_role", actor),
        at=at,
        status=status or action,
        **extra,
    )
