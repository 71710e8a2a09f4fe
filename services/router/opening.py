"""A grievance becomes a case: factory, category and severity, committee, and a free reference.

The rules are the pure ones of :mod:`services.router.assign` and :mod:`services.router.classify`;
this module gathers their inputs from the stores and inserts the case once per grievance id. A
reference another grievance already holds (a collision of the ten-character reference, or a
producer bug) does not lose the grievance: the case gets a reference derived from its own id and
keeps the one the worker was given as ``original_reference`` (the public status page accepts both).
"""

from __future__ import annotations

import structlog

from services.router.assign import Assignment, Hints, pick, resolve_factory, screen
from services.router.case import Case, event_id
from services.router.case_store import CaseStore, ReferenceTaken
from services.router.classify import classify
from services.router.registry_store import RegistryStore
from shared.contracts import GrievanceReceived, contact_proven
from shared.ids import reference_for
from shared.privacy import Keys, unverified_reporter_key
from shared.runtime import Clock
from shared.sla import SlaTable

log = structlog.get_logger(__name__)

REFERENCE_ATTEMPTS = 5


class NoFreeReference(Exception):
    """Every reference tried for the grievance was taken: no retry can fix that."""


async def open_case(
    event: GrievanceReceived,
    *,
    cases: CaseStore,
    registry: RegistryStore,
    clock: Clock,
    sla: SlaTable,
    keys: Keys,
) -> Case:
    """The case of this grievance: created now, or the one an earlier delivery created.

    A contact the channel did not prove is keyed apart (:func:`unverified_reporter_key`), and its
    history routes nothing: a planted case must not steer where the worker's own messages go.
    """
    hints = Hints(event.channel, event.text, event.factory_hint, event.gateway_number)
    proven = contact_proven(event)
    key = event.reporter_key
    latest = await cases.latest_factory_of(key) if key and proven else None
    unverified = unverified_reporter_key(keys, key) if key and not proven else None
    factory_id, via = resolve_factory(hints, await registry.factories(), latest)
    classification = classify(event.text)
    assignment = Assignment(None, "unroutable")
    if factory_id is not None:
        screening = screen(classification.category, event.text, await registry.committees_of(factory_id))
        # Open cases are counted only where they decide: most factories have one committee per category.
        contested = screening.contested()
        assignment = pick(screening, await cases.open_case_counts(contested) if contested else {})
    reference = event.reference
    for attempt in range(1, REFERENCE_ATTEMPTS + 1):
        case = Case.open(
            event,
            reference=reference,
            now=clock(),
            factory_id=factory_id,
            factory_via=via,
            assignment=assignment,
            classification=classification,
            sla=sla,
            proven=proven,
            unverified_key=unverified,
        )
        try:
            stored, created = await cases.insert(case)
        except ReferenceTaken:
            log.warning("reference_taken", case_id=case.case_id, attempt=attempt)
            reference = reference_for(event_id(case.case_id, "reference", str(attempt)))
            continue
        if created:
            log.info(
                "case_created",
                case_id=stored.case_id,
                reference=stored.reference,
                factory_via=via,
                category=classification.category,
                severity=classification.severity,
                committee_id=stored.committee_id,
                unassigned_reason=stored.unassigned_reason,
            )
        return stored
    raise NoFreeReference(event.reference)
