"""The consumer of ``grievance.received`` (queue ``router.grievances``): a grievance arrives.

One delivery walks one way through the router, entering each module once: :func:`gather` reads what
the grievance is decided and routed on (each store in one run of calls, the registry as one
:class:`~services.router.assign.Routing`); the pure rules say what it is about
(:func:`services.router.classify.classify`), where it goes (:func:`services.router.assign.resolve_factory`
and :func:`~services.router.assign.route`, which screens the factory's committees for a conflict of
interest) and what it means (:func:`services.router.decisions.decide`, for an SMS or WeChat message
from a known sender); the decision is recorded (``router_inbound``: the first one taken for a
message wins, and a redelivery repeats it even though the case has moved on since); then
:mod:`services.router.opening` writes the new case and publishes its events, or
:class:`services.router.dialogue.Dialogue` carries out what else the message is (a follow-up, checked
with the classification made here, a keyword, a confirmation code).

The same queue carries ``contact.withdrawn`` (a WeChat unfollow), in the order of the worker's
messages; :func:`services.router.switches.withdraw` unlinks the contact from every case.

The handler is idempotent and safe to retry after a crash between any two steps: the decision is
recorded before it is carried out, the case is inserted once per grievance id, and the events it
causes (``case.assigned`` and the worker's acknowledgement) are rebuilt from the stored case with
derived ids and published on every delivery, so a redelivery republishes exactly the same events
and downstream drops the duplicates. The message is acknowledged (by returning) only after the case
is written and both events are confirmed; any infrastructure failure raises and the delivery is
retried.

**Binding** (:func:`services.router.decisions.bound_cases`): only cases bound to the sender's proven
identity are the "open cases" a message may continue without a reference; a quoted reference picks
its open case whoever opened it.
"""

from __future__ import annotations

import hmac
import re
import unicodedata
from typing import NamedTuple

import structlog

from services.router import switches
from services.router.assign import Hints, Routing, resolve_factory, route
from services.router.case import Case
from services.router.case_store import CaseStore
from services.router.classify import classify
from services.router.decisions import Decision, NewCase, bound_cases, decide
from services.router.dialogue import Dialogue
from services.router.inbound_store import InboundStore
from services.router.opening import NoFreeReference, open_case
from services.router.outbox import Outbox
from services.router.registry_store import RegistryStore
from services.router.worker_store import WorkerStore
from shared.contracts import ContactWithdrawn, GrievanceReceived, contact_proven
from shared.handlers import Handlers
from shared.ids import find_case_codes, find_reference
from shared.keywords import Command, parse
from shared.messaging import Bus, Rejected
from shared.privacy import Keys, contact_code, unverified_reporter_key
from shared.runtime import Clock
from shared.sla import SlaTable
from shared.store import to_ms

log = structlog.get_logger(__name__)

QUEUE = "router.grievances"


def handlers(consumer: GrievanceConsumer) -> Handlers:
    """What the router consumes from its queue of grievances."""
    return Handlers(QUEUE).on(GrievanceReceived, consumer).on(ContactWithdrawn, consumer.withdraw)


# A message that is only a confirmation code (six digits, full-width ones folded).
_CODE = re.compile(r"\s*([0-9]{6})\s*")


class Inputs(NamedTuple):
    """What the stores said about one grievance."""

    case: Case | None = None  # the case this grievance opened already: a redelivery
    dialogue: bool = False  # an SMS or WeChat message from a known sender: it may continue a case
    command: Command | None = None
    reference: str | None = None  # the case reference the text quotes
    unverified: str | None = None  # the key a web form's contact of this number is kept under
    mine: tuple[Case, ...] = ()  # the sender's open cases, newest first (bound or not)
    status_case: Case | None = None  # the sender's case a STATUS reference names, if bound to them
    referenced: Case | None = None  # the open case the quoted reference names, whoever's
    confirmable: tuple[str, ...] = ()  # the cases whose confirmation request went here, this code
    reach: bool = True  # False when the worker sent STOP
    latest_factory: str | None = None  # the sender's latest case's factory (a proven sender only)
    routing: Routing = Routing()


