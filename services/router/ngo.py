"""The consumer of the NGO's requests (queue ``router.ngo``): the monitor acts on a case it follows.

Escalation's NGO API publishes what the NGO asks (write to the worker, hand the case to a
committee, close it with an outcome); the router owns cases, so it carries each out here, through
the outbox like a committee's action: the case's change and its events (``case.updated`` and the
worker's text) are one write, then published. The request's id is the action id, so a redelivery
changes nothing and publishes what still waits. A request the case no longer allows (closed
meanwhile, a committee that does not qualify) is refused with a log line naming the rule and
acknowledged: no retry can change the case's answer, and the NGO sees the case unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial

import structlog

from services.router.case import Case, Outcome
from services.router.case_store import CaseStore
from services.router.errors import CaseError, CaseNotFound
from services.router.outbox import Outbox
from services.router.registry_store import RegistryStore
from services.router.worker_store import WorkerStore
from shared.contracts import CaseCloseRequested, CaseMessageRequested, CaseTransferRequested
from shared.handlers import Handlers
from shared.messaging import Rejected
from shared.runtime import Clock
from shared.store import to_ms

log = structlog.get_logger(__name__)

QUEUE = "router.ngo"


class NgoConsumer:
    """Carries out one NGO request at a time on the case it names."""

    def __init__(
        self, *, cases: CaseStore, registry: RegistryStore, workers: WorkerStore, outbox: Outbox, clock: Clock
    ) -> None:
        self._cases, self._registry, self._workers = cases, registry, workers
        self._outbox, self._clock = outbox, clock

    async def message(self, event: CaseMessageRequested) -> None:
        case = await self._case(event.case_id)
        reach = case.proven and bool(case.sealed_contact) and await self._workers.reaches(case.reporter_key)
        change = partial(
            Case.ngo_message, action_id=str(event.id), text=event.text, now=self._now(), reach_worker=reach
        )
        await self._apply(event.case_id, change, "message", reached=reach)

    async def transfer(self, event: CaseTransferRequested) -> None:
        case = await self._case(event.case_id)
        committees = await self._registry.committees_of(case.factory_id) if case.factory_id else []
        change = partial(
            Case.transfer,
            to=event.committee_id,
            committees=committees,
            action_id=str(event.id),
            now=self._now(),
        )
        await self._apply(event.case_id, change, "transfer")

    async def close(self, event: CaseCloseRequested) -> None:
        case = await self._case(event.case_id)
        reach = await self._workers.reaches(case.reporter_key)
        change = partial(
            Case.close_by_ngo,
            action_id=str(event.id),
            outcome=event.outcome,
            now=self._now(),
            reach_worker=reach,
        )
        await self._apply(event.case_id, change, "close")

    async def _case(self, case_id: str) -> Case:
        case = await self._cases.by_id(case_id)
        if case is None:
            # Escalation learns of a case only from the router's own event: this is no case of ours.
            raise Rejected("no such case")
        return case

    def _now(self) -> datetime:
        return to_ms(self._clock())

    async def _apply(
        self, case_id: str, change: Callable[[Case], Outcome], request: str, **fields: bool
    ) -> None:
        try:
            saved = await self._outbox.apply(case_id, change)
        except CaseNotFound:
            raise Rejected("no such case") from None
        except CaseError as exc:
            log.warning(
                "ngo_request_refused",
                case_id=case_id,
                request=request,
                rule=exc.__class__.__name__,
                why=str(exc),
            )
            return
        log.info("ngo_request_applied", case_id=case_id, request=request, changed=saved.changed, **fields)


def handlers(consumer: NgoConsumer) -> Handlers:
    """What the router consumes from the NGO's requests."""
    return (
        Handlers(QUEUE)
        .on(CaseMessageRequested, consumer.message)
        .on(CaseTransferRequested, consumer.transfer)
        .on(CaseCloseRequested, consumer.close)
    )
