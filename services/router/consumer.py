"""The consumer of ``grievance.received`` (queue ``router.grievances``): grievances become cases.

The same queue carries ``contact.withdrawn`` (a WeChat unfollow), in the order of the worker's
messages; :meth:`Dialogue.withdraw` unlinks the contact from every case.

An SMS or WeChat message from a worker who already talks to us may instead continue a case or be a
keyword; :mod:`services.router.dialogue` decides that (once, recorded) and carries it out.

The handler is idempotent and safe to retry after a crash between any two steps: the case is
inserted once per grievance id, and the events it causes (``case.assigned`` and the worker's
acknowledgement) are rebuilt from the stored case with derived ids and published on every delivery,
so a redelivery republishes exactly the same events and downstream drops the duplicates. The
message is acknowledged (by returning) only after the case is written and both events are
confirmed; any infrastructure failure raises and the delivery is retried.
"""

from __future__ import annotations

import structlog

from services.router.case import Case
from services.router.case_store import CaseStore
from services.router.decisions import Decision, NewCase
from services.router.dialogue import Dialogue, applies
from services.router.opening import NoFreeReference, open_case
from services.router.registry_store import RegistryStore
from services.router.texts import confirm_contact
from services.router.worker_store import WorkerStore
from shared.contracts import ContactWithdrawn, GrievanceReceived
from shared.handlers import Handlers
from shared.messaging import Bus, Rejected
from shared.privacy import Keys, contact_code
from shared.runtime import Clock
from shared.sla import SlaTable

log = structlog.get_logger(__name__)

QUEUE = "router.grievances"


def handlers(consumer: GrievanceConsumer) -> Handlers:
    """What the router consumes from its queue of grievances."""
    return Handlers(QUEUE).on(GrievanceReceived, consumer).on(ContactWithdrawn, consumer.withdraw)


class GrievanceConsumer:
    """Handles one ``GrievanceReceived`` at a time; the bus calls it once per delivery."""

    def __init__(
        self,
        *,
        cases: CaseStore,
        registry: RegistryStore,
        workers: WorkerStore,
        dialogue: Dialogue,
        bus: Bus,
        clock: Clock,
        sla: SlaTable,
        keys: Keys,
    ) -> None:
        self._cases, self._registry, self._workers, self._dialogue = cases, registry, workers, dialogue
        self._bus, self._clock, self._sla, self._keys = bus, clock, sla, keys

    async def withdraw(self, event: ContactWithdrawn) -> None:
        """The worker unfollowed: their contact leaves every case (the cases stay)."""
        await self._dialogue.withdraw(event)

    async def __call__(self, event: GrievanceReceived) -> None:
        gid = str(event.grievance_id)
        case = await self._cases.by_grievance(gid)
        decision: Decision | None = None
        if applies(event):
            # A redelivery whose case exists only needs the decision already taken (if any).
            decision = await self._dialogue.recorded(gid) if case else await self._dialogue.decision(event)
        # A case for this very grievance always wins: it predates any decision.
        if case is None and decision is not None and not isinstance(decision, NewCase):
            await self._dialogue.execute(decision, event)
            return
        if case is None:
            text = decision.text if isinstance(decision, NewCase) else None
            case = await self._open(event.model_copy(update={"text": text}) if text else event)
        if isinstance(decision, NewCase) and decision.supersedes:
            await self._dialogue.close_superseded(decision, case)
        await self._publish_creation(case, event)

    async def _open(self, event: GrievanceReceived) -> Case:
        try:
            return await open_case(
                event,
                cases=self._cases,
                registry=self._registry,
                clock=self._clock,
                sla=self._sla,
                keys=self._keys,
            )
        except NoFreeReference:
            raise Rejected("no free reference for the grievance") from None

    async def _publish_creation(self, case: Case, event: GrievanceReceived) -> None:
        confirmation = code = None
        if case.awaits_confirmation:
            # Only the confirmation request may go to an unproven contact, once per contact and day,
            # and not to a number that sent STOP (the event carries the key an SMS from it has).
            reach = await self._workers.reaches(event.reporter_key)
            code = await self._confirmation_code(case) if reach else None
            confirmation = confirm_contact(case.language, code) if code else None
        else:
            reach = await self._workers.reaches(case.reporter_key)
        zone = await self._registry.timezone_of(case.factory_id)
        for outgoing in case.creation_events(
            reach_worker=reach, confirmation=confirmation, confirmation_code=code, zone=zone
        ):
            await self._bus.publish(outgoing)
        log.info("case_events_published", case_id=case.case_id, status=case.status)

    async def _confirmation_code(self, case: Case) -> str | None:
        """The confirmation code, when this case holds the contact's slot of the day (else None)."""
        assert case.reporter_key is not None  # an unproven contact is always keyed apart
        day = case.created_at.date().isoformat()
        if not await self._workers.confirmation_slot(case.reporter_key, day, case.case_id):
            return None
        return contact_code(self._keys, case.reporter_key, day)
