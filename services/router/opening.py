"""A routed grievance becomes a case: its committee, a free reference, the cases it replaces, its events.

The factory, the classification and the screening of the factory's committees are decided before
(the consumer runs the pure rules of :mod:`services.router.assign` and
:mod:`services.router.classify` on what :func:`services.router.consumer.gather` read); this module
picks the committee (only a contested case, which several committees may take, has their open cases
counted: :func:`~services.router.assign.pick`), builds the case and its events, inserts the case once
per grievance id, closes the unroutable cases a routed one supersedes, and publishes ``case.assigned``
and the worker's acknowledgement (or the confirmation request of an unproven contact). The events
are those of the stored case, with derived ids, on every delivery: built from the case as opened
when this delivery stored it, from the stored case when another delivery did. A
reference another grievance already holds (a collision of the ten-character reference, or a
producer bug) does not lose the grievance: the case gets a reference derived from its own id and
keeps the one the worker was given as ``original_reference`` (the public status page accepts both).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import structlog

from services.router.assign import FactoryVia, Screening, pick
from services.router.case import Case, event_id
from services.router.case_store import CaseStore, ReferenceTaken
from services.router.classify import Classification
from services.router.errors import CaseNotFound
from services.router.outbox import Outbox
from services.router.texts import confirm_contact
from services.router.worker_store import WorkerStore
from shared.contracts import Event, GrievanceReceived
from shared.ids import reference_for
from shared.messaging import Bus
from shared.privacy import Keys, contact_code
from shared.runtime import Clock
from shared.sla import SlaTable
from shared.store import to_ms

log = structlog.get_logger(__name__)

REFERENCE_ATTEMPTS = 5


class NoFreeReference(Exception):
    """Every reference tried for the grievance was taken: no retry can fix that."""


async def open_case(
    event: GrievanceReceived,
    *,
    existing: Case | None,
    factory_id: str | None,
    via: FactoryVia | None,
    classification: Classification,
    screening: Screening,
    zone: str,
    proven: bool,
    unverified_key: str | None,
    supersedes: Sequence[str],
    reach: bool,
    cases: CaseStore,
    workers: WorkerStore,
    outbox: Outbox,
    bus: Bus,
    clock: Clock,
    sla: SlaTable,
    keys: Keys,
) -> Case:
    """The case of this grievance, routed to ``factory_id`` (None: unroutable), and its events.

    ``existing`` is the case an earlier delivery created: then nothing is routed or inserted, and
    the rest is done again (closing what it supersedes, publishing its events), since that delivery
    may have stopped before. A contact the channel did not prove is keyed apart
    (``unverified_key``), and its history routed nothing: a planted case must not steer where the
    worker's own messages go.
    """
    case, events = existing, None
    if case is None:
        assignment = screening.settled or pick(screening, await cases.open_case_counts(screening.contested()))
        reference = event.reference
        for attempt in range(1, REFERENCE_ATTEMPTS + 1):
            opened = Case.open(
                event,
                reference=reference,
                now=clock(),
                factory_id=factory_id,
                factory_via=via,
                assignment=assignment,
                classification=classification,
                sla=sla,
                proven=proven,
                unverified_key=unverified_key,
            )
            # An unproven contact's events wait for its confirmation slot, after the insert.
            events = (
                None if opened.awaits_confirmation else opened.creation_events(reach_worker=reach, zone=zone)
            )
            try:
                case, created = await cases.insert(opened)
            except ReferenceTaken:
                log.warning("reference_taken", case_id=opened.case_id, attempt=attempt)
                reference = reference_for(event_id(opened.case_id, "reference", str(attempt)))
                continue
            if created:
                log.info(
                    "case_created",
                    case_id=case.case_id,
                    reference=case.reference,
                    factory_via=via,
                    category=classification.category,
                    severity=classification.severity,
                    committee_id=case.committee_id,
                    unassigned_reason=case.unassigned_reason,
                )
            else:
                events = None  # another delivery stored it: its events are those of the stored case
            break
        else:
            raise NoFreeReference(event.reference)
    assert case is not None
    if supersedes:
        await close_superseded(outbox, clock, supersedes, case.case_id)
    if events is None:
        events = await _events_of(case, reach=reach, zone=zone, workers=workers, keys=keys)
    for outgoing in events:
        await bus.publish(outgoing)
    log.info("case_events_published", case_id=case.case_id, status=case.status)
    return case


async def _events_of(case: Case, *, reach: bool, zone: str, workers: WorkerStore, keys: Keys) -> list[Event]:
    """The stored case's creation events; an unproven contact gets its confirmation request once."""
    confirmation = code = None
    if case.awaits_confirmation and reach:
        # Only the confirmation request may go to an unproven contact, once per contact and day,
        # and not to a number that sent STOP (the event carries the key an SMS from it has).
        assert case.reporter_key is not None  # an unproven contact is always keyed apart
        day = case.created_at.date().isoformat()
        if await workers.confirmation_slot(case.reporter_key, day, case.case_id):
            code = contact_code(keys, case.reporter_key, day)
            confirmation = confirm_contact(case.language, code)
    return case.creation_events(
        reach_worker=reach, confirmation=confirmation, confirmation_code=code, zone=zone
    )


async def close_superseded(outbox: Outbox, clock: Clock, supersedes: Sequence[str], case_id: str) -> None:
    """Close the unroutable cases the routed case ``case_id`` replaced (idempotent)."""
    close = partial(Case.close_rerouted, replaced_by=case_id, now=to_ms(clock()))
    for superseded in supersedes:
        try:
            await outbox.apply(superseded, close)
        except CaseNotFound:
            continue
