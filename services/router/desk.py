"""What a committee can do to its cases, once for the API and the console (design sections 7, 8).

The committee API (:mod:`services.router.api`) and the committee console
(:mod:`services.router.console`) both call these operations, so a reply typed in the browser and
one posted with curl take the same path: the same check that the worker can be reached, the same
action of :mod:`services.router.actions`, the same allow-listed view. Errors are the router's domain
errors (:mod:`services.router.errors`); each edge translates them once, to problem+json or to a
sentence on the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.router import actions
from services.router.case import Case
from services.router.case_store import CaseStore
from services.router.errors import WorkerUnreachable
from services.router.outbox import Outbox
from services.router.registry_store import RegistryStore
from services.router.views import Rounding, WorkerContact, case_view
from services.router.worker_store import WorkerStore
from shared.contracts import Category, Severity
from shared.runtime import Clock
from shared.sla import SlaTable

UNREACHABLE: dict[WorkerContact, str] = {
    "opted_out": "the worker opted out of messages (STOP): nothing is sent to them until they send START",
    "unconfirmed": "the worker has not confirmed the number given on the web form: nothing is sent to it",
}


@dataclass(frozen=True)
class CommitteeDesk:
    """The committee's operations on the stores, the outbox and the clock the router runs on."""

    cases: CaseStore
    registry: RegistryStore
    workers: WorkerStore
    outbox: Outbox
    clock: Clock
    sla: SlaTable
    rounding: Rounding

    async def own_case(self, reference: str, committee_id: str, *, recused_too: bool = False) -> Case | None:
        """The committee's case by reference; None for another committee's case and an unknown one alike."""
        return await self.cases.committee_case(reference, committee_id, recused_too=recused_too)

    async def contact(self, case: Case) -> WorkerContact:
        """Whether a message of the committee can reach the worker, and if not, why."""
        if not case.sealed_contact:
            return "none"
        if not case.proven:
            return "unconfirmed"
        return "reachable" if await self.workers.reaches(case.reporter_key) else "opted_out"

    async def view(self, case: Case) -> dict[str, Any]:
        """The committee's allow-listed view of the case, with delivery states and the contact state."""
        delivery = await self.workers.delivery_statuses(case.messages)
        return case_view(case, delivery, self.rounding, await self.contact(case))

    async def acknowledge(self, case: Case, committee_id: str) -> Case:
        reach = await self.workers.reaches(case.reporter_key)
        return await actions.acknowledge(
            self.outbox, self.clock, case.case_id, committee_id, reach_worker=reach
        )

    async def reply(self, case: Case, committee_id: str, text: str, *, message: str) -> Case:
        """Relay a message to the worker; refused (:class:`WorkerUnreachable`) when it cannot reach them."""
        contact = await self.contact(case)
        if contact in UNREACHABLE:
            raise WorkerUnreachable(contact, UNREACHABLE[contact])
        reach = await self.workers.reaches(case.reporter_key)
        return await actions.reply(
            self.outbox, self.clock, case.case_id, committee_id, text, message=message, reach_worker=reach
        )

    async def resolve(self, case: Case, committee_id: str, resolution: str) -> Case:
        reach = await self.workers.reaches(case.reporter_key)
        return await actions.resolve(
            self.outbox, self.clock, case.case_id, committee_id, resolution, reach_worker=reach
        )

    async def recuse(self, case: Case, committee_id: str, reason: str) -> Case:
        return await actions.recuse(
            self.outbox, self.cases, self.registry, self.clock, case, committee_id, reason
        )

    async def recategorise(
        self, case: Case, committee_id: str, category: Category, severity: Severity | None
    ) -> Case:
        return await actions.recategorise(
            self.outbox, self.clock, self.sla, case.case_id, committee_id, category, severity
        )

    def now(self) -> datetime:
        return self.clock()
