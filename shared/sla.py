"""The SLA: how long a committee has to acknowledge and to resolve a case, by severity (design §8).

One module for both sides of the clock: the router stamps a case's deadlines when it creates or
recategorises the case, and escalation recomputes them when a recategorisation arrives without them.
Both must agree to the millisecond, so both call :func:`due_dates`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from shared import durations
from shared.contracts import Severity

# ISO 8601 (PT48H), plain seconds, or written out (48 h, 2 days): see shared.durations.
Duration = Annotated[timedelta, BeforeValidator(durations.parse)]


class Deadlines(BaseModel):
    """How long a committee has to acknowledge and to resolve a case of one severity.

    Both are longer than zero and ``resolve`` is longer than ``ack``: a deadline of ``-2 days`` or
    ``0 s`` would escalate every case on arrival, and a resolution due before its acknowledgement
    cannot be met. Refused when the settings are read, so a service does not start with them; the
    errors are kinds that :func:`shared.validation.sentence` says in plain words.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    ack: Duration
    resolve: Duration

    @field_validator("ack", "resolve")
    @classmethod
    def _longer_than_zero(cls, value: timedelta, info: ValidationInfo) -> timedelta:
        if value <= timedelta(0):
            example = "48 h" if info.field_name == "ack" else "15 days"
            raise PydanticCustomError("duration_not_positive", "must be longer than 0", {"example": example})
        return value

    @model_validator(mode="after")
    def _resolve_after_ack(self) -> Deadlines:
        if self.resolve <= self.ack:
            raise PydanticCustomError(
                "deadline_order",
                "resolve must be longer than ack",
                {
                    "later": "resolve",
                    "later_is": durations.human(self.resolve),
                    "earlier": "ack",
                    "earlier_is": durations.human(self.ack),
                },
            )
        return self


class SlaTable(BaseModel):
    """Deadlines per severity; durations in the environment as shared.durations reads them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    critical: Deadlines = Deadlines(ack=timedelta(hours=2), resolve=timedelta(days=3))
    high: Deadlines = Deadlines(ack=timedelta(hours=24), resolve=timedelta(days=7))
    normal: Deadlines = Deadlines(ack=timedelta(hours=48), resolve=timedelta(days=15))

    def for_severity(self, severity: Severity) -> Deadlines:
        deadlines: Deadlines = getattr(self, severity)
        return deadlines


@dataclass(frozen=True)
class DueDates:
    ack: datetime
    resolve: datetime


def due_dates(sla: SlaTable, severity: Severity, start: datetime) -> DueDates:
    """When a case of ``severity`` that started at ``start`` (its receipt) must be acknowledged and
    resolved."""
    deadlines = sla.for_severity(severity)
    return DueDates(ack=start + deadlines.ack, resolve=start + deadlines.resolve)
