"""What the NGO can do to an escalation and its case, once for the API and the console (design 7).

The NGO API (:mod:`services.escalation.api`) and the NGO console (:mod:`services.escalation.console`)
both call these operations, so a transfer chosen in the browser and one posted with curl take the
same path: the same scope check, the same transition of the escalation, the same request of
:mod:`services.escalation.requests` published for the router. Errors are domain errors
(:class:`~services.escalation.escalations.EscalationResolved`, :class:`ChangedMeanwhile`,
:class:`~services.escalation.requests.Refused`, :class:`~shared.messaging.PublishError`); each edge
translates them once, to problem+json or to a sentence on the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import structlog

from services.escalation import requests, store
from services.escalation.escalations import Escalation, EscalationResolved
from services.escalation.records import CaseRecord
from services.escalation.store import EscalationQuery
from shared.auth import Principal
from shared.contracts import Event
from shared.messaging import Bus
from shared.runtime import Clock, Runtime
from shared.store import Database

log = structlog.get_logger(__name__)

# More escalations than one case can have (one per reason): a lookup by reference reads them all.
_PER_CASE = 50


class ChangedMeanwhile(Exception):
    """The escalation moved on between reading it and writing the change (another note resolved it)."""


@dataclass(frozen=True)
class NgoDesk:
    """The NGO's operations on escalation's store, the bus and the clock the service runs on."""

    db: Database
    bus: Bus
    clock: Clock

    @classmethod
    def of(cls, runtime: Runtime) -> NgoDesk:
        return cls(runtime.db, runtime.bus, runtime.clock)

    async def visible(self, principal: Principal, escalation_id: str) -> Escalation | None:
        """The escalation when the caller's scope covers its factory; None for an unknown one alike."""
        escalation = await store.get_escalation(self.db, escalation_id)
        if escalation is None or not principal.sees_factory(escalation.factory_id):
            return None
        return escalation

    async def case_escalations(self, principal: Principal, reference: str) -> list[Escalation]:
        """Every escalation of the case with this reference the caller may see, oldest first."""
        factories = None if principal.factories is None else tuple(principal.factories)
        found, _ = await store.list_escalations(
            self.db, EscalationQuery(reference=reference, factories=factories), 0, _PER_CASE
        )
        visible = [e for e in found if principal.sees_factory(e.factory_id)]
        return sorted(visible, key=lambda e: (e.created_at, e.id))

    async def references_for_code(self, principal: Principal, code: str) -> list[str]:
        """The references of the escalated cases the caller may see that a six-character code fits."""
        return await store.references_with_code(self.db, code, principal.factories)

    async def case_record(self, escalation: Escalation) -> CaseRecord | None:
        """The case's record as it is now: the live state beside the escalation's snapshot."""
        return await store.load_record(self.db, escalation.case_id)

    async def committees_seen(self, factory_id: str | None) -> list[str]:
        """The committees of the factory escalation has seen hold or be passed over for a case.

        Escalation keeps no registry (the router owns it), so this is what its own records know; the
        router checks a transfer against the registry whatever is offered.
        """
        if factory_id is None:
            return []
        return await store.committees_of_factory(self.db, factory_id)

    async def acknowledge(self, escalation: Escalation, by: str) -> Escalation:
        """Open -> acknowledged; the escalation itself when it is already; resolved: refused."""
        acknowledged = escalation.acknowledge(by, self.clock())
        if acknowledged is escalation:
            return escalation
        stored = await store.transition(self.db, acknowledged)
        if stored is None:
            raise EscalationResolved(escalation.id)  # resolved in the meantime
        return stored

    async def resolve(self, escalation: Escalation, note: str, by: str) -> Escalation:
        """Open or acknowledged -> resolved with ``note``; the same note again changes nothing."""
        resolved = escalation.resolve(note, by, self.clock())
        if resolved is escalation:
            return escalation
        stored = await store.transition(self.db, resolved)
        if stored is None:
            raise ChangedMeanwhile(escalation.id)
        return stored

    async def message(self, escalation: Escalation, text: str, by: str, key: str | None) -> Event:
        """A message to the worker, published for the router to relay (refused: :class:`Refused`)."""
        record = await self.case_record(escalation)
        event = requests.message(escalation, record, text, by, self.clock(), key)
        return await self._publish(event)

    async def transfer(self, escalation: Escalation, committee_id: str, by: str, key: str | None) -> Event:
        """The case handed to a committee of its factory; the router checks the committee may take it."""
        record = await self.case_record(escalation)
        event = requests.transfer(escalation, record, committee_id, by, self.clock(), key)
        return await self._publish(event)

    async def close(self, escalation: Escalation, outcome: str, by: str, key: str | None) -> Event:
        """Close the case with an outcome the worker is told; the escalation is resolved with it.

        An escalation the NGO resolved before (with a note of its own) still closes its case: resolving
        is the NGO's bookkeeping, closing is what the worker is told; the escalation keeps its note.
        Every other escalation of the case is resolved with the outcome: one case, one close.
        """
        now = self.clock()
        try:
            resolved: Escalation | None = escalation.resolve(outcome, by, now)
        except EscalationResolved:
            resolved = None  # resolved with another note: the case closes all the same
        record = await self.case_record(escalation)
        event = requests.close(escalation, record, outcome, by, now, key, again=resolved is escalation)
        await self._publish(event)
        if resolved not in (None, escalation) and await store.transition(self.db, resolved) is None:
            # Resolved meanwhile (another note): the close is requested all the same.
            log.info("ngo_close_escalation_changed", escalation_id=escalation.id)
        await self._resolve_the_others(escalation, outcome, by, now)
        return event

    async def _resolve_the_others(self, closed: Escalation, outcome: str, by: str, now: datetime) -> None:
        query = EscalationQuery(reference=closed.reference)
        others, _ = await store.list_escalations(self.db, query, 0, _PER_CASE)
        for other in others:
            if other.id == closed.id or other.case_id != closed.case_id or other.status == "resolved":
                continue
            await store.transition(self.db, other.resolve(outcome, by, now))

    def now(self) -> datetime:
        return self.clock()

    async def _publish(self, event: Event) -> Event:
        """Publish the NGO's request for the router, which owns the case (PublishError: not confirmed)."""
        await self.bus.publish(event)
        log.info(
            "ngo_request_published", escalation_id=getattr(event, "escalation_id", None), type=event.type
        )
        return event
