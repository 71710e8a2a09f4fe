"""Where a case stands for the worker, as the deadlines and the NGO's rules have it (pure).

A worker who asks for the status must hear the truth: that an independent organisation holds or
follows the case, and that a deadline passed unmet. The router does not read the escalation
service's records; it applies the same rules escalation applies to the same case (design section 8):
an unassigned case (unroutable, conflict of interest, retaliation), retaliation, a critical case, a
disputed resolution and a missed deadline all go to the NGO.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from services.router.case import Case

Missed = Literal["acknowledge", "resolve"]


@dataclass(frozen=True)
class Progress:
    status: str
    with_ngo: bool
    overdue: Missed | None


def progress(case: Case, now: datetime) -> Progress:
    """The case's status, whether the NGO holds or follows it, and which deadline passed unmet."""
    overdue: Missed | None = None
    if case.status != "closed":
        if case.acknowledged_at is None and case.ack_due_at <= now:
            overdue = "acknowledge"
        elif case.resolved_at is None and case.resolve_due_at <= now:
            overdue = "resolve"
    with_ngo = (
        case.committee_id is None
        or case.category == "retaliation"
        or case.disputed_at is not None
        or (case.severity == "critical" and case.status != "closed")
        or overdue is not None
    )
    return Progress(case.status, with_ngo and case.status != "closed", overdue)
