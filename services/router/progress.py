"""Where a case stands for the worker, as the deadlines and the NGO's rules have it (pure).

A worker who asks for the status must hear the truth: that an independent organisation holds or
follows the case, and that a deadline passed unmet. The router does not read the escalation
service's records; it applies the same rules escalation applies to the same case (design section 8):
an unassigned case (unroutable, conflict of interest, retaliation), retaliation, a critical case, a
disputed resolution and a missed deadline (met late or not at all) all go to the NGO.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict

from shared.contracts import Category, Severity

Missed = Literal["acknowledge", "resolve"]


@dataclass(frozen=True)
class Progress:
    status: str
    with_ngo: bool
    overdue: Missed | None


class Facts(Protocol):
    """What :func:`progress` reads of a case (a ``Case`` or the status page's :class:`StatusFacts`)."""

    @property
    def status(self) -> str: ...
    @property
    def committee_id(self) -> str | None: ...
    @property
    def category(self) -> Category: ...
    @property
    def severity(self) -> Severity: ...
    @property
    def ack_due_at(self) -> datetime: ...
    @property
    def resolve_due_at(self) -> datetime: ...
    @property
    def acknowledged_at(self) -> datetime | None: ...
    @property
    def resolved_at(self) -> datetime | None: ...
    @property
    def disputed_at(self) -> datetime | None: ...


class StatusFacts(BaseModel):
    """The few fields of a case the public status lookup reads: the same small document whatever
    the case holds (its thread, its timeline), so the time a lookup takes does not depend on it."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    reference: str
    original_reference: str | None = None
    case_id: str | None = None  # the case page's session names the case by it
    pin_hash: str | None = None
    factory_id: str | None = None
    committee_id: str | None = None
    category: Category
    severity: Severity
    status: str
    ack_due_at: AwareDatetime
    resolve_due_at: AwareDatetime
    acknowledged_at: AwareDatetime | None = None
    resolved_at: AwareDatetime | None = None
    disputed_at: AwareDatetime | None = None


STATUS_FIELDS = tuple(StatusFacts.model_fields)


def progress(case: Facts, now: datetime) -> Progress:
    """The case's status, whether the NGO holds or follows it, and which deadline passed unmet."""
    overdue: Missed | None = None
    if case.status != "closed":
        if case.acknowledged_at is None and case.ack_due_at <= now:
            overdue = "acknowledge"
        elif case.resolved_at is None and case.resolve_due_at <= now:
            overdue = "resolve"
    # A deadline met late was escalated all the same, and the NGO follows the case from then on.
    late = (case.acknowledged_at is not None and case.acknowledged_at > case.ack_due_at) or (
        case.resolved_at is not None and case.resolved_at > case.resolve_due_at
    )
    with_ngo = (
        case.committee_id is None
        or case.category == "retaliation"
        or case.disputed_at is not None
        or (case.severity == "critical" and case.status != "closed")
        or overdue is not None
        or late
    )
    return Progress(case.status, with_ngo and case.status != "closed", overdue)
