"""What a committee does to its case: acknowledge, reply, resolve, recuse, recategorise (sections 7, 8).

Each action draws its action id and time here, lets the case decide (:class:`~services.router.case.Case`
raises a domain error for a refused transition), and goes through the outbox: the state change and
its events are one conditional write, then the events are published. If publishing fails the caller
answers 503; the change is durable and its events wait in the outbox, so the retried request finds
the action done, publishes what waits and succeeds. Domain errors are translated to HTTP once, in
:mod:`services.router.api`.
"""

from __future__ import annotations

import uuid
from functools import partial

from services.router.case import Case, event_id
from services.router.case_store import CaseStore
from services.router.outbox import Outbox
from services.router.registry_store import RegistryStore
from shared.contracts import Category, Severity
from shared.runtime import Clock
from shared.sla import SlaTable
from shared.store import to_ms


def _new_action_id() -> str:
    return uuid.uuid4().hex


async def acknowledge(
    outbox: Outbox, clock: Clock, case_id: str, committee_id: str, *, reach_worker: bool
) -> Case:
    """Acknowledge once; a second call changes nothing (it only publishes what is still pending)."""
    change = partial(
        Case.acknowledge,
        by=committee_id,
        action_id=_new_action_id(),
        now=to_ms(clock()),
        reach_worker=reach_worker,
    )
    return (await outbox.apply(case_id, change)).case


def message_id(case_id: str, idempotency_key: str | None) -> str:
    """The id of a committee message: derived from the client's idempotency key, or new."""
    return event_id(case_id, "message", idempotency_key).hex if idempotency_key else _new_action_id()


async def reply(
    outbox: Outbox,
    clock: Clock,
    case_id: str,
    committee_id: str,
    text: str,
    *,
    message: str,
    reach_worker: bool,
) -> Case:
    """Add a committee message and relay it to the worker; the same message id adds it once."""
    change = partial(
        Case.reply,
        by=committee_id,
        message_id=message,
        text=text,
        now=to_ms(clock()),
        reach_worker=reach_worker,
    )
    return (await outbox.apply(case_id, change)).case


async def resolve(
    outbox: Outbox, clock: Clock, case_id: str, committee_id: str, resolution: str, *, reach_worker: bool
) -> Case:
    """Propose a resolution and ask the worker to confirm it; repeating the same one is a no-op."""
    change = partial(
        Case.resolve,
        by=committee_id,
        action_id=_new_action_id(),
        resolution=resolution,
        now=to_ms(clock()),
        reach_worker=reach_worker,
    )
    return (await outbox.apply(case_id, change)).case


async def recuse(
    outbox: Outbox,
    cases: CaseStore,
    registry: RegistryStore,
    clock: Clock,
    case: Case,
    committee_id: str,
    reason: str,
) -> Case:
    """Hand the case to another eligible committee of the factory, or leave it to the NGO."""
    committees = await registry.committees_of(case.factory_id) if case.factory_id else []
    counts = await cases.open_case_counts([c.id for c in committees])
    change = partial(
        Case.recuse,
        by=committee_id,
        reason=reason,
        committees=committees,
        open_cases=counts,
        action_id=_new_action_id(),
        now=to_ms(clock()),
    )
    return (await outbox.apply(case.case_id, change)).case


async def recategorise(
    outbox: Outbox,
    clock: Clock,
    sla: SlaTable,
    case_id: str,
    committee_id: str,
    category: Category,
    severity: Severity | None,
) -> Case:
    """Correct category and severity; the deadlines follow (a retaliation case leaves the committee)."""
    change = partial(
        Case.recategorise,
        by=committee_id,
        category=category,
        severity=severity,
        sla=sla,
        action_id=_new_action_id(),
        now=to_ms(clock()),
    )
    return (await outbox.apply(case_id, change)).case