async def gather(
    event: GrievanceReceived,
    *,
    cases: CaseStore,
    workers: WorkerStore,
    registry: RegistryStore,
    keys: Keys,
) -> Inputs:
    """Read what the decision and the routing of ``event`` depend on, each store in one run of calls.

    What is read depends only on the message: a keyword, a reference, a code-shaped text or a proven
    contact asks for more. A case for this very grievance makes the delivery a redelivery, which
    repeats what the first one decided: then only whether the worker may be texted is read besides.
    """
    proven = contact_proven(event)
    key = event.reporter_key
    # Web forms always open a grievance; SMS and WeChat messages from a known sender may continue one.
    dialogue = event.channel != "web" and bool(key)
    command = parse(event.text) if dialogue else None
    reference = find_reference(event.text) if dialogue else None
    written = _CODE.fullmatch(unicodedata.normalize("NFKC", event.text)) if dialogue else None
    code = written.group(1) if written is not None and proven and command is None else None
    # A proven sender's own number, as a web form's case keeps it until confirmed.
    unverified = unverified_reporter_key(keys, key) if key and (code or not proven) else None
    status_ref = command.reference if command is not None and command.kind == "status" else None

    case = await cases.by_grievance(str(event.grievance_id))
    redelivery = case is not None
    mine = await cases.open_of_reporter(key) if dialogue and key and not redelivery else []
    status_case = (
        await cases.reporter_case(key, status_ref)
        if key and proven and status_ref and not redelivery
        else None
    )
    referenced = await cases.open_by_reference(reference) if reference and not redelivery else None
    awaiting = await cases.awaiting_confirmation(unverified) if code and unverified and not redelivery else []
    latest = await cases.latest_factory_of(key) if key and proven and not redelivery else None

    requested = await workers.requested_for(unverified) if code and unverified and not redelivery else set()
    # The acknowledgement goes to the event's key; a contact that cannot be texted is kept under
    # the unverified key, which no STOP switched off (so it reads as reachable, as the case does).
    reach = await workers.reaches(key if proven or event.sealed_contact else unverified)

    routing = await registry.routing()
    confirmable = tuple(
        c.case_id
        for c in awaiting
        if c.case_id in requested
        and unverified is not None
        and code is not None
        and hmac.compare_digest(contact_code(keys, unverified, c.created_at.date().isoformat()), code)
    )
    return Inputs(
        case=case,
        dialogue=dialogue,
        command=command,
        reference=reference,
        unverified=unverified,
        mine=tuple(mine),
        status_case=status_case if status_case is not None and key and status_case.bound_to(key) else None,
        referenced=referenced,
        confirmable=confirmable,
        reach=reach,
        latest_factory=latest,
        routing=routing,
    )


class GrievanceConsumer:
    """Handles one ``GrievanceReceived`` at a time; the bus calls it once per delivery."""

    def __init__(
        self,
        *,
        cases: CaseStore,
        inbound: InboundStore,
        registry: RegistryStore,
        workers: WorkerStore,
        outbox: Outbox,
        dialogue: Dialogue,
        bus: Bus,
        clock: Clock,
        sla: SlaTable,
        keys: Keys,
    ) -> None:
        self._cases, self._inbound, self._registry, self._workers = cases, inbound, registry, workers
        self._outbox, self._dialogue, self._bus = outbox, dialogue, bus
        self._clock, self._sla, self._keys = clock, sla, keys

    async def withdraw(self, event: ContactWithdrawn) -> None:
        """The worker unfollowed: their contact leaves every case (the cases stay)."""
        await switches.withdraw(event, cases=self._cases, outbox=self._outbox, clock=self._clock)

    async def __call__(self, event: GrievanceReceived) -> None:
        # Read, rule, decide, write: one pass in this order, entering no module of the path twice.
        found = await gather(
            event, cases=self._cases, workers=self._workers, registry=self._registry, keys=self._keys
        )
        key, proven, routing = event.reporter_key, contact_proven(event), found.routing
        # NEW and a text: the text after the keyword is the grievance (the decision below says NEW).
        command = found.command
        text = command.text if command is not None and command.kind == "new" and command.text else event.text
        classification = classify(text)
        hints = Hints(event.channel, text, event.factory_hint, event.gateway_number)
        factory_id, via = resolve_factory(hints, routing.factories, found.latest_factory)
        # The factory the text alone names: a routed follow-up replaces the worker's unroutable cases.
        named, _ = resolve_factory(Hints(event.channel, event.text), routing.factories, latest_factory=None)
        # The worker is told times in the zone of the case's factory.
        zone = routing.zone_of(found.case.factory_id if found.case is not None else factory_id)
        screening = route(classification.category, text, factory_id, routing.committees_of(factory_id))
        decision: Decision | None = None
        if found.case is not None:
            # A case for this very grievance always wins: it predates any decision.
            decision = await self._inbound.recorded(str(event.grievance_id)) if found.dialogue else None
        elif found.dialogue:
            assert key is not None  # a dialogue message has a sender
            open_cases = bound_cases(found.mine, key, proven)
            taken = decide(
                command,
                reference=found.reference,
                open_cases=open_cases,
                status_case=found.status_case,
                named_factory=named,
                referenced=found.referenced,
                confirmable=found.confirmable,
                codes=find_case_codes(event.text) if open_cases else frozenset(),
            )
            # The first decision recorded for the message wins: a redelivery repeats it.
            decision = await self._inbound.record(str(event.grievance_id), taken, to_ms(self._clock()))
            if not isinstance(decision, NewCase):
                await self._dialogue.execute(decision, event, classification, routing)
                return
            if decision.text:
                event = event.model_copy(update={"text": decision.text})
        try:
            await open_case(
                event,
                existing=found.case,
                factory_id=factory_id,
                via=via,
                classification=classification,
                screening=screening,
                zone=zone,
                proven=proven,
                unverified_key=found.unverified if not proven else None,
                supersedes=decision.supersedes if isinstance(decision, NewCase) else (),
                reach=found.reach,
                cases=self._cases,
                workers=self._workers,
                outbox=self._outbox,
                bus=self._bus,
                clock=self._clock,
                sla=self._sla,
                keys=self._keys,
            )
        except NoFreeReference:
            raise Rejected("no free reference for the grievance") from None
