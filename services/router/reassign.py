"""Moving a case away from a committee that may no longer hold it, by the assignment rules.

Two things take a case from its committee without the committee asking: the registry retires the
committee, or a member joins it whom the worker's messages may name. Either way the case goes to
another active committee of the factory that handles its category and is not named, else to the
NGO (:meth:`~services.router.case.Case.move_away` decides; this module reads what the decision
needs and writes it). Anything that finds such a conflict later (a registry reload, a follow-up
message) calls :func:`move_away` with the committee and the cause.

The move and its events are one write (the case outbox). With a bus the events are published at
once; without one (``grievance registry load`` straight against MongoDB) or when the broker does
not confirm, they wait in the outbox and the router's periodic pass publishes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import structlog

from services.router.assign import CommitteeInfo
from services.router.case import Case, MoveCause
from services.router.case_store import CaseStore
from services.router.names import named_members
from services.router.outbox import Outbox
from services.router.registry_store import RegistryStore
from shared.messaging import Bus, PublishError
from shared.runtime import Clock
from shared.store import to_ms

log = structlog.get_logger(__name__)


def names_member_of(case: Case, committee: CommitteeInfo) -> bool:
    """Whether anything the worker wrote on the case may name a member of ``committee``."""
    return bool(named_members(case.worker_text(), {committee.id: committee.people()}))


@dataclass(frozen=True)
class Reassignment:
    """The case after :func:`move_away`; ``changed`` False when it had left the committee already,
    ``published`` False when its events wait in the outbox."""

    case: Case
    changed: bool
    published: bool


async def move_away(
    case_id: str,
    from_committee: str,
    cause: MoveCause,
    *,
    cases: CaseStore,
    registry: RegistryStore,
    bus: Bus | None,
    clock: Clock,
) -> Reassignment:
    """Move the case away from ``from_committee`` (nothing when it no longer holds it).

    Every committee of the factory is read afresh, so a committee retired or joined a moment ago is
    seen as it is now; a retired one is inactive and so never chosen again. Raises
    :class:`~services.router.errors.CaseNotFound` and
    :class:`~services.router.errors.ChangedConcurrently` as :meth:`CaseStore.mutate` does.
    """
    case = await cases.by_id(case_id)
    factory = case.factory_id if case is not None else None
    committees = await registry.committees_of(factory) if factory else []
    counts = await cases.open_case_counts([c.id for c in committees])
    change = partial(
        Case.move_away,
        from_committee=from_committee,
        cause=cause,
        committees=committees,
        open_cases=counts,
        now=to_ms(clock()),
    )
    published = bus is not None
    if bus is None:
        saved = await cases.mutate(case_id, change)
        after, changed = saved.case, saved.changed
    else:
        try:
            saved = await Outbox(cases, bus).apply(case_id, change)
            after, changed = saved.case, saved.changed
        except PublishError:
            # The move is durable; its events wait in the outbox for the periodic pass.
            published = False
            found = await cases.by_id(case_id)
            assert found is not None  # it was just written
            after, changed = found, found.committee_id != from_committee
    if changed:
        log.info(
            "case_moved",
            case_id=case_id,
            cause=cause,
            from_committee=from_committee,
            committee_id=after.committee_id,
            unassigned_reason=after.unassigned_reason,
        )
    return Reassignment(after, changed, published)
