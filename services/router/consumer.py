"""The consumer of ``grievance.received`` (queue ``router.grievances``): grievances become cases.

An SMS or WeChat message from a worker who already talks to us may instead continue a case or be a
keyword; :mod:`services.router.dialogue` decides that (once, recorded) and carries it out.

The handler is idempotent and safe to retry after a crash between any two steps: the case is
inserted once per grievance id (``$setOnInsert``), and the events it causes (``case.assigned`` and the
worker's acknowledgement) are rebuilt from the stored case with derived ids and published on every
delivery, so a redelivery republishes exactly the same events and downstream drops the duplicates.
The message is acknowledged (by returning) only after the case is written and both events are
confirmed; any infrastructure failure raises and the delivery is retried.

A reference that another grievance already holds (a collision of the ten-character reference, or a
producer bug) does not lose the grievance: the case gets a reference derived from its own id, keeps
the one the worker was given as ``original_reference`` (the public status page accepts both), and the
acknowledgement tells the worker the new one.
"""

from __future__ import annotations

from typing import Any

import structlog

from services.router import store
from services.router.assign import Assignment, Hints, choose_committee, resolve_factory
from services.router.cases import creation_events, event_id, new_case
from services.router.classify import classify
from services.router.dialogue import Dialogue, applies
from shared.contracts import Event, GrievanceReceived
from shared.ids import reference_for
from shared.messaging import Rejected
from shared.runtime import Runtime

log = structlog.get_logger(__name__)

QUEUE = "router.grievances"
REFERENCE_ATTEMPTS = 5


class GrievanceConsumer:
    """Handles one ``GrievanceReceived`` at a time; the bus calls it once per delivery."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.dialogue = Dialogue(runtime)

    async def __call__(self, event: Event) -> None:
        if not isinstance(event, GrievanceReceived):
            raise Rejected(f"unexpected event type {event.type}")
        case = await store.case_by_grievance(self.runtime.db, str(event.grievance_id))
        decision = None
        if applies(event):
            # A redelivery whose case exists only needs the decision already taken (if any).
            gid = str(event.grievance_id)
            decision = (
                await store.inbound(self.runtime.db, gid) if case else await self.dialogue.decision(event)
            )
        # A case for this very grievance always wins: it predates any decision.
        if case is None and decision is not None and decision["kind"] != "new_case":
            await self.dialogue.execute(decision, event)
            return
        if case is None:
            text = (decision or {}).get("text")
            case = await self.open_case(event.model_copy(update={"text": text}) if text else event)
        await self.dialogue.close_superseded(decision, case)
        await self.publish_creation(case)

    async def publish_creation(self, case: dict[str, Any]) -> None:
        reach = await store.reaches_worker(self.runtime.db, case.get("reporter_key"))
        for outgoing in creation_events(case, reach_worker=reach):
            await self.runtime.bus.publish(outgoing)
        log.info("case_events_published", case_id=case["_id"], status=case["status"])

    async def open_case(self, event: GrievanceReceived) -> dict[str, Any]:
        db = self.runtime.db
        hints = Hints(event.channel, event.text, event.factory_hint, event.gateway_number)
        latest = await store.latest_factory_of(db, event.reporter_key) if event.reporter_key else None
        factory_id, via = resolve_factory(hints, await store.factories(db), latest)
        classification = classify(event.text)
        assignment = Assignment(None, "unroutable")
        if factory_id is not None:
            committees = await store.committees_of(db, factory_id)
            counts = await store.open_case_counts(db, [c.id for c in committees])
            assignment = choose_committee(classification.category, event.text, committees, counts)
        reference = event.reference
        for attempt in range(REFERENCE_ATTEMPTS):
            doc = new_case(
                event,
                reference=reference,
                now=self.runtime.clock(),
                factory_id=factory_id,
                factory_via=via,
                assignment=assignment,
                classification=classification,
                sla=self.runtime.settings.sla,
            )
            try:
                case, created = await store.insert_case(db, doc)
            except store.ReferenceTaken:
                log.warning("reference_taken", case_id=doc["_id"], attempt=attempt + 1)
                reference = reference_for(event_id(doc["_id"], "reference", str(attempt + 1)))
                continue
            if created:
                log.info(
                    "case_created",
                    case_id=case["_id"],
                    factory_via=via,
                    category=classification.category,
                    severity=classification.severity,
                    committee_id=case["committee_id"],
                    unassigned_reason=case["unassigned_reason"],
                )
            return case
        raise Rejected("no free reference for the grievance")
